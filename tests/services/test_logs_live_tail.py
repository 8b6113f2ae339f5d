"""Live Tail through boto3's own event-stream reader: start_live_tail answers a stream that
carries sessionStart, then a sessionUpdate every second with what another client puts meanwhile
(filtered, sampled down to 500), and ends with SessionTimeoutException after the session limit
(a few seconds here, REGIONBOX_LOGS_LIVE_TAIL_SECONDS); closing a stream ends its session."""

from __future__ import annotations

import threading
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

from regionbox.config import Config as CloudConfig
from regionbox.testing.clients import RunningCloud
from tests.services.logs_support import ACCOUNT, error_of

SESSION_SECONDS = 3.5


@pytest.fixture(scope="module")
def short_sessions():
    running = RunningCloud(CloudConfig(ephemeral=True, logs_live_tail_seconds=SESSION_SECONDS)).start()
    yield running
    running.stop()


@pytest.fixture
def cloud(short_sessions):
    short_sessions.reset()
    return short_sessions


@pytest.fixture
def logs(cloud):
    return cloud.client("logs", account=ACCOUNT)


@pytest.fixture
def tail(cloud):
    # StartLiveTail's host prefix ("stream-") names no host of a local endpoint: leave it out,
    # as AWS_DISABLE_HOST_PREFIX_INJECTION=true does for the CLI and SDKs.
    return cloud.client("logs", account=ACCOUNT, config=Config(inject_host_prefix=False, retries={"max_attempts": 1},
                                                                read_timeout=30))


def group(logs, name="/app/web", streams=("main",)) -> str:
    logs.create_log_group(logGroupName=name)
    for stream in streams:
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
    return logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["logGroupArn"]


def put_later(logs, batches, delay=0.3, name="/app/web"):
    """Put (stream, [messages]) batches from another thread, while the test reads the stream."""
    def run():
        time.sleep(delay)
        for stream, messages in batches:
            now = int(time.time() * 1000)
            logs.put_log_events(logGroupName=name, logStreamName=stream,
                                logEvents=[{"timestamp": now, "message": m} for m in messages])
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def read_all(stream) -> tuple[list[dict], Exception | None]:
    events, ended = [], None
    try:
        for event in stream:
            events.append(event)
    except EventStreamError as error:
        ended = error
    return events, ended


def test_live_tail_streams_what_is_put_until_the_session_times_out(logs, tail):
    arn = group(logs, streams=("main", "other"))
    started = time.monotonic()
    response = tail.start_live_tail(logGroupIdentifiers=[arn], logEventFilterPattern="ERROR")
    writer = put_later(logs, [("main", ["ERROR disk full", "all good"]), ("other", ["ERROR from other"])])
    events, ended = read_all(response["responseStream"])
    writer.join()
    elapsed = time.monotonic() - started
    start, updates = events[0]["sessionStart"], [e["sessionUpdate"] for e in events[1:]]
    assert start["logGroupIdentifiers"] == [arn] and start["logEventFilterPattern"] == "ERROR"
    assert start["sessionId"] and start["requestId"]
    # One update a second, the empty ones too.
    assert len(updates) == int(SESSION_SECONDS) and all("sessionMetadata" in u for u in updates)
    results = [r for u in updates for r in u["sessionResults"]]
    assert [(r["logStreamName"], r["message"]) for r in results] == [("main", "ERROR disk full"),
                                                                     ("other", "ERROR from other")]
    assert all(r["logGroupIdentifier"] == f"{ACCOUNT}:/app/web" and r["ingestionTime"] >= r["timestamp"] - 1000
               for r in results)
    assert ended.response["Error"]["Code"] == "SessionTimeoutException"
    assert elapsed >= SESSION_SECONDS  # never ends early (how late depends on the machine's load)


def test_live_tail_of_chosen_streams_samples_a_flood_down_to_500(logs, tail):
    arn = group(logs, streams=("web-1", "web-2", "worker"))
    response = tail.start_live_tail(logGroupIdentifiers=[arn], logStreamNamePrefixes=["web-"])
    writer = put_later(logs, [("worker", ["not tailed"]), ("web-1", [f"event {i}" for i in range(700)])])
    events, _ = read_all(response["responseStream"])
    writer.join()
    assert events[0]["sessionStart"]["logStreamNamePrefixes"] == ["web-"]
    flood = next(e["sessionUpdate"] for e in events[1:] if e["sessionUpdate"]["sessionResults"])
    assert flood["sessionMetadata"]["sampled"] is True and len(flood["sessionResults"]) == 500
    assert {r["logStreamName"] for r in flood["sessionResults"]} == {"web-1"}
    numbers = [int(r["message"].split()[1]) for r in flood["sessionResults"]]
    assert numbers == sorted(numbers)


