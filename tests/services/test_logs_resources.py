"""The rest of CloudWatch Logs through boto3: deliveries and their templates, export tasks (into
regionbox's S3, read back with boto3, and AWS's error for a missing bucket), anomaly detectors, saved and scheduled
queries, lookup tables, GetLogGroupFields and GetLogRecord, ListLogGroups, tags on every
taggable resource, storage tier and bearer token settings, import tasks, and the retention sweep
that really deletes expired events."""

from __future__ import annotations

import gzip
import json
import time

import pytest

from regionbox.config import Config
from regionbox.testing.clients import RunningCloud
from regionbox.testing.waiting import eventually as wait_for
from tests.services.logs_support import ACCOUNT, error_of, now_ms
from tests.services.logs_support import make_group as group

OTHER = "210987654321"
DAY = 86_400_000


@pytest.fixture
def logs(cloud):
    return cloud.client("logs", account=ACCOUNT)


def role(cloud, name="runner") -> str:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    return cloud.client("iam", account=ACCOUNT).create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"]["Arn"]


# -- deliveries --------------------------------------------------------------------------------------

DISTRIBUTION = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1EXAMPLE"


def test_deliveries_pair_a_source_and_a_destination(logs):
    arn = group(logs, "/vended/cloudfront")
    source = logs.put_delivery_source(name="cf", resourceArn=DISTRIBUTION, logType="ACCESS_LOGS",
                                      tags={"team": "edge"})["deliverySource"]
    assert (source["service"], source["logType"], source["resourceArns"]) == ("cloudfront", "ACCESS_LOGS", [DISTRIBUTION])
    destination = logs.put_delivery_destination(name="to-logs", outputFormat="json", deliveryDestinationConfiguration={
        "destinationResourceArn": arn})["deliveryDestination"]
    assert destination["deliveryDestinationType"] == "CWL"
    delivery = logs.create_delivery(deliverySourceName="cf", deliveryDestinationArn=destination["arn"],
                                    recordFields=["date", "time", "c-ip", "sc-status"])["delivery"]
    assert delivery["arn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:delivery:{delivery['id']}"
    assert logs.get_delivery(id=delivery["id"])["delivery"]["recordFields"] == ["date", "time", "c-ip", "sc-status"]
    again = error_of(lambda: logs.create_delivery(deliverySourceName="cf", deliveryDestinationArn=destination["arn"]))
    assert again["Code"] == "ConflictException"
    in_use = error_of(lambda: logs.delete_delivery_source(name="cf"))
    assert in_use["Code"] == "ConflictException"
    logs.update_delivery_configuration(id=delivery["id"], recordFields=["date", "x-edge-location"], fieldDelimiter=",")
    updated = logs.describe_deliveries(deliverySourceNames=["cf"])["deliveries"][0]
    assert (updated["recordFields"], updated["fieldDelimiter"]) == (["date", "x-edge-location"], ",")
    unknown = error_of(lambda: logs.update_delivery_configuration(id=delivery["id"], recordFields=["nope"]))
    assert unknown["Code"] == "ValidationException" and "nope" in unknown["Message"]
    s3_only = error_of(lambda: logs.update_delivery_configuration(id=delivery["id"], s3DeliveryConfiguration={
        "suffixPath": "x/{yyyy}"}))
    assert s3_only["Code"] == "ValidationException"
    logs.delete_delivery(id=delivery["id"])
    logs.delete_delivery_source(name="cf")
    assert error_of(lambda: logs.get_delivery_source(name="cf"))["Code"] == "ResourceNotFoundException"


def test_delivery_validation_templates_and_pages(logs):
    wrong_type = error_of(lambda: logs.put_delivery_source(name="s", resourceArn=DISTRIBUTION, logType="WAF_LOGS"))
    assert wrong_type["Code"] == "ValidationException" and "not supported" in wrong_type["Message"]
    no_group = error_of(lambda: logs.put_delivery_destination(name="d", deliveryDestinationConfiguration={
        "destinationResourceArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/none"}))
    assert no_group["Code"] == "ResourceNotFoundException"
    bad_format = error_of(lambda: logs.put_delivery_destination(name="d", outputFormat="parquet",
                                                                deliveryDestinationConfiguration={
                                                                    "destinationResourceArn": "arn:aws:firehose:us-east-1:"
                                                                    f"{ACCOUNT}:deliverystream/f"}))
    assert bad_format["Code"] == "ValidationException"
    for i in range(4):
        logs.put_delivery_destination(name=f"bucket-{i}", deliveryDestinationConfiguration={
            "destinationResourceArn": f"arn:aws:s3:::logs-bucket-{i}"})
    page = logs.describe_delivery_destinations(limit=3)
    assert len(page["deliveryDestinations"]) == 3 and page["nextToken"]
    rest = logs.describe_delivery_destinations(nextToken=page["nextToken"])["deliveryDestinations"]
    assert [d["name"] for d in rest] == ["bucket-3"] and rest[0]["deliveryDestinationType"] == "S3"
    templates = logs.describe_configuration_templates(service="cloudfront", deliveryDestinationTypes=["S3"])[
        "configurationTemplates"]
    assert [(t["logType"], t["resourceType"]) for t in templates] == [("ACCESS_LOGS", "distribution")]
    assert "c-ip" in {f["name"] for f in templates[0]["allowedFields"]} and "parquet" in templates[0]["allowedOutputFormats"]
    assert len(logs.describe_configuration_templates(limit=5)["configurationTemplates"]) == 5


def test_delivery_to_another_accounts_destination_needs_its_policy(cloud, logs):
    receiver = cloud.client("logs", account=OTHER)
    destination = receiver.put_delivery_destination(name="central", deliveryDestinationConfiguration={
        "destinationResourceArn": "arn:aws:s3:::central-logs"})["deliveryDestination"]
    logs.put_delivery_source(name="cf", resourceArn=DISTRIBUTION, logType="ACCESS_LOGS")
    denied = error_of(lambda: logs.create_delivery(deliverySourceName="cf", deliveryDestinationArn=destination["arn"]))
    assert denied["Code"] == "AccessDeniedException"
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                                                      "Action": "logs:CreateDelivery", "Resource": destination["arn"]}]}
    receiver.put_delivery_destination_policy(deliveryDestinationName="central", deliveryDestinationPolicy=json.dumps(policy))
    assert json.loads(receiver.get_delivery_destination_policy(deliveryDestinationName="central")["policy"][
        "deliveryDestinationPolicy"]) == policy
    delivery = logs.create_delivery(deliverySourceName="cf", deliveryDestinationArn=destination["arn"],
                                    s3DeliveryConfiguration={"suffixPath": "cf/{DistributionId}/{yyyy}/{MM}"})["delivery"]
    assert delivery["deliveryDestinationType"] == "S3"
    assert error_of(lambda: receiver.delete_delivery_destination(name="central"))["Code"] == "ConflictException"


