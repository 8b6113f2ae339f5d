"""A logging trail really delivers: log files read back from S3 (gunzip, parse) named as AWS names
them, events in its CloudWatch Logs group, data events only when its selectors select them,
signed and chained digests, and what stops delivery (StopLogging, a bucket policy taken away)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import time

from tests.services.cloudtrail.helpers import (ACCOUNT, clients, delivered, error_of, log_keys, names, records,
                                               trail_bucket, wait_for)
from tests.services.cloudtrail.test_trails import logs_role

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]})
TABLE = dict(AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")


def logging_trail(cloud, name: str = "main", region: str = "us-east-1", **settings):
    ct, = clients(cloud, "cloudtrail", region=region)
    ct.create_trail(Name=name, S3BucketName="trail-logs", **settings)
    ct.start_logging(Name=name)
    return ct


def test_log_files_are_named_and_shaped_as_aws_writes_them(trail_cloud):
    s3 = trail_bucket(trail_cloud, prefix="audit")
    logs, iam = clients(trail_cloud, "logs", "iam")
    ct = logging_trail(trail_cloud, S3KeyPrefix="audit")
    logs.create_log_group(logGroupName="/app")
    iam.create_role(RoleName="audited", AssumeRolePolicyDocument=TRUST)
    s3.put_object(Bucket="trail-logs", Key="notes/a.txt", Body=b"data")  # a data event: not selected
    found = delivered(s3, "trail-logs", lambda r: {"CreateLogGroup", "CreateRole"} <= set(names(r)))
    key_shape = re.compile(rf"^audit/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/\d{{4}}/\d{{2}}/\d{{2}}/"
                           rf"{ACCOUNT}_CloudTrail_us-east-1_\d{{8}}T\d{{4}}Z_[A-Za-z0-9]{{16}}\.json\.gz$")
    assert all(key_shape.match(key) for key in log_keys(s3, "trail-logs"))
    created = next(r for r in found if r["eventName"] == "CreateLogGroup")
    assert (created["eventSource"], created["awsRegion"], created["requestParameters"]["logGroupName"],
            created["userIdentity"]["arn"], created["eventCategory"], created["managementEvent"]) == (
        "logs.amazonaws.com", "us-east-1", "/app", f"arn:aws:iam::{ACCOUNT}:root", "Management", True)
    assert "PutObject" not in names(found) and "StartLogging" in names(found)
    # Each event is delivered once, and the trail's status says when.
    assert len([r["eventID"] for r in found]) == len({r["eventID"] for r in found})
    status = ct.get_trail_status(Name="main")
    assert status["LatestDeliveryTime"] and status["LatestDeliveryAttemptSucceeded"].endswith("Z")
    assert "LatestDeliveryError" not in status


def test_data_events_only_when_selected(trail_cloud):
    s3 = trail_bucket(trail_cloud)
    ddb, = clients(trail_cloud, "dynamodb")
    ct = logging_trail(trail_cloud)
    s3.create_bucket(Bucket="data")
    ddb.create_table(TableName="watched", **TABLE)
    ddb.create_table(TableName="ignored", **TABLE)
    s3.put_object(Bucket="data", Key="in/before.txt", Body=b"x")  # before any selector: management events only
    table_arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/watched"
    ct.put_event_selectors(TrailName="main", AdvancedEventSelectors=[
        {"Name": "management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {"Name": "objects under in/", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::data/in/"]}]},
        {"Name": "one table", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]},
            {"Field": "resources.ARN", "Equals": [table_arn]}]}])
    s3.put_object(Bucket="data", Key="in/a.txt", Body=b"x")
    s3.put_object(Bucket="data", Key="out/b.txt", Body=b"x")
    s3.get_object(Bucket="data", Key="in/a.txt")["Body"].read()
    for table in ("watched", "ignored"):
        ddb.put_item(TableName=table, Item={"id": {"S": "1"}})
        ddb.get_item(TableName=table, Key={"id": {"S": "1"}})
    ddb.describe_table(TableName="ignored")  # a management event: selected
    found = delivered(s3, "trail-logs", lambda r: {"GetItem", "GetObject", "DescribeTable"} <= set(names(r)))
    data = [r for r in found if r.get("eventCategory") == "Data"]
    assert sorted((r["eventName"], [x["ARN"] for x in r["resources"]][0]) for r in data) == [
        ("GetItem", table_arn), ("GetObject", "arn:aws:s3:::data/in/a.txt"),
        ("PutItem", table_arn), ("PutObject", "arn:aws:s3:::data/in/a.txt")]
    put = next(r for r in data if r["eventName"] == "PutObject")
    assert put["managementEvent"] is False and put["readOnly"] is False
    assert {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::data", "accountId": ACCOUNT} in put["resources"]
    assert "Body" not in (put["requestParameters"] or {})
    # Data events never reach event history.
    history = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutObject"}])
    assert history["Events"] == []


def test_basic_selectors_read_write_type(trail_cloud):
    s3 = trail_bucket(trail_cloud)
    ddb, = clients(trail_cloud, "dynamodb")
    ct = logging_trail(trail_cloud)
    ddb.create_table(TableName="orders", **TABLE)
    ct.put_event_selectors(TrailName="main", EventSelectors=[
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
         "DataResources": [{"Type": "AWS::DynamoDB::Table", "Values": ["arn:aws:dynamodb"]}]}])
    assert ct.get_trail(Name="main")["Trail"]["HasCustomEventSelectors"] is True
    ddb.put_item(TableName="orders", Item={"id": {"S": "1"}})
    ddb.get_item(TableName="orders", Key={"id": {"S": "1"}})
    ddb.describe_table(TableName="orders")
    ddb.delete_item(TableName="orders", Key={"id": {"S": "1"}})
    found = delivered(s3, "trail-logs", lambda r: "DeleteItem" in names(r))
    assert "PutItem" in names(found) and "GetItem" not in names(found) and "DescribeTable" not in names(found)


def test_events_reach_the_cloudwatch_logs_group(trail_cloud):
    trail_bucket(trail_cloud)
    logs, = clients(trail_cloud, "logs")
    logs.create_log_group(logGroupName="trail-events")
    role = logs_role(trail_cloud)
    logging_trail(trail_cloud, CloudWatchLogsLogGroupArn=f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:trail-events:*",
                  CloudWatchLogsRoleArn=role)
    logs.create_log_group(logGroupName="/seen")
    stream = f"{ACCOUNT}_CloudTrail_us-east-1"

    def messages():
        try:
            return [json.loads(e["message"]) for e in
                    logs.get_log_events(logGroupName="trail-events", logStreamName=stream)["events"]]
        except logs.exceptions.ResourceNotFoundException:
            return []

    found = wait_for(lambda: [m for m in messages() if m["eventName"] == "CreateLogGroup"
                              and m["requestParameters"]["logGroupName"] == "/seen"])
    assert found[0]["eventSource"] == "logs.amazonaws.com"


def test_digests_are_signed_and_chained(trail_cloud):
    from awscli.customizations.cloudtrail.validation import Sha256RSADigestValidator

    s3 = trail_bucket(trail_cloud)
    ct = logging_trail(trail_cloud, EnableLogFileValidation=True)
    clients(trail_cloud, "logs")[0].create_log_group(logGroupName="/validated")
    digests = wait_for(lambda: (lambda keys: keys if len(keys) >= 3 else None)(
        sorted(log_keys(s3, "trail-logs", "CloudTrail-Digest/"))), timeout=20)
    key_shape = re.compile(rf"^AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/\d{{4}}/\d{{2}}/\d{{2}}/"
                           rf"{ACCOUNT}_CloudTrail-Digest_us-east-1_main_us-east-1_\d{{8}}T\d{{6}}Z\.json\.gz$")
    assert all(key_shape.match(key) for key in digests)
    public = {k["Fingerprint"]: k["Value"] for k in ct.list_public_keys()["PublicKeyList"]}
    previous = None
    referenced = []
    for key in digests:
        stored = s3.get_object(Bucket="trail-logs", Key=key)
        inflated = gzip.decompress(stored["Body"].read())
        digest = json.loads(inflated)
        assert stored["Metadata"]["signature-algorithm"] == "SHA256withRSA"
        digest["_signature"] = stored["Metadata"]["signature"]
        # The AWS CLI's own validator (what `aws cloudtrail validate-logs` runs) accepts it.
        Sha256RSADigestValidator().validate("trail-logs", key, base64.b64encode(public[digest["digestPublicKeyFingerprint"]]),
                                            digest, inflated)
        assert (digest["digestS3Bucket"], digest["digestS3Object"], digest["digestSignatureAlgorithm"]) == (
            "trail-logs", key, "SHA256withRSA")
        if previous is None:
            assert digest["previousDigestSignature"] is None
        else:
            assert digest["previousDigestSignature"] == previous[0]
            assert digest["previousDigestHashValue"] == hashlib.sha256(previous[1]).hexdigest()
            assert digest["previousDigestS3Object"] == previous[2]
        previous = (digest["_signature"], inflated, key)
        referenced.extend(digest["logFiles"])
    # Every log file a digest names is there, with the hash of its uncompressed content.
    assert referenced
    for entry in referenced:
        body = gzip.decompress(s3.get_object(Bucket=entry["s3Bucket"], Key=entry["s3Object"])["Body"].read())
        assert hashlib.sha256(body).hexdigest() == entry["hashValue"]
    assert ct.get_trail_status(Name="main")["LatestDigestDeliveryTime"]


def test_stop_logging_and_a_bucket_that_stops_letting_cloudtrail_in(trail_cloud):
    s3 = trail_bucket(trail_cloud)
    logs, = clients(trail_cloud, "logs")
    ct = logging_trail(trail_cloud)
    logs.create_log_group(logGroupName="/before-stop")
    delivered(s3, "trail-logs", lambda r: "CreateLogGroup" in names(r))
    ct.stop_logging(Name="main")
    logs.create_log_group(logGroupName="/after-stop")
    time.sleep(1.0)
    assert [r["requestParameters"]["logGroupName"] for r in records(s3, "trail-logs")
            if r["eventName"] == "CreateLogGroup"] == ["/before-stop"]
    ct.start_logging(Name="main")
    s3.delete_bucket_policy(Bucket="trail-logs")
    logs.create_log_group(logGroupName="/no-policy")
    status = wait_for(lambda: (lambda s: s if s.get("LatestDeliveryError") else None)(ct.get_trail_status(Name="main")))
    assert status["LatestDeliveryError"] == "AccessDenied"


def test_global_service_events_and_regions(trail_cloud):
    s3 = trail_bucket(trail_cloud)
    iam, = clients(trail_cloud, "iam")
    logging_trail(trail_cloud, name="no-global", IncludeGlobalServiceEvents=False)
    logging_trail(trail_cloud, name="europe", region="eu-west-1")
    ct = logging_trail(trail_cloud, name="everywhere", IsMultiRegionTrail=True)
    europe_logs, = clients(trail_cloud, "logs", region="eu-west-1")
    iam.create_role(RoleName="global", AssumeRolePolicyDocument=TRUST)
    europe_logs.create_log_group(logGroupName="/eu")
    found = delivered(s3, "trail-logs", lambda r: names(r).count("CreateLogGroup") >= 2 and "CreateRole" in names(r))
    # three trails, one bucket: the multi-region trail's eu-west-1 file is under its region
    europe_keys = [k for k in log_keys(s3, "trail-logs") if "/CloudTrail/eu-west-1/" in k]
    assert europe_keys and all("_CloudTrail_eu-west-1_" in k for k in europe_keys)
    assert names(found).count("CreateRole") == 1  # the multi-region trail's; not no-global's, not europe's
    assert names(found).count("CreateLogGroup") == 2  # eu-west-1's: europe's and everywhere's
    assert ct.describe_trails()["trailList"][0]["Name"]


def test_event_selector_validation(trail_cloud):
    trail_bucket(trail_cloud)
    ct = logging_trail(trail_cloud)
    invalid = [
        ({"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::*"]}]}]},
         "Value arn:aws:s3:::* for DataResources.Values is invalid."),
        ({"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::bucket"]}]}]},
         "Value arn:aws:s3:::bucket for DataResources.Values is invalid."),
        ({"EventSelectors": [{"DataResources": [{"Type": "AWS::SQS::Queue", "Values": ["arn:aws:sqs"]}]}]},
         "Value AWS::SQS::Queue for DataResources.Type is invalid."),
        ({"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object",
                                                 "Values": [f"arn:aws:s3:::b{n:03d}/" for n in range(251)]}]}]},
         "Specify a valid number of DataResources.Values (0 to 250) for all your selectors"),
        ({"EventSelectors": [{"ExcludeManagementEventSources": ["iam.amazonaws.com"]}]},
         "Value iam.amazonaws.com for ExcludeManagementEventSources is invalid."),
    ]
    for selectors, message in invalid:
        assert error_of(ct.put_event_selectors, TrailName="main", **selectors) == ("InvalidEventSelectorsException", message)
    for advanced in ([{"FieldSelectors": [{"Field": "eventName", "Equals": ["PutObject"]}]}],
                     [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}],
                     [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Everything"]}]}],
                     [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                          {"Field": "nonsense", "Equals": ["x"]}]}]):
        assert error_of(ct.put_event_selectors, TrailName="main", AdvancedEventSelectors=advanced)[0] == \
            "InvalidEventSelectorsException"
    assert error_of(ct.put_event_selectors, TrailName="main", EventSelectors=[{}],
                    AdvancedEventSelectors=[{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]
                    )[0] == "InvalidEventSelectorsException"
    put = ct.put_event_selectors(TrailName="main", EventSelectors=[
        {"ReadWriteType": "ReadOnly", "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::logs/"]}]}])
    assert put["EventSelectors"] == [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True, "DataResources": [
        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::logs/"]}], "ExcludeManagementEventSources": []}]
    advanced = [{"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                                    {"Field": "readOnly", "Equals": ["false"]}]}]
    ct.put_event_selectors(TrailName="main", AdvancedEventSelectors=advanced)
    got = ct.get_event_selectors(TrailName="main")
    assert got["AdvancedEventSelectors"] == advanced and "EventSelectors" not in got


def test_insight_selectors_on_a_trail(trail_cloud):
    trail_bucket(trail_cloud)
    ct = logging_trail(trail_cloud)
    assert error_of(ct.get_insight_selectors, TrailName="main")[0] == "InsightNotEnabledException"
    put = ct.put_insight_selectors(TrailName="main", InsightSelectors=[
        {"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiErrorRateInsight", "EventCategories": ["Management"]}])
    assert [s["InsightType"] for s in put["InsightSelectors"]] == ["ApiCallRateInsight", "ApiErrorRateInsight"]
    assert ct.get_insight_selectors(TrailName="main")["InsightSelectors"] == put["InsightSelectors"]
    assert ct.get_trail(Name="main")["Trail"]["HasInsightSelectors"] is True
    assert error_of(ct.put_insight_selectors, TrailName="main", InsightSelectors=[
        {"InsightType": "ApiCallRateInsight", "EventCategories": ["Data"]}])[0] == "InvalidInsightSelectorsException"
    ct.put_event_selectors(TrailName="main", EventSelectors=[{"ReadWriteType": "ReadOnly"}])
    assert error_of(ct.put_insight_selectors, TrailName="main", InsightSelectors=[
        {"InsightType": "ApiCallRateInsight"}])[0] == "InvalidInsightSelectorsException"
    assert error_of(ct.put_insight_selectors, TrailName="main", EventDataStore="x" * 36,
                    InsightSelectors=[])[0] == "InvalidParameterCombinationException"
    # Insights events are not generated: none to list.
    assert ct.lookup_events(EventCategory="insight")["Events"] == []
