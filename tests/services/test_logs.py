"""CloudWatch Logs through boto3: groups, streams, retention, PutLogEvents' rules, GetLogEvents'
tokens, FilterLogEvents' patterns, Logs Insights queries (run off the event loop, kept seven days),
and the append() API other services write with."""

from __future__ import annotations

import json
import threading
import time
import tracemalloc

import pytest
from botocore.config import Config

from tests.services.logs_support import ACCOUNT, error_of, now_ms

HOUR = 3_600_000
DAY = 24 * HOUR


@pytest.fixture
def logs(cloud):
    return cloud.client("logs", account=ACCOUNT)


def stream(logs, group="/app/web", name="main", events=None):
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=name)
    if events:
        logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=events)


def messages(events) -> list[str]:
    return [e["message"] for e in events]


# -- groups ------------------------------------------------------------------------------------

def test_log_groups_lifecycle(logs):
    logs.create_log_group(logGroupName="/app/web", tags={"team": "web"})
    logs.create_log_group(logGroupName="/app/worker")
    logs.create_log_group(logGroupName="/other/Web-Frontend")
    error = error_of(lambda: logs.create_log_group(logGroupName="/app/web"))
    assert (error["Code"], error["Message"]) == ("ResourceAlreadyExistsException", "The specified log group already exists")
    groups = logs.describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/app/web", "/app/worker", "/other/Web-Frontend"]
    web = groups[0]
    assert web["arn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/web:*"
    assert web["logGroupArn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/web"
    assert web["storedBytes"] == 0 and "retentionInDays" not in web and web["creationTime"] > 0
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]] == ["/app/web", "/app/worker"]
    # logGroupNamePattern matches anywhere in the name, ignoring case.
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePattern="web")["logGroups"]] == [
        "/app/web", "/other/Web-Frontend"]
    error = error_of(lambda: logs.describe_log_groups(logGroupNamePrefix="/app", logGroupNamePattern="web"))
    assert error["Code"] == "InvalidParameterException"
    assert logs.list_tags_for_resource(resourceArn=web["logGroupArn"])["tags"] == {"team": "web"}
    logs.delete_log_group(logGroupName="/app/worker")
    error = error_of(lambda: logs.delete_log_group(logGroupName="/app/worker"))
    assert (error["Code"], error["Message"]) == ("ResourceNotFoundException", "The specified log group does not exist.")


def test_describe_log_groups_paginates(logs):
    for i in range(7):
        logs.create_log_group(logGroupName=f"/g/{i}")
    pages = list(logs.get_paginator("describe_log_groups").paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["logGroups"]) for p in pages] == [3, 3, 1]
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == [f"/g/{i}" for i in range(7)]
    assert error_of(lambda: logs.describe_log_groups(nextToken="forged"))["Code"] == "InvalidParameterException"


def test_retention_policy(cloud, logs):
    logs.create_log_group(logGroupName="/app/web")
    logs.put_retention_policy(logGroupName="/app/web", retentionInDays=30)
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 30
    error = error_of(lambda: logs.put_retention_policy(logGroupName="/app/web", retentionInDays=2))
    assert error["Code"] == "InvalidParameterException"
    assert "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30" in error["Message"]
    logs.delete_retention_policy(logGroupName="/app/web")
    assert "retentionInDays" not in logs.describe_log_groups()["logGroups"][0]
    error = error_of(lambda: logs.put_retention_policy(logGroupName="/nope", retentionInDays=1))
    assert error["Code"] == "ResourceNotFoundException"


# -- streams -----------------------------------------------------------------------------------