# -- export tasks ------------------------------------------------------------------------------------

def test_export_to_a_missing_bucket_answers_awss_error(logs):
    group(logs, messages=["x"])
    missing = error_of(lambda: logs.create_export_task(logGroupName="/app/web", fromTime=0, to=now_ms(),
                                                       destination="no-such-bucket"))
    assert missing == {"Code": "InvalidParameterException",
                       "Message": "The given bucket does not exist. Please make sure the bucket is valid."}
    assert logs.describe_export_tasks()["exportTasks"] == []
    assert error_of(lambda: logs.cancel_export_task(taskId="nope"))["Code"] == "ResourceNotFoundException"


def test_export_writes_objects_as_aws_lays_them_out(cloud, logs):
    s3 = cloud.client("s3", account=ACCOUNT)
    s3.create_bucket(Bucket="archive")
    start = now_ms() - 60_000
    logs.create_log_group(logGroupName="/app/web")
    for stream in ("web-1", "web-2", "worker"):
        logs.create_log_stream(logGroupName="/app/web", logStreamName=stream)
        logs.put_log_events(logGroupName="/app/web", logStreamName=stream,
                            logEvents=[{"timestamp": start + 1000, "message": f"{stream} first"},
                                       {"timestamp": start + 2000, "message": f"{stream} second"}])
    task_id = logs.create_export_task(taskName="nightly", logGroupName="/app/web", fromTime=start, to=now_ms(),
                                      destination="archive", destinationPrefix="exports",
                                      logStreamNamePrefix="web-")["taskId"]
    done = wait_for(lambda: logs.describe_export_tasks(taskId=task_id)["exportTasks"][0]["status"]["code"] == "COMPLETED")
    assert done
    task = logs.describe_export_tasks(taskId=task_id)["exportTasks"][0]
    assert (task["taskName"], task["destination"], task["destinationPrefix"]) == ("nightly", "archive", "exports")
    assert task["executionInfo"]["completionTime"] >= task["executionInfo"]["creationTime"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="archive")["Contents"]}
    assert keys == {"exports/aws-logs-write-test", f"exports/{task_id}/web-1/000000.gz", f"exports/{task_id}/web-2/000000.gz"}
    body = s3.get_object(Bucket="archive", Key=f"exports/{task_id}/web-1/000000.gz")["Body"].read()
    lines = gzip.decompress(body).decode().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["web-1 first", "web-1 second"]
    assert lines[0].split(" ", 1)[0].endswith("Z") and "T" in lines[0]
    done_cancel = error_of(lambda: logs.cancel_export_task(taskId=task_id))
    assert done_cancel["Code"] == "InvalidOperationException"
    assert logs.describe_export_tasks(statusCode="RUNNING")["exportTasks"] == []
    backwards = error_of(lambda: logs.create_export_task(logGroupName="/app/web", fromTime=10, to=5, destination="archive"))
    assert backwards["Code"] == "InvalidParameterException"


