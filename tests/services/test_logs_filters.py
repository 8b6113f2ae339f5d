"""CloudWatch Logs metric filters, subscription filters and destinations through boto3: what
they match, the metrics they publish (kept for CloudWatch), the records they deliver (to a
Kinesis stand-in read back with boto3, and a Lambda stand-in), AWS's limits and errors, and
cross-account delivery through a destination whose policy allows it."""

from __future__ import annotations

import base64
import gzip
import json
import sqlite3
import time

import pytest
from botocore.config import Config

from regionbox.services import SERVICES
from regionbox.testing.clients import RunningCloud
from regionbox.testing.process import CloudProcess
from regionbox.testing.waiting import eventually
from tests.services import fake_kinesis, fake_lambda
from tests.services.logs_support import ACCOUNT, error_of, now_ms
from tests.services.logs_support import make_group as group

OTHER = "210987654321"


@pytest.fixture(scope="module")
def targets_cloud():
    running = RunningCloud(services={**SERVICES, "kinesis": fake_kinesis.ENTRY, "lambda": fake_lambda.ENTRY}).start()
    yield running
    running.stop()


@pytest.fixture
def cloud(targets_cloud):
    targets_cloud.reset()
    return targets_cloud


@pytest.fixture
def logs(cloud):
    return cloud.client("logs", account=ACCOUNT)


def put(logs, messages, name="/app/web", stream="main"):
    now = now_ms()
    logs.put_log_events(logGroupName=name, logStreamName=stream,
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])


def role(cloud, account=ACCOUNT, name="logs-to-kinesis"):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    return cloud.client("iam", account=account).create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def lambda_api(cloud):
    """The Lambda stand-in's api, loaded on the cloud's own loop as services load."""
    async def load():
        return cloud.cloud.services.api("lambda")
    return cloud.run(load())