def test_log_streams_order_prefix_and_pages(logs):
    logs.create_log_group(logGroupName="/app/web")
    now = now_ms()
    for name, offset in (("b-stream", 3), ("a-stream", 1), ("c-other", 2)):
        logs.create_log_stream(logGroupName="/app/web", logStreamName=name)
        logs.put_log_events(logGroupName="/app/web", logStreamName=name,
                            logEvents=[{"timestamp": now - 1000 + offset, "message": name}])
    error = error_of(lambda: logs.create_log_stream(logGroupName="/app/web", logStreamName="a-stream"))
    assert (error["Code"], error["Message"]) == ("ResourceAlreadyExistsException", "The specified log stream already exists")
    names = lambda **kw: [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/app/web", **kw)["logStreams"]]  # noqa: E731
    assert names() == ["a-stream", "b-stream", "c-other"]
    assert names(descending=True) == ["c-other", "b-stream", "a-stream"]
    assert names(logStreamNamePrefix="b") == ["b-stream"]
    assert names(orderBy="LastEventTime") == ["a-stream", "c-other", "b-stream"]
    assert names(orderBy="LastEventTime", descending=True) == ["b-stream", "c-other", "a-stream"]
    error = error_of(lambda: logs.describe_log_streams(logGroupName="/app/web", orderBy="LastEventTime", logStreamNamePrefix="a"))
    assert (error["Code"], error["Message"]) == ("InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
    first = logs.describe_log_streams(logGroupName="/app/web", limit=2)
    rest = logs.describe_log_streams(logGroupName="/app/web", limit=2, nextToken=first["nextToken"])
    assert messages([{"message": s["logStreamName"]} for s in first["logStreams"] + rest["logStreams"]]) == [
        "a-stream", "b-stream", "c-other"]
    assert "nextToken" not in rest
    detail = logs.describe_log_streams(logGroupName="/app/web", logStreamNamePrefix="a-")["logStreams"][0]
    assert detail["firstEventTimestamp"] == detail["lastEventTimestamp"] == now - 999
    assert detail["arn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/web:log-stream:a-stream"
    assert detail["lastIngestionTime"] >= detail["creationTime"]
    logs.delete_log_stream(logGroupName="/app/web", logStreamName="a-stream")
    assert names() == ["b-stream", "c-other"]
    error = error_of(lambda: logs.get_log_events(logGroupName="/app/web", logStreamName="a-stream"))
    assert (error["Code"], error["Message"]) == ("ResourceNotFoundException", "The specified log stream does not exist.")


# -- PutLogEvents ------------------------------------------------------------------------------

def test_put_log_events_rules(cloud, logs):
    stream(logs)
    now = now_ms()
    put = lambda events, client=logs: client.put_log_events(logGroupName="/app/web", logStreamName="main", logEvents=events)  # noqa: E731
    error = error_of(lambda: put([{"timestamp": now, "message": "b"}, {"timestamp": now - 5, "message": "a"}]))
    assert (error["Code"], error["Message"]) == (
        "InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.")
    error = error_of(lambda: put([{"timestamp": now - DAY - 1000, "message": "a"}, {"timestamp": now, "message": "b"}]))
    assert (error["Code"], error["Message"]) == (
        "InvalidParameterException", "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
    big = [{"timestamp": now, "message": "x" * 262_000} for _ in range(5)]
    error = error_of(lambda: put(big))
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"] == f"Upload too large: {5 * (262_000 + 26)} bytes exceeds limit of 1048576"
    unvalidated = cloud.client("logs", account=ACCOUNT, config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    error = error_of(lambda: put([{"timestamp": now, "message": "m"}] * 10_001, unvalidated))
    assert error["Code"] == "InvalidParameterException" and "10000" in error["Message"]
    # Sequence tokens are accepted and ignored, as AWS does now.
    result = logs.put_log_events(logGroupName="/app/web", logStreamName="main", sequenceToken="whatever",
                                 logEvents=[{"timestamp": now, "message": "ok"}])
    assert "rejectedLogEventsInfo" not in result and result["nextSequenceToken"]
    error = error_of(lambda: logs.put_log_events(logGroupName="/app/web", logStreamName="ghost",
                                                 logEvents=[{"timestamp": now, "message": "x"}]))
    assert (error["Code"], error["Message"]) == ("ResourceNotFoundException", "The specified log stream does not exist.")


def test_put_log_events_rejects_too_old_too_new_and_expired(logs):
    stream(logs)
    now = now_ms()
    events = [{"timestamp": now - 15 * DAY + 5 * HOUR, "message": "too old"},
              {"timestamp": now - 15 * DAY + 6 * HOUR, "message": "too old 2"},
              {"timestamp": now - 15 * DAY + 7 * HOUR, "message": "too old 3"}]
    result = logs.put_log_events(logGroupName="/app/web", logStreamName="main", logEvents=events)
    assert result["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2}
    events = [{"timestamp": now - HOUR, "message": "fine"}, {"timestamp": now + 3 * HOUR, "message": "too new"}]
    result = logs.put_log_events(logGroupName="/app/web", logStreamName="main", logEvents=events)
    assert result["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    logs.put_retention_policy(logGroupName="/app/web", retentionInDays=1)
    events = [{"timestamp": now - DAY - 60_000, "message": "expired"}, {"timestamp": now - 600_000, "message": "kept"}]
    result = logs.put_log_events(logGroupName="/app/web", logStreamName="main", logEvents=events)
    assert result["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 0}
    stored = logs.get_log_events(logGroupName="/app/web", logStreamName="main", startFromHead=True)["events"]
    assert messages(stored) == ["fine", "kept"]


# -- GetLogEvents ------------------------------------------------------------------------------

def test_get_log_events_tokens_walk_both_ways(logs):
    now = now_ms() - 60_000
    stream(logs, events=[{"timestamp": now + i, "message": f"event {i}"} for i in range(10)])
    read = lambda **kw: logs.get_log_events(logGroupName="/app/web", logStreamName="main", **kw)  # noqa: E731
    # Without a token: the newest events, still in time order.
    tail = read(limit=3)
    assert messages(tail["events"]) == ["event 7", "event 8", "event 9"]
    assert tail["nextForwardToken"].startswith("f/") and tail["nextBackwardToken"].startswith("b/")
    assert len(tail["nextForwardToken"]) == 58
    # Walking backward from the tail reaches the start, then the same token comes back.
    back = read(limit=3, nextToken=tail["nextBackwardToken"])
    assert messages(back["events"]) == ["event 4", "event 5", "event 6"]
    seen, token = [], tail["nextBackwardToken"]
    while True:
        page = read(limit=4, nextToken=token)
        if page["nextBackwardToken"] == token:
            assert page["events"] == []
            break
        seen = messages(page["events"]) + seen
        token = page["nextBackwardToken"]
    assert seen == [f"event {i}" for i in range(7)]
    # Forward from the head, then the same forward token at the end.
    head = read(limit=4, startFromHead=True)
    assert messages(head["events"]) == ["event 0", "event 1", "event 2", "event 3"]
    collected, token = messages(head["events"]), head["nextForwardToken"]
    while True:
        page = read(limit=4, nextToken=token)
        if page["nextForwardToken"] == token:
            break
        collected += messages(page["events"])
        token = page["nextForwardToken"]
    assert collected == [f"event {i}" for i in range(10)]
    # New events show up on the forward token that had reached the end.
    logs.put_log_events(logGroupName="/app/web", logStreamName="main", logEvents=[{"timestamp": now + 20, "message": "late"}])
    assert messages(read(nextToken=token)["events"]) == ["late"]
    # Time range: startTime inclusive, endTime exclusive.
    assert messages(read(startTime=now + 2, endTime=now + 5, startFromHead=True)["events"]) == ["event 2", "event 3", "event 4"]
    assert read(startFromHead=True)["events"][0]["ingestionTime"] >= now
    error = error_of(lambda: read(nextToken="f/12345"))
    assert error["Code"] == "InvalidParameterException"


def test_get_log_events_by_group_identifier(logs):
    now = now_ms()
    stream(logs, events=[{"timestamp": now, "message": "hi"}])
    arn = logs.describe_log_groups()["logGroups"][0]["logGroupArn"]
    assert messages(logs.get_log_events(logGroupIdentifier=arn, logStreamName="main")["events"]) == ["hi"]


# -- FilterLogEvents ---------------------------------------------------------------------------

FILTER_EVENTS = [
    "ERROR disk full on /dev/sda1",
    "WARN slow request took 1200 ms",
    "INFO user logged in",
    '{"level": "ERROR", "user": {"id": 42, "name": "alice"}, "latency": 1.5, "tags": ["a", "b"]}',
    '{"level": "INFO", "user": {"id": 7, "name": "bob"}, "latency": 0.2, "retry": null}',
    '{"level": "WARN", "user": {"id": 9, "name": "albert"}, "latency": 3, "ok": true}',
    "ERROR connection reset by peer",
    "127.0.0.1 frank GET /index.html 404 2326",
    "10.0.0.2 alice POST /api 200 512",
]


@pytest.fixture
def filled(logs):
    now = now_ms() - 60_000
    stream(logs, name="one", events=[{"timestamp": now + i, "message": m} for i, m in enumerate(FILTER_EVENTS[:5])])
    stream(logs, name="two", events=[{"timestamp": now + 5 + i, "message": m} for i, m in enumerate(FILTER_EVENTS[5:])])
    return now


@pytest.mark.parametrize("pattern, expected", [
    ("", list(range(9))),
    ("ERROR", [0, 3, 6]),
    ("ERROR -disk", [3, 6]),
    ('"connection reset"', [6]),
    ("?WARN ?INFO", [1, 2, 4, 5]),
    ("ERROR disk", [0]),
    ("%user [a-z]+ in%", [2]),
    ('{ $.level = "ERROR" }', [3]),
    ('{ $.user.id > 8 }', [3, 5]),
    ('{ $.user.id = 7 }', [4]),
    ('{ $.level != "ERROR" }', [4, 5]),
    ('{ $.user.name = "al*" }', [3, 5]),
    ('{ $.user.name = al* }', [3, 5]),
    ('{ $.latency >= 1.5 && $.level = "ERROR" }', [3]),
    ('{ ($.level = "INFO") || ($.latency > 2) }', [4, 5]),
    ('{ $.retry IS NULL }', [4]),
    ('{ $.retry NOT EXISTS }', [3, 5]),
    ('{ $.ok IS TRUE }', [5]),
    ('{ $.tags[1] = "b" }', [3]),
    ("[ip, user, method, path, status = 4*, size]", [7]),
    ("[ip, user = alice, ...]", [8]),
    ("[..., size > 1000]", [7]),
])
def test_filter_patterns(logs, filled, pattern, expected):
    found = logs.filter_log_events(logGroupName="/app/web", filterPattern=pattern)["events"]
    assert messages(found) == [FILTER_EVENTS[i] for i in expected]


def test_filter_streams_time_range_and_pages(logs, filled):
    now = filled
    found = logs.filter_log_events(logGroupName="/app/web", logStreamNames=["two"], filterPattern="ERROR")["events"]
    assert messages(found) == [FILTER_EVENTS[6]] and found[0]["logStreamName"] == "two"
    assert len(found[0]["eventId"]) == 56 and found[0]["ingestionTime"] >= found[0]["timestamp"]
    assert len(logs.filter_log_events(logGroupName="/app/web", logStreamNamePrefix="on")["events"]) == 5
    # FilterLogEvents' endTime is inclusive.
    ranged = logs.filter_log_events(logGroupName="/app/web", startTime=now + 2, endTime=now + 4)["events"]
    assert messages(ranged) == FILTER_EVENTS[2:5]
    pages = list(logs.get_paginator("filter_log_events").paginate(logGroupName="/app/web", PaginationConfig={"PageSize": 2}))
    assert [m for p in pages for m in messages(p["events"])] == FILTER_EVENTS
    assert all(len(p["events"]) <= 2 for p in pages)
    error = error_of(lambda: logs.filter_log_events(logGroupName="/app/web", filterPattern="{ $.level = }"))
    assert error["Code"] == "InvalidParameterException"
    error = error_of(lambda: logs.filter_log_events(logGroupName="/app/web", nextToken="forged"))
    assert error["Code"] == "InvalidParameterException"
    error = error_of(lambda: logs.filter_log_events(logGroupName="/nope"))
    assert (error["Code"], error["Message"]) == ("ResourceNotFoundException", "The specified log group does not exist.")


def test_delete_group_deletes_its_events(logs, filled):
    logs.delete_log_group(logGroupName="/app/web")
    logs.create_log_group(logGroupName="/app/web")
    assert logs.filter_log_events(logGroupName="/app/web")["events"] == []
    assert logs.describe_log_streams(logGroupName="/app/web")["logStreams"] == []


# -- the ingestion API other services use --------------------------------------------------------

def test_append_creates_group_and_stream(cloud, logs):
    logs_api = cloud.cloud.services.api("logs")
    now = now_ms()

    async def append():
        return logs_api.append(ACCOUNT, "us-east-1", "RDSOSMetrics", "db-1",
                               [{"timestamp": now + 1, "message": json.dumps({"cpu": 12.5})}, (now, "first")])

    assert cloud.run(append()) == 2
    assert [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]] == ["RDSOSMetrics"]
    events = logs.get_log_events(logGroupName="RDSOSMetrics", logStreamName="db-1", startFromHead=True)["events"]
    assert messages(events) == ["first", '{"cpu": 12.5}']
    assert messages(logs.filter_log_events(logGroupName="RDSOSMetrics", filterPattern="{ $.cpu > 10 }")["events"]) == ['{"cpu": 12.5}']
    assert logs.describe_log_groups()["logGroups"][0]["storedBytes"] == len("first") + len('{"cpu": 12.5}')


def test_groups_streams_and_events_survive_kill9(tmp_path):
    from regionbox.testing.process import CloudProcess

    first = CloudProcess(state_dir=tmp_path).start()
    try:
        logs = first.client("logs", account=ACCOUNT)
        now = now_ms()
        stream(logs, events=[{"timestamp": now + i, "message": f"durable {i}"} for i in range(3)])
        logs.put_retention_policy(logGroupName="/app/web", retentionInDays=7)
        token = logs.get_log_events(logGroupName="/app/web", logStreamName="main", startFromHead=True)["nextForwardToken"]
        query_id = start_query(logs, "fields @message | sort @timestamp asc")
        results = finished(logs, query_id)["results"]
        assert len(results) == 3
        first.kill9()
        second = CloudProcess(state_dir=tmp_path, port=first.port).start()
        try:
            logs = second.client("logs", account=ACCOUNT)
            group = logs.describe_log_groups()["logGroups"][0]
            assert (group["logGroupName"], group["retentionInDays"]) == ("/app/web", 7)
            events = logs.get_log_events(logGroupName="/app/web", logStreamName="main", startFromHead=True)["events"]
            assert messages(events) == ["durable 0", "durable 1", "durable 2"]
            # Tokens handed out before the crash still work after it.
            logs.put_log_events(logGroupName="/app/web", logStreamName="main", logEvents=[{"timestamp": now + 5, "message": "after"}])
            assert messages(logs.get_log_events(logGroupName="/app/web", logStreamName="main", nextToken=token)["events"]) == ["after"]
            # So do the results of a query that finished before it.
            assert finished(logs, query_id)["results"] == results
        finally:
            second.stop()
    finally:
        first.stop()


# -- filter patterns never crash -------------------------------------------------------------------

_PATTERN_PIECES = ["{", "}", "(", ")", "[", "]", "$.a", "$.b[0]", "$.c.d", "=", "!=", ">", "<=", "&&", "||", '"x*"', "1.5",
                   "IS", "NULL", "NOT", "EXISTS", "TRUE", "?", "-", "%", "ERROR", "...", ",", "w1", '"', "\\", " "]


def test_any_filter_pattern_compiles_or_is_refused_cleanly():
    """Whatever a caller types as a pattern, the answer is a predicate or a PatternError (an
    InvalidParameterException on the wire), never another exception (a 500)."""
    from hypothesis import given, settings, strategies as st

    from regionbox.services.logs.patterns import PatternError, compile_pattern

    pieces = st.lists(st.sampled_from(_PATTERN_PIECES) | st.text(max_size=3), max_size=12).map("".join)
    messages_ = st.sampled_from(['{"a": 1, "b": [2], "c": {"d": "xy"}}', "ERROR x y 3", "", "[1, 2]", "null", "w1 w2 w3"])

    @settings(max_examples=400, deadline=None)
    @given(pieces, messages_)
    def check(pattern, message):
        try:
            predicate = compile_pattern(pattern)
        except PatternError:
            return
        assert predicate(message) in (True, False)

    check()


# -- Logs Insights -----------------------------------------------------------------------------------

def finished(logs, query_id: str, timeout: float = 60) -> dict:
    """GetQueryResults polled until the query is no longer Scheduled or Running, as clients do."""
    deadline = time.monotonic() + timeout
    while True:
        result = logs.get_query_results(queryId=query_id)
        if result["status"] not in ("Scheduled", "Running") or time.monotonic() > deadline:
            return result
        time.sleep(0.02)


def insights(logs, query: str, **kwargs) -> dict:
    now = int(time.time())
    query_id = logs.start_query(logGroupName="/app/web", startTime=now - 3600, endTime=now + 60, queryString=query,
                                **kwargs)["queryId"]
    result = finished(logs, query_id)
    assert result["status"] == "Complete"
    return result


def rows(result: dict) -> list[dict]:
    return [{f["field"]: f["value"] for f in row if f["field"] != "@ptr"} for row in result["results"]]


def test_insights_fields_filter_sort_limit(logs, filled):
    result = insights(logs, 'fields @timestamp, @message, user.name | filter level = "ERROR" or @message like /reset/ '
                            "| sort @timestamp desc | limit 5")
    found = rows(result)
    assert [r["@message"] for r in found] == [FILTER_EVENTS[6], FILTER_EVENTS[3]]
    assert found[1]["user.name"] == "alice" and "user.name" not in found[0]
    assert found[0]["@timestamp"].count(":") == 2 and len(found[0]["@timestamp"]) == 23  # 2026-11-28 18:00:00.000
    assert all(any(f["field"] == "@ptr" for f in row) for row in result["results"])
    assert result["statistics"]["recordsScanned"] == 9 and result["statistics"]["recordsMatched"] == 2
    numeric = rows(insights(logs, "fields user.id | filter user.id > 8 | sort user.id asc"))
    assert [r["user.id"] for r in numeric] == ["9", "42"]
    assert len(rows(insights(logs, "fields @message | limit 3"))) == 3
    assert len(rows(insights(logs, "fields @message", limit=4))) == 4
    assert [r["@message"] for r in rows(insights(logs, "filter @logStream = 'two' and @message not like /ERROR/"))] == \
        [FILTER_EVENTS[i] for i in (8, 7, 5)]


def test_insights_stats(logs, filled):
    found = rows(insights(logs, "stats count(*) as n, avg(latency), max(user.id) by level | sort n desc, level asc"))
    assert found == [
        {"n": "6"},  # the six messages without a level
        {"level": "ERROR", "n": "1", "avg(latency)": "1.5", "max(user.id)": "42"},
        {"level": "INFO", "n": "1", "avg(latency)": "0.2", "max(user.id)": "7"},
        {"level": "WARN", "n": "1", "avg(latency)": "3", "max(user.id)": "9"},
    ]
    binned = rows(insights(logs, "stats count(*) by bin(1h)"))
    assert sum(int(r["count(*)"]) for r in binned) == 9 and all(r["bin(1h)"].endswith(":00:00.000") for r in binned)


def test_insights_errors_and_bookkeeping(logs, filled):
    now = int(time.time())
    error = error_of(lambda: logs.start_query(logGroupName="/app/web", startTime=now, endTime=now,
                                              queryString="fields @message | bogus"))
    assert error["Code"] == "MalformedQueryException"
    error = error_of(lambda: logs.start_query(logGroupName="/nope", startTime=now, endTime=now, queryString="fields @message"))
    assert error["Code"] == "ResourceNotFoundException"
    error = error_of(lambda: logs.start_query(logGroupName="/app/web", startTime=now, endTime=now - 10, queryString="fields @message"))
    assert error["Code"] == "InvalidParameterException"
    assert error_of(lambda: logs.get_query_results(queryId="nope"))["Code"] == "ResourceNotFoundException"
    query_id = logs.start_query(logGroupName="/app/web", startTime=now - 60, endTime=now, queryString="fields @message")["queryId"]
    finished(logs, query_id)
    assert logs.stop_query(queryId=query_id)["success"] is False
    described = logs.describe_queries(logGroupName="/app/web")["queries"]
    assert [q["queryId"] for q in described] == [query_id] and described[0]["status"] == "Complete"


def test_only_operations_of_services_regionbox_does_not_serve_are_left_and_say_why(cloud, logs):
    error = error_of(lambda: logs.associate_kms_key(logGroupName="/app/web", kmsKeyId="arn:aws:kms:us-east-1:1:key/k"))
    assert error["Code"] == "NotImplemented" and "KMS" in error["Message"]
    reasons = cloud.get("/_regionbox/coverage")["services"]["logs"]["not_implemented"]
    assert sorted(reasons) == sorted([
        "AssociateKmsKey", "DisassociateKmsKey", "AssociateSourceToS3TableIntegration",
        "DisassociateSourceFromS3TableIntegration", "ListSourcesForS3TableIntegration", "PutIntegration",
        "GetIntegration", "DeleteIntegration", "ListIntegrations", "PutSyslogConfiguration",
        "DeleteSyslogConfiguration", "ListSyslogConfigurations"])
    assert all("which regionbox does not serve yet" in why for why in reasons.values())


# -- Logs Insights queries run off the event loop, with bounded memory, kept seven days ---------------

BIG = 60_000


@pytest.fixture
def big_group(cloud, logs):
    """Fills /big with that many JSON events of the last hour, written the way services write
    (LogsApi): {"n": 0..count-1, "level": ERROR for every seventh else INFO, "path": /items/0..49}."""

    def fill(count: int = BIG) -> str:
        logs.create_log_group(logGroupName="/big")
        first = now_ms() - HOUR

        async def append():
            logs_api = cloud.cloud.services.api("logs")
            for chunk in range(0, count, 20_000):
                logs_api.append(ACCOUNT, "us-east-1", "/big", "web", [
                    (first + i, json.dumps({"n": i, "level": "ERROR" if i % 7 == 0 else "INFO", "path": f"/items/{i % 50}"}))
                    for i in range(chunk, min(count, chunk + 20_000))])

        cloud.run(append())
        return "/big"

    return fill


def start_query(logs, query: str, group: str = "/app/web") -> str:
    now = int(time.time())
    return logs.start_query(logGroupName=group, startTime=now - 7200, endTime=now + 60, queryString=query)["queryId"]


def test_a_long_query_runs_off_the_event_loop(cloud, logs, big_group):
    """StartQuery answers before the scan is done, and the cloud keeps answering everyone else
    while the query scans a large group: GetCallerIdentity round trips go on, and stay quick."""
    sts = cloud.client("sts")
    sts.get_caller_identity()
    pings: list[tuple[float, float]] = []
    stop = threading.Event()

    def ping():
        while not stop.is_set():
            began = time.monotonic()
            sts.get_caller_identity()
            pings.append((began, time.monotonic()))

    pinger = threading.Thread(target=ping)
    pinger.start()
    try:
        time.sleep(0.2)
        began = time.monotonic()
        query_id = start_query(logs, "filter level = 'ERROR' | stats count(*) as errors by path | sort errors desc",
                               group=big_group())
        first_look = logs.get_query_results(queryId=query_id)
        result = finished(logs, query_id, timeout=300)
        ended = time.monotonic()
    finally:
        stop.set()
        pinger.join()
    took = ended - began
    assert result["status"] == "Complete" and result["statistics"]["recordsScanned"] == BIG
    assert rows(result)[0] == {"path": "/items/0", "errors": str(len(range(0, BIG, 350)))}
    assert took > 0.5, f"the scan took {took:.2f}s: too little to show anything"
    assert first_look["status"] in ("Scheduled", "Running") and first_look["results"] == []
    # Round trips that began and ended while the query ran: a loop busy scanning would allow none.
    during = sorted(end - start for start, end in pings if start >= began and end <= ended)
    assert len(during) >= 10, (len(during), took)
    assert during[len(during) // 2] < took / 10, (during[len(during) // 2], took)


def test_a_query_holds_only_the_rows_it_answers_with(cloud, logs, big_group):
    count = 20_000
    group = big_group(count)
    tracemalloc.start()
    try:
        result = finished(logs, start_query(logs, "fields n, path | sort n desc | limit 20", group=group), timeout=300)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result["status"] == "Complete" and result["statistics"]["recordsMatched"] == count
    assert [int(r["n"]) for r in rows(result)] == list(range(count - 1, count - 21, -1))
    # Every event of the group as a record at once would take well over 16 MiB.
    assert peak < 4 * 1024 * 1024, peak


def test_stop_query_cancels_a_running_query(cloud, logs, big_group):
    query_id = start_query(logs, "fields @message | sort n desc", group=big_group())
    assert logs.stop_query(queryId=query_id)["success"] is True
    result = finished(logs, query_id, timeout=300)
    assert (result["status"], result["results"]) == ("Cancelled", [])
    assert [q["queryId"] for q in logs.describe_queries(status="Cancelled")["queries"]] == [query_id]
    assert logs.stop_query(queryId=query_id)["success"] is False


def test_a_query_that_breaks_fails_and_one_that_runs_too_long_times_out(cloud, logs, filled, monkeypatch):
    from regionbox.services.logs import query_runs

    monkeypatch.setattr(query_runs, "QUERY_TIMEOUT_SECONDS", -1)
    assert finished(logs, start_query(logs, "fields @message"))["status"] == "Timeout"
    monkeypatch.undo()

    def broken(*args):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(query_runs, "record_of", broken)
    query_id = start_query(logs, "fields @message")
    assert finished(logs, query_id)["status"] == "Failed"
    assert [q["status"] for q in logs.describe_queries()["queries"]] == ["Failed", "Timeout"]
    failures = cloud.get("/_regionbox/status")["background_failures"]
    assert any(query_id in f["what"] and "the disk is on fire" in f["error"] for f in failures)


def test_finished_queries_are_kept_seven_days(cloud, logs, filled, monkeypatch):
    from regionbox.core import clock

    query_id = start_query(logs, "fields @message | limit 2")
    assert finished(logs, query_id)["status"] == "Complete"
    real = clock.epoch
    monkeypatch.setattr(clock, "epoch", lambda: real() + 7 * 86400 - 60)
    assert len(logs.get_query_results(queryId=query_id)["results"]) == 2
    assert [q["queryId"] for q in logs.describe_queries()["queries"]] == [query_id]
    monkeypatch.setattr(clock, "epoch", lambda: real() + 7 * 86400 + 60)
    error = error_of(lambda: logs.get_query_results(queryId=query_id))
    assert (error["Code"], error["Message"]) == ("ResourceNotFoundException", "Query does not exist.")
    assert logs.describe_queries()["queries"] == []
    # Gone from storage too once another query runs, not only hidden.
    later = start_query(logs, "fields @message")
    finished(logs, later)
    stored = cloud.cloud.store.execute("SELECT query_id FROM log_queries").fetchall()
    assert stored == [(later,)]


def test_only_the_latest_queries_are_kept(cloud, logs, filled, monkeypatch):
    from regionbox.services.logs import query_runs

    monkeypatch.setattr(query_runs, "QUERIES_KEPT", 3)
    started = []
    for _ in range(5):
        started.append(start_query(logs, "stats count(*)"))
        assert finished(logs, started[-1])["status"] == "Complete"
    assert [q["queryId"] for q in logs.describe_queries()["queries"]] == started[:1:-1]
    assert error_of(lambda: logs.get_query_results(queryId=started[0]))["Code"] == "ResourceNotFoundException"
    # Another account's queries are its own.
    assert cloud.client("logs", account="210987654321").describe_queries()["queries"] == []