# -- anomaly detectors -------------------------------------------------------------------------------

def test_anomaly_detectors_are_kept_and_find_nothing(logs):
    arn = group(logs)
    detector = logs.create_log_anomaly_detector(logGroupArnList=[arn], detectorName="web", evaluationFrequency="FIVE_MIN",
                                                filterPattern="ERROR", tags={"team": "web"})["anomalyDetectorArn"]
    described = logs.get_log_anomaly_detector(anomalyDetectorArn=detector)
    assert (described["detectorName"], described["anomalyDetectorStatus"], described["anomalyVisibilityTime"]) == (
        "web", "INITIALIZING", 21)
    logs.update_log_anomaly_detector(anomalyDetectorArn=detector, enabled=False, evaluationFrequency="ONE_HOUR")
    assert logs.get_log_anomaly_detector(anomalyDetectorArn=detector)["anomalyDetectorStatus"] == "PAUSED"
    assert logs.list_anomalies(anomalyDetectorArn=detector)["anomalies"] == []
    assert logs.list_tags_for_resource(resourceArn=detector)["tags"] == {"team": "web"}
    for _ in range(2):
        logs.create_log_anomaly_detector(logGroupArnList=[arn])
    page = logs.list_log_anomaly_detectors(filterLogGroupArn=arn, limit=2)
    assert len(page["anomalyDetectors"]) == 2 and page["nextToken"]
    two = error_of(lambda: logs.create_log_anomaly_detector(logGroupArnList=[arn, arn]))
    assert two["Code"] == "InvalidParameterException"
    no_anomaly = error_of(lambda: logs.update_anomaly(anomalyDetectorArn=detector, anomalyId="a" * 36,
                                                      suppressionType="INFINITE"))
    assert no_anomaly["Code"] == "ResourceNotFoundException"
    logs.delete_log_anomaly_detector(anomalyDetectorArn=detector)
    assert error_of(lambda: logs.get_log_anomaly_detector(anomalyDetectorArn=detector))["Code"] == \
        "ResourceNotFoundException"


# -- saved and scheduled queries, lookup tables ------------------------------------------------------