def test_live_tail_masks_what_data_protection_masks(logs, tail):
    import json
    arn = group(logs)
    identifiers = ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"]
    logs.put_data_protection_policy(logGroupIdentifier="/app/web", policyDocument=json.dumps({
        "Name": "p", "Version": "2021-06-01", "Statement": [
            {"Sid": "audit", "DataIdentifier": identifiers, "Operation": {"Audit": {"FindingsDestination": {}}}},
            {"Sid": "redact", "DataIdentifier": identifiers, "Operation": {"Deidentify": {"MaskConfig": {}}}}]}))
    response = tail.start_live_tail(logGroupIdentifiers=[arn])
    writer = put_later(logs, [("main", ["mail alice@example.com now"])])
    events, _ = read_all(response["responseStream"])
    writer.join()
    messages = [r["message"] for e in events[1:] for r in e["sessionUpdate"]["sessionResults"]]
    assert messages == ["mail ***************** now"]


def test_closing_a_stream_ends_its_session_and_frees_its_place(logs, tail):
    arn = group(logs)
    streams = [tail.start_live_tail(logGroupIdentifiers=[arn])["responseStream"] for _ in range(15)]
    for stream in streams:
        next(iter(stream))  # sessionStart
    limit = error_of(lambda: tail.start_live_tail(logGroupIdentifiers=[arn]))
    assert limit["Code"] == "LimitExceededException"
    streams[0].close()
    deadline = time.monotonic() + 5
    while True:
        try:
            replacement = tail.start_live_tail(logGroupIdentifiers=[arn])["responseStream"]
            break
        except ClientError:
            assert time.monotonic() < deadline, "a closed session kept its place"
            time.sleep(0.1)
    for stream in streams[1:] + [replacement]:
        stream.close()


def test_live_tail_validation(logs, tail):
    arn = group(logs)
    other = group(logs, "/app/other")
    missing = error_of(lambda: tail.start_live_tail(logGroupIdentifiers=[arn.replace("/app/web", "/nope")]))
    assert missing == {"Code": "ResourceNotFoundException", "Message": "The specified log group does not exist."}
    both = error_of(lambda: tail.start_live_tail(logGroupIdentifiers=[arn], logStreamNames=["a"],
                                               logStreamNamePrefixes=["b"]))
    assert both["Code"] == "InvalidParameterException" and "mutually exclusive" in both["Message"]
    two_groups = error_of(lambda: tail.start_live_tail(logGroupIdentifiers=[arn, other], logStreamNames=["main"]))
    assert two_groups["Code"] == "InvalidParameterException" and "exactly one log group" in two_groups["Message"]
    star = error_of(lambda: tail.start_live_tail(logGroupIdentifiers=[arn + ":*"]))
    # The model's pattern refuses the ":*" AWS says an identifier must not end with.
    assert star["Code"] == "InvalidParameterException" and "regular expression pattern" in star["Message"]
    pattern = error_of(lambda: tail.start_live_tail(logGroupIdentifiers=[arn], logEventFilterPattern="{ $.x = "))
    assert pattern["Code"] == "InvalidParameterException"
    too_many = error_of(lambda: tail.start_live_tail(logGroupIdentifiers=[arn] * 11))
    assert too_many["Code"] == "InvalidParameterException" and too_many["Message"].startswith("1 validation error")


def test_iam_authorizes_live_tail_on_each_log_group(cloud, logs):
    import json
    web, other = group(logs), group(logs, "/app/other")
    iam = cloud.client("iam", account=ACCOUNT)
    iam.create_user(UserName="tailer")
    iam.put_user_policy(UserName="tailer", PolicyName="tail-web", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:StartLiveTail",
                                               "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/web:*"}]}))
    key = iam.create_access_key(UserName="tailer")["AccessKey"]
    user = cloud.client("logs", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"],
                        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))
    stream = user.start_live_tail(logGroupIdentifiers=[web])["responseStream"]
    assert "sessionStart" in next(iter(stream))
    stream.close()
    denied = error_of(lambda: user.start_live_tail(logGroupIdentifiers=[web, other]))
    assert denied["Code"] == "AccessDeniedException" and "/app/other" in denied["Message"]