def kinesis_records(cloud, stream_arn, account=ACCOUNT) -> list[dict]:
    kinesis = cloud.client("kinesis", account=account)
    iterator = kinesis.get_shard_iterator(StreamARN=stream_arn, ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return [dict(json.loads(gzip.decompress(r["Data"])), partitionKey=r["PartitionKey"])
            for r in kinesis.get_records(ShardIterator=iterator)["Records"]]


# -- metric filters ------------------------------------------------------------------------------

SPACE = "[ip, user, timestamp, request, status = 4*, size]"


def test_metric_filters_publish_cloudwatch_metrics(cloud, logs):
    group(logs)
    logs.put_metric_filter(logGroupName="/app/web", filterName="client-errors", filterPattern=SPACE,
                           metricTransformations=[{"metricName": "Bytes4xx", "metricNamespace": "Web",
                                                   "metricValue": "$size", "dimensions": {"Status": "$status"},
                                                   "unit": "Bytes"}])
    logs.put_metric_filter(logGroupName="/app/web", filterName="slow", filterPattern="{ $.latency > 1 }",
                           metricTransformations=[{"metricName": "Latency", "metricNamespace": "Web",
                                                   "metricValue": "$.latency", "defaultValue": 0}])
    put(logs, ["1.2.3.4 alice 2024 GET 404 512", "1.2.3.4 bob 2024 GET 200 100", '{"latency": 2.5}',
               "5.6.7.8 carol 2024 PUT 403 64"])
    described = logs.describe_metric_filters(logGroupName="/app/web")["metricFilters"]
    assert [f["filterName"] for f in described] == ["client-errors", "slow"]
    assert described[0]["metricTransformations"][0]["dimensions"] == {"Status": "$status"}
    assert logs.describe_log_groups()["logGroups"][0]["metricFilterCount"] == 2
    assert [f["filterName"] for f in logs.describe_metric_filters(metricName="Latency", metricNamespace="Web")[
        "metricFilters"]] == ["slow"]
    # The points are CloudWatch metrics, read as any client reads them.
    cloudwatch = cloud.client("cloudwatch", account=ACCOUNT)
    bytes_404 = stats(cloudwatch, "Web", "Bytes4xx", [{"Name": "Status", "Value": "404"}])
    assert (bytes_404["Sum"], bytes_404["SampleCount"], bytes_404["Unit"]) == (512.0, 1.0, "Bytes")
    assert stats(cloudwatch, "Web", "Bytes4xx", [{"Name": "Status", "Value": "403"}])["Sum"] == 64.0
    # The default value stands for each event the pattern does not match.
    latency = stats(cloudwatch, "Web", "Latency")
    assert (latency["SampleCount"], latency["Sum"], latency["Minimum"], latency["Maximum"]) == (4.0, 2.5, 0.0, 2.5)
    listed = cloudwatch.list_metrics(Namespace="Web")["Metrics"]
    assert sorted((m["MetricName"], str(m["Dimensions"])) for m in listed) == [
        ("Bytes4xx", "[{'Name': 'Status', 'Value': '403'}]"), ("Bytes4xx", "[{'Name': 'Status', 'Value': '404'}]"),
        ("Latency", "[]")]
    logs.delete_metric_filter(logGroupName="/app/web", filterName="slow")
    assert [f["filterName"] for f in logs.describe_metric_filters()["metricFilters"]] == ["client-errors"]


def stats(cloudwatch, namespace: str, name: str, dimensions=()) -> dict:
    """The one datapoint of the last hour's statistics, once CloudWatch has written it."""
    def datapoint():
        found = cloudwatch.get_metric_statistics(
            Namespace=namespace, MetricName=name, Dimensions=list(dimensions), StartTime=time.time() - 3600,
            EndTime=time.time() + 60, Period=3600, Statistics=["Sum", "SampleCount", "Minimum", "Maximum"])["Datapoints"]
        return found[0] if found else None
    return eventually(datapoint, what=f"{namespace} {name} in CloudWatch")


def test_test_metric_filter_shows_what_a_pattern_extracts(logs):
    matches = logs.test_metric_filter(filterPattern=SPACE, logEventMessages=[
        "1.2.3.4 alice 2024 GET 404 512", "1.2.3.4 bob 2024 GET 200 100"])["matches"]
    assert matches == [{"eventNumber": 1, "eventMessage": "1.2.3.4 alice 2024 GET 404 512",
                        "extractedValues": {"$ip": "1.2.3.4", "$user": "alice", "$timestamp": "2024",
                                            "$request": "GET", "$status": "404", "$size": "512"}}]
    json_matches = logs.test_metric_filter(filterPattern='{ $.user.id = 5 }', logEventMessages=[
        '{"user": {"id": 5}}', '{"user": {"id": 6}}', "not json"])["matches"]
    assert [(m["eventNumber"], m["extractedValues"]) for m in json_matches] == [(1, {"$.user.id": "5"})]
    assert logs.test_metric_filter(filterPattern="ERROR -DEBUG", logEventMessages=["ERROR x", "ERROR DEBUG"])[
        "matches"] == [{"eventNumber": 1, "eventMessage": "ERROR x", "extractedValues": {}}]


def test_metric_filter_validation(logs):
    group(logs)
    transformation = {"metricName": "M", "metricNamespace": "N", "metricValue": "1"}
    missing = error_of(lambda: logs.put_metric_filter(logGroupName="/nope", filterName="f", filterPattern="",
                                                      metricTransformations=[transformation]))
    assert missing == {"Code": "ResourceNotFoundException", "Message": "The specified log group does not exist."}
    bad = error_of(lambda: logs.put_metric_filter(logGroupName="/app/web", filterName="f", filterPattern="{ $.x = ",
                                                  metricTransformations=[transformation]))
    assert bad["Code"] == "InvalidParameterException" and "Invalid filter pattern" in bad["Message"]
    too_many_regex = error_of(lambda: logs.put_metric_filter(
        logGroupName="/app/web", filterName="f", filterPattern="%a% %b% %c%", metricTransformations=[transformation]))
    assert too_many_regex["Code"] == "InvalidParameterException" and "at most 2 regular expressions" in too_many_regex["Message"]
    both = error_of(lambda: logs.put_metric_filter(
        logGroupName="/app/web", filterName="f", filterPattern=SPACE,
        metricTransformations=[{**transformation, "defaultValue": 1, "dimensions": {"S": "$status"}}]))
    assert both["Code"] == "InvalidParameterException" and "cannot have a default value" in both["Message"]
    unknown_field = error_of(lambda: logs.put_metric_filter(
        logGroupName="/app/web", filterName="f", filterPattern=SPACE,
        metricTransformations=[{**transformation, "metricValue": "$nope"}]))
    assert "$nope is not a field of the filter pattern" in unknown_field["Message"]
    terms_field = error_of(lambda: logs.put_metric_filter(
        logGroupName="/app/web", filterName="f", filterPattern="ERROR",
        metricTransformations=[{**transformation, "metricValue": "$.x"}]))
    assert "can be used only with a JSON or space-delimited filter pattern" in terms_field["Message"]
    model = error_of(lambda: logs.put_metric_filter(logGroupName="/app/web", filterName="a:b", filterPattern="",
                                                    metricTransformations=[transformation]))
    assert model["Code"] == "InvalidParameterException" and model["Message"].startswith("1 validation error detected")
    gone = error_of(lambda: logs.delete_metric_filter(logGroupName="/app/web", filterName="nope"))
    assert gone == {"Code": "ResourceNotFoundException", "Message": "The specified metric filter does not exist."}
    pair = error_of(lambda: logs.describe_metric_filters(metricName="M"))
    assert pair["Code"] == "InvalidParameterException"


def test_metric_filters_page_and_limit_per_group(logs):
    group(logs)
    transformation = [{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}]
    for i in range(100):
        logs.put_metric_filter(logGroupName="/app/web", filterName=f"f{i:03d}", filterPattern="",
                               metricTransformations=transformation)
    limit = error_of(lambda: logs.put_metric_filter(logGroupName="/app/web", filterName="one-more", filterPattern="",
                                                    metricTransformations=transformation))
    assert limit == {"Code": "LimitExceededException", "Message": "Resource limit exceeded."}
    # Putting an existing filter again updates it: no new one.
    logs.put_metric_filter(logGroupName="/app/web", filterName="f000", filterPattern="ERROR",
                           metricTransformations=transformation)
    first = logs.describe_metric_filters(logGroupName="/app/web", limit=30)
    assert len(first["metricFilters"]) == 30 and first["nextToken"]
    names = [f["filterName"] for page in logs.get_paginator("describe_metric_filters").paginate(logGroupName="/app/web")
             for f in page["metricFilters"]]
    assert names == [f"f{i:03d}" for i in range(100)]
    bad = error_of(lambda: logs.describe_metric_filters(logGroupName="/app/web", nextToken="made-up"))
    assert bad == {"Code": "InvalidParameterException", "Message": "The specified nextToken is invalid."}
    prefixed = logs.describe_metric_filters(logGroupName="/app/web", filterNamePrefix="f09")["metricFilters"]
    assert [f["filterName"] for f in prefixed] == [f"f{i:03d}" for i in range(90, 100)]


def test_filters_go_with_their_group(logs):
    group(logs)
    logs.put_metric_filter(logGroupName="/app/web", filterName="f", filterPattern="",
                           metricTransformations=[{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}])
    logs.delete_log_group(logGroupName="/app/web")
    group(logs)
    assert logs.describe_metric_filters()["metricFilters"] == []


# -- subscription filters ------------------------------------------------------------------------

def test_subscription_filter_delivers_to_kinesis(cloud, logs):
    group(logs)
    kinesis = cloud.client("kinesis", account=ACCOUNT)
    kinesis.create_stream(StreamName="logs", ShardCount=1)
    stream_arn = kinesis.describe_stream_summary(StreamName="logs")["StreamDescriptionSummary"]["StreamARN"]
    role_arn = role(cloud)
    logs.put_subscription_filter(logGroupName="/app/web", filterName="errors", filterPattern="ERROR",
                                 destinationArn=stream_arn, roleArn=role_arn)
    put(logs, ["ERROR one", "fine", "ERROR two"])
    control, data = kinesis_records(cloud, stream_arn)
    assert control["messageType"] == "CONTROL_MESSAGE"
    assert control["logEvents"][0]["message"] == "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."
    assert data["messageType"] == "DATA_MESSAGE" and data["owner"] == ACCOUNT
    assert (data["logGroup"], data["logStream"], data["subscriptionFilters"]) == ("/app/web", "main", ["errors"])
    assert [e["message"] for e in data["logEvents"]] == ["ERROR one", "ERROR two"]
    assert all(len(e["id"]) == 56 for e in data["logEvents"]) and data["partitionKey"] == "main"
    described = logs.describe_subscription_filters(logGroupName="/app/web")["subscriptionFilters"]
    assert described == [{"filterName": "errors", "logGroupName": "/app/web", "filterPattern": "ERROR",
                          "destinationArn": stream_arn, "roleArn": role_arn, "distribution": "ByLogStream",
                          "applyOnTransformedLogs": False, "creationTime": described[0]["creationTime"]}]
    logs.delete_subscription_filter(logGroupName="/app/web", filterName="errors")
    put(logs, ["ERROR three"])
    assert len(kinesis_records(cloud, stream_arn)) == 2


def test_subscription_filter_delivers_to_lambda(cloud, logs):
    group(logs)
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:shipper"
    lambda_api(cloud).add_function(function)
    logs.put_subscription_filter(logGroupName="/app/web", filterName="all", filterPattern="",
                                 destinationArn=function)
    put(logs, ["hello"])
    (payload,) = lambda_api(cloud).invocations[function]
    message = json.loads(gzip.decompress(base64.b64decode(json.loads(payload)["awslogs"]["data"])))
    assert [e["message"] for e in message["logEvents"]] == ["hello"]


def test_subscription_filter_targets_that_do_not_exist_answer_aws_errors(cloud, logs):
    group(logs)
    role_arn = role(cloud)
    stream = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/missing"
    assert error_of(lambda: logs.put_subscription_filter(
        logGroupName="/app/web", filterName="f", filterPattern="", destinationArn=stream, roleArn=role_arn)) == {
        "Code": "InvalidParameterException", "Message": "Could not deliver test message to specified Kinesis stream. "
                                                        "Check if the given kinesis stream is in ACTIVE state."}
    firehose = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/missing"
    assert error_of(lambda: logs.put_subscription_filter(
        logGroupName="/app/web", filterName="f", filterPattern="", destinationArn=firehose, roleArn=role_arn)) == {
        "Code": "InvalidParameterException", "Message": "Could not deliver test message to specified Firehose stream. "
                                                        "Check if the given Firehose stream is in ACTIVE state."}
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:missing"
    assert error_of(lambda: logs.put_subscription_filter(
        logGroupName="/app/web", filterName="f", filterPattern="", destinationArn=function)) == {
        "Code": "InvalidParameterException", "Message": "Could not execute the lambda function. Make sure you have "
                                                        "given CloudWatch Logs permission to execute your function."}
    queue = error_of(lambda: logs.put_subscription_filter(
        logGroupName="/app/web", filterName="f", filterPattern="", destinationArn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"))
    assert queue["Code"] == "InvalidParameterException" and "Kinesis data stream" in queue["Message"]
    assert logs.describe_subscription_filters(logGroupName="/app/web")["subscriptionFilters"] == []


def test_two_subscription_filters_per_group(cloud, logs):
    group(logs)
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:shipper"
    lambda_api(cloud).add_function(function)
    for name in ("a", "b"):
        logs.put_subscription_filter(logGroupName="/app/web", filterName=name, filterPattern="", destinationArn=function)
    third = error_of(lambda: logs.put_subscription_filter(logGroupName="/app/web", filterName="c", filterPattern="",
                                                          destinationArn=function))
    assert third == {"Code": "LimitExceededException", "Message": "Resource limit exceeded."}
    logs.put_subscription_filter(logGroupName="/app/web", filterName="b", filterPattern="ERROR", destinationArn=function)
    page = logs.describe_subscription_filters(logGroupName="/app/web", limit=1)
    assert [f["filterName"] for f in page["subscriptionFilters"]] == ["a"]
    rest = logs.describe_subscription_filters(logGroupName="/app/web", nextToken=page["nextToken"])
    assert [(f["filterName"], f["filterPattern"]) for f in rest["subscriptionFilters"]] == [("b", "ERROR")]
    gone = error_of(lambda: logs.delete_subscription_filter(logGroupName="/app/web", filterName="c"))
    assert gone == {"Code": "ResourceNotFoundException", "Message": "The specified subscription filter does not exist."}


def test_infrequent_access_groups_refuse_filters_and_live_tail(cloud, logs):
    group(logs, logGroupClass="INFREQUENT_ACCESS")
    refused = error_of(lambda: logs.put_metric_filter(
        logGroupName="/app/web", filterName="f", filterPattern="",
        metricTransformations=[{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}]))
    assert refused["Code"] == "InvalidOperationException" and "INFREQUENT_ACCESS" in refused["Message"]
    refused = error_of(lambda: logs.put_subscription_filter(
        logGroupName="/app/web", filterName="f", filterPattern="",
        destinationArn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:x"))
    assert refused["Code"] == "InvalidOperationException"
    arn = logs.describe_log_groups()["logGroups"][0]["logGroupArn"]
    # StartLiveTail's host prefix ("stream-") names no host here: clients leave it out.
    tail = cloud.client("logs", account=ACCOUNT, config=Config(inject_host_prefix=False))
    assert error_of(lambda: tail.start_live_tail(logGroupIdentifiers=[arn]))["Code"] == "InvalidOperationException"


# -- destinations --------------------------------------------------------------------------------

def test_cross_account_delivery_through_a_destination_policy(cloud):
    receiver = cloud.client("logs", account=ACCOUNT)
    sender = cloud.client("logs", account=OTHER)
    kinesis = cloud.client("kinesis", account=ACCOUNT)
    kinesis.create_stream(StreamName="central", ShardCount=1)
    stream_arn = kinesis.describe_stream_summary(StreamName="central")["StreamDescriptionSummary"]["StreamARN"]
    destination = receiver.put_destination(destinationName="central", targetArn=stream_arn,
                                           roleArn=role(cloud))["destination"]
    assert destination["arn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:destination:central"
    group(sender)
    denied = error_of(lambda: sender.put_subscription_filter(logGroupName="/app/web", filterName="ship",
                                                             filterPattern="", destinationArn=destination["arn"]))
    assert denied == {"Code": "AccessDeniedException", "Message": f"User with accountId: {OTHER} is not authorized "
                      f"to perform: logs:PutSubscriptionFilter on resource: {destination['arn']}"}
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": OTHER},
                                                      "Action": "logs:PutSubscriptionFilter",
                                                      "Resource": destination["arn"]}]}
    receiver.put_destination_policy(destinationName="central", accessPolicy=json.dumps(policy))
    sender.put_subscription_filter(logGroupName="/app/web", filterName="ship", filterPattern="",
                                   destinationArn=destination["arn"])
    put(sender, ["from the other account"])
    data = [r for r in kinesis_records(cloud, stream_arn) if r["messageType"] == "DATA_MESSAGE"]
    assert [(r["owner"], [e["message"] for e in r["logEvents"]]) for r in data] == [(OTHER, ["from the other account"])]
    described = receiver.describe_destinations(DestinationNamePrefix="cen")["destinations"]
    assert [(d["destinationName"], json.loads(d["accessPolicy"])) for d in described] == [("central", policy)]
    # A deleted destination disables the subscriptions that publish to it.
    receiver.delete_destination(destinationName="central")
    put(sender, ["after the destination went"])
    assert len([r for r in kinesis_records(cloud, stream_arn) if r["messageType"] == "DATA_MESSAGE"]) == 1


def test_destination_validation_and_pages(cloud):
    logs = cloud.client("logs", account=ACCOUNT)
    role_arn = role(cloud)
    missing = error_of(lambda: logs.put_destination(destinationName="d", roleArn=role_arn,
                                                    targetArn=f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/none"))
    assert missing["Message"].startswith("Could not deliver test message to specified Kinesis stream")
    kinesis = cloud.client("kinesis", account=ACCOUNT)
    kinesis.create_stream(StreamName="s", ShardCount=1)
    stream_arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    no_role = error_of(lambda: logs.put_destination(destinationName="d", targetArn=stream_arn,
                                                    roleArn=f"arn:aws:iam::{ACCOUNT}:role/none"))
    assert no_role["Message"].startswith("Could not deliver test message to specified Kinesis stream")
    lambda_target = error_of(lambda: logs.put_destination(destinationName="d", roleArn=role_arn,
                                                          targetArn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"))
    assert lambda_target["Code"] == "InvalidParameterException"
    for i in range(5):
        logs.put_destination(destinationName=f"d{i}", targetArn=stream_arn, roleArn=role_arn)
    page = logs.describe_destinations(limit=2)
    assert [d["destinationName"] for d in page["destinations"]] == ["d0", "d1"]
    names = [d["destinationName"] for p in logs.get_paginator("describe_destinations").paginate()
             for d in p["destinations"]]
    assert names == [f"d{i}" for i in range(5)]
    bad_policy = error_of(lambda: logs.put_destination_policy(destinationName="d0", accessPolicy="{not json"))
    assert bad_policy["Code"] == "InvalidParameterException"
    assert error_of(lambda: logs.put_destination_policy(destinationName="none", accessPolicy="{}")) == {
        "Code": "ResourceNotFoundException", "Message": "The specified destination does not exist."}
    assert error_of(lambda: logs.delete_destination(destinationName="none"))["Code"] == "ResourceNotFoundException"


def test_an_account_subscription_policy_delivers_every_group_but_the_excluded(cloud, logs):
    kinesis = cloud.client("kinesis", account=ACCOUNT)
    kinesis.create_stream(StreamName="all-logs", ShardCount=1)
    stream_arn = kinesis.describe_stream_summary(StreamName="all-logs")["StreamDescriptionSummary"]["StreamARN"]
    logs.put_account_policy(policyName="ship-all", policyType="SUBSCRIPTION_FILTER_POLICY",
                            selectionCriteria='LogGroupName NOT IN ["/app/quiet"]',
                            policyDocument=json.dumps({"DestinationArn": stream_arn, "RoleArn": role(cloud),
                                                       "FilterPattern": "", "Distribution": "Random"}))
    group(logs, "/app/web")
    group(logs, "/app/quiet")
    put(logs, ["shipped"], name="/app/web")
    put(logs, ["kept home"], name="/app/quiet")
    data = [r for r in kinesis_records(cloud, stream_arn) if r["messageType"] == "DATA_MESSAGE"]
    assert [(r["logGroup"], r["subscriptionFilters"], r["policyLevel"]) for r in data] == [
        ("/app/web", ["ship-all"], "ACCOUNT_LEVEL_POLICY")]
    assert data[0]["partitionKey"] != "main"  # Random distribution


def test_points_an_older_regionbox_kept_for_cloudwatch_reach_it_once(tmp_path):
    """Before CloudWatch was served, metric filters' points waited in Logs' own table; a state
    directory that still has them hands them over at start, then drops the table."""
    process = CloudProcess(state_dir=tmp_path).start()
    try:
        process.client("logs", account=ACCOUNT).create_log_group(logGroupName="/kept")  # Logs has state to restore
    finally:
        process.stop()
    at = now_ms() - 60_000
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.executescript("CREATE TABLE log_metric_data (account TEXT, region TEXT, namespace TEXT, name TEXT, "
                         "dimensions TEXT, ts INTEGER, value REAL, unit TEXT)")
        db.executemany("INSERT INTO log_metric_data VALUES (?,?,?,?,?,?,?,?)",
                       [(ACCOUNT, "us-east-1", "Old", "Errors", '{"Host": "a"}', at, 2.0, "Count"),
                        (ACCOUNT, "us-east-1", "Old", "Errors", '{"Host": "a"}', at + 1, 3.0, "Count")])
    for _ in range(2):  # a second start finds nothing more to hand over
        process.start()
        try:
            point = stats(process.client("cloudwatch", account=ACCOUNT), "Old", "Errors", [{"Name": "Host", "Value": "a"}])
            assert (point["Sum"], point["SampleCount"]) == (5.0, 2.0)
        finally:
            process.stop()
    with sqlite3.connect(tmp_path / "state.db") as db:
        assert not db.execute("SELECT 1 FROM sqlite_master WHERE name='log_metric_data'").fetchall()