def test_query_definitions(logs):
    first = logs.put_query_definition(name="errors/all", queryString="fields @message | filter @message like /ERROR/",
                                      logGroupNames=["/app/web"])["queryDefinitionId"]
    token = "t" * 36
    second = logs.put_query_definition(name="errors/web", queryString="fields @timestamp", clientToken=token)[
        "queryDefinitionId"]
    assert logs.put_query_definition(name="errors/web", queryString="fields @timestamp", clientToken=token)[
        "queryDefinitionId"] == second
    logs.put_query_definition(queryDefinitionId=first, name="errors/all", queryString="fields @log")
    found = logs.describe_query_definitions(queryDefinitionNamePrefix="errors/")["queryDefinitions"]
    assert [(d["name"], d["queryString"], d["logGroupNames"]) for d in found] == [
        ("errors/all", "fields @log", []), ("errors/web", "fields @timestamp", [])]
    page = logs.describe_query_definitions(maxResults=1)
    assert len(page["queryDefinitions"]) == 1 and page["nextToken"]
    assert logs.delete_query_definition(queryDefinitionId=first)["success"] is True
    assert error_of(lambda: logs.delete_query_definition(queryDefinitionId=first))["Code"] == "ResourceNotFoundException"
    assert error_of(lambda: logs.put_query_definition(queryDefinitionId="nope", name="x", queryString="fields @log"))[
        "Code"] == "ResourceNotFoundException"


def test_lookup_tables(logs):
    body = "user,team\nalice,web\nbob,data\n"
    created = logs.create_lookup_table(lookupTableName="teams", tableBody=body, description="who", tags={"a": "b"})
    arn = created["lookupTableArn"]
    assert logs.get_lookup_table(lookupTableArn=arn)["tableBody"] == body
    summary = logs.describe_lookup_tables(lookupTableNamePrefix="te")["lookupTables"][0]
    assert (summary["tableFields"], summary["recordsCount"], summary["sizeBytes"]) == (["user", "team"], 2, len(body))
    logs.update_lookup_table(lookupTableArn=arn, tableBody="user,team\ncarol,ops\n")
    assert logs.describe_lookup_tables()["lookupTables"][0]["recordsCount"] == 1
    assert error_of(lambda: logs.create_lookup_table(lookupTableName="teams", tableBody=body))["Code"] == \
        "ResourceAlreadyExistsException"
    neither = error_of(lambda: logs.create_lookup_table(lookupTableName="other"))
    assert neither["Code"] == "InvalidParameterException"
    assert error_of(lambda: logs.create_lookup_table(lookupTableName="dup", tableBody="a,a\n1,2\n"))["Code"] == \
        "InvalidParameterException"
    logs.delete_lookup_table(lookupTableArn=arn)
    assert error_of(lambda: logs.get_lookup_table(lookupTableArn=arn))["Code"] == "ResourceNotFoundException"


def test_scheduled_queries_are_validated_and_kept(cloud, logs):
    group(logs)
    runner = role(cloud)
    created = logs.create_scheduled_query(name="hourly", queryLanguage="CWLI", queryString="fields @message | limit 5",
                                          logGroupIdentifiers=["/app/web"], scheduleExpression="cron(0 * * * ? *)",
                                          executionRoleArn=runner, startTimeOffset=3600, destinationConfiguration={
                                              "s3Configuration": {"destinationIdentifier": "s3://bucket/prefix",
                                                                  "roleArn": runner}})
    assert created["state"] == "ENABLED"
    got = logs.get_scheduled_query(identifier="hourly")
    assert (got["scheduleExpression"], got["startTimeOffset"], got["scheduleType"]) == (
        "cron(0 * * * ? *)", 3600, "CUSTOMER_MANAGED")
    updated = logs.update_scheduled_query(identifier=created["scheduledQueryArn"], queryLanguage="CWLI",
                                          queryString="fields @log", scheduleExpression="cron(30 * * * ? *)",
                                          executionRoleArn=runner, state="DISABLED")
    assert (updated["queryString"], updated["state"]) == ("fields @log", "DISABLED")
    assert [q["name"] for q in logs.list_scheduled_queries(state="DISABLED")["scheduledQueries"]] == ["hourly"]
    history = logs.get_scheduled_query_history(identifier="hourly", startTime=0, endTime=now_ms())
    assert history["triggerHistory"] == [] and history["name"] == "hourly"

    def refused(**changes) -> dict:
        params = {"name": "other", "queryLanguage": "CWLI", "queryString": "fields @message",
                  "scheduleExpression": "cron(0 * * * ? *)", "executionRoleArn": runner, **changes}
        return error_of(lambda: logs.create_scheduled_query(**params))

    assert refused(name="hourly")["Code"] == "ConflictException"
    assert refused(scheduleExpression="every hour")["Code"] == "ValidationException"
    assert refused(queryString="fields @message | nonsense")["Code"] == "ValidationException"
    assert refused(logGroupIdentifiers=["/none"])["Code"] == "ResourceNotFoundException"
    assert refused(executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/none")["Code"] == "ValidationException"
    logs.delete_scheduled_query(identifier="hourly")
    assert error_of(lambda: logs.get_scheduled_query(identifier="hourly"))["Code"] == "ResourceNotFoundException"


# -- records and fields ------------------------------------------------------------------------------

def test_log_group_fields_and_log_records(logs):
    group(logs, messages=['{"user": {"id": 7}, "level": "INFO"}', '{"level": "WARN"}', "plain"])
    fields = {f["name"]: f["percent"] for f in logs.get_log_group_fields(logGroupName="/app/web")["logGroupFields"]}
    assert fields["@message"] == 100 and fields["level"] == 66 and fields["user.id"] == 33
    query_id = logs.start_query(logGroupName="/app/web", startTime=0, endTime=int(time.time()) + 60,
                                queryString="fields @message | filter level = 'INFO'")["queryId"]
    results = wait_for(lambda: logs.get_query_results(queryId=query_id)["status"] == "Complete"
                       and logs.get_query_results(queryId=query_id)["results"])
    pointer = next(f["value"] for f in results[0] if f["field"] == "@ptr")
    record = logs.get_log_record(logRecordPointer=pointer)["logRecord"]
    assert record["@message"] == '{"user": {"id": 7}, "level": "INFO"}' and record["user.id"] == "7"
    assert record["@log"] == f"{ACCOUNT}:/app/web" and record["@logStream"] == "main" and record["@timestamp"].isdigit()
    assert logs.list_log_groups_for_query(queryId=query_id)["logGroupIdentifiers"] == [
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/web"]
    assert error_of(lambda: logs.get_log_record(logRecordPointer="junk"))["Code"] == "InvalidParameterException"
    logs.delete_log_stream(logGroupName="/app/web", logStreamName="main")
    assert error_of(lambda: logs.get_log_record(logRecordPointer=pointer))["Code"] == "InvalidParameterException"
    assert error_of(lambda: logs.get_log_fields(dataSourceName="amazon_vpc", dataSourceType="flow"))["Code"] == \
        "ResourceNotFoundException"


# -- log groups: listing, classes, tags, settings ----------------------------------------------------

def test_list_log_groups_filters_and_pages(logs):
    for name in ("/aws/lambda/a", "/aws/lambda/b", "/app/web", "/app/worker"):
        logs.create_log_group(logGroupName=name, tags={"tier": "web" if "web" in name else "other"})
    logs.create_log_group(logGroupName="/cold/archive", logGroupClass="INFREQUENT_ACCESS")
    names = lambda **kw: [g["logGroupName"] for g in logs.list_log_groups(**kw)["logGroups"]]  # noqa: E731
    assert names(logGroupNamePattern="^/aws/lambda|web") == ["/app/web", "/aws/lambda/a", "/aws/lambda/b"]
    assert names(logGroupClass="INFREQUENT_ACCESS") == ["/cold/archive"]
    assert names(logGroupTags=[{"key": "tier", "values": ["web"]}]) == ["/app/web"]
    page = logs.list_log_groups(limit=2)
    assert len(page["logGroups"]) == 2 and page["nextToken"]
    assert logs.list_log_groups(limit=2, nextToken=page["nextToken"])["logGroups"][0]["logGroupName"] == "/aws/lambda/a"
    assert logs.list_aggregate_log_group_summaries(groupBy="DATA_SOURCE_NAME_AND_TYPE")["aggregateLogGroupSummaries"] == []
    assert [g["logGroupClass"] for g in logs.describe_log_groups(logGroupNamePrefix="/cold")["logGroups"]] == [
        "INFREQUENT_ACCESS"]


def test_tags_on_every_taggable_resource(cloud, logs):
    group_arn = group(logs)
    detector = logs.create_log_anomaly_detector(logGroupArnList=[group_arn])["anomalyDetectorArn"]
    table = logs.create_lookup_table(lookupTableName="t", tableBody="a\n1\n")["lookupTableArn"]
    source = logs.put_delivery_source(name="cf", resourceArn=DISTRIBUTION, logType="ACCESS_LOGS")["deliverySource"]["arn"]
    for arn in (group_arn, detector, table, source):
        logs.tag_resource(resourceArn=arn, tags={"env": "test", "owner": "me"})
        logs.untag_resource(resourceArn=arn, tagKeys=["owner"])
        assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "test"}
    too_many = error_of(lambda: logs.tag_resource(resourceArn=table, tags={f"k{i}": "v" for i in range(50)}))
    assert too_many["Code"] == "TooManyTagsException"
    reserved = error_of(lambda: logs.tag_resource(resourceArn=table, tags={"aws:owner": "me"}))
    assert reserved["Code"] == "InvalidParameterException"
    missing = error_of(lambda: logs.list_tags_for_resource(resourceArn=f"arn:aws:logs:us-east-1:{ACCOUNT}:destination:none"))
    assert missing["Code"] == "ResourceNotFoundException"
    assert error_of(lambda: logs.tag_resource(resourceArn="arn:aws:s3:::bucket", tags={"a": "b"}))["Code"] == \
        "InvalidParameterException"


def test_storage_tier_bearer_tokens_and_import_tasks(logs):
    assert logs.get_storage_tier_policy()["storageTier"] == "STANDARD"
    set_tier = logs.put_storage_tier_policy(storageTier="INTELLIGENT_TIERING")
    assert logs.get_storage_tier_policy()["lastUpdatedTime"] == set_tier["lastUpdatedTime"]
    group(logs)
    logs.put_bearer_token_authentication(logGroupIdentifier="/app/web", bearerTokenAuthenticationEnabled=True)
    assert logs.describe_log_groups()["logGroups"][0]["bearerTokenAuthenticationEnabled"] is True
    store = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:eventdatastore/abc"
    missing = error_of(lambda: logs.create_import_task(importSourceArn=store, importRoleArn=f"arn:aws:iam::{ACCOUNT}:role/r"))
    assert missing["Code"] == "ResourceNotFoundException"
    not_lake = error_of(lambda: logs.create_import_task(importSourceArn="arn:aws:s3:::bucket",
                                                        importRoleArn=f"arn:aws:iam::{ACCOUNT}:role/r"))
    assert not_lake["Code"] == "InvalidParameterException"
    assert logs.describe_import_tasks()["imports"] == []
    assert error_of(lambda: logs.cancel_import_task(importId="abc"))["Code"] == "ResourceNotFoundException"


# -- retention really deletes ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sweeping():
    running = RunningCloud(Config(ephemeral=True, logs_retention_interval=0.3)).start()
    yield running
    running.stop()


def test_retention_sweep_deletes_expired_events_and_their_bytes(sweeping):
    sweeping.reset()
    logs = sweeping.client("logs", account=ACCOUNT)
    group(logs)
    logs.put_retention_policy(logGroupName="/app/web", retentionInDays=1)
    now = now_ms()
    # Events 2 s from expiry are accepted, then expire while stored.
    logs.put_log_events(logGroupName="/app/web", logStreamName="main",
                        logEvents=[{"timestamp": now - DAY + 2000, "message": "about to expire"},
                                   {"timestamp": now, "message": "fresh"}])
    stored = logs.describe_log_groups()["logGroups"][0]["storedBytes"]
    assert stored == len("about to expire") + len("fresh")
    gone = wait_for(lambda: logs.describe_log_groups()["logGroups"][0]["storedBytes"] == len("fresh"), timeout=8)
    assert gone
    events = logs.get_log_events(logGroupName="/app/web", logStreamName="main", startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["fresh"]
    assert logs.describe_log_streams(logGroupName="/app/web")["logStreams"][0]["storedBytes"] == len("fresh")

