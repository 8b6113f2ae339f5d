"""CloudWatch Logs policies through boto3: data protection (masking every read, unmask),
resource policies (account and log group scope, the 10-per-region limit, revisions), account
policies of every type and their effects (masking, retention, subscriptions, transformers, field
indexes), field index policies and transformers."""

from __future__ import annotations

import json
import time

import pytest

from regionbox.testing.waiting import eventually

from tests.services.logs_support import ACCOUNT, error_of
from tests.services.logs_support import make_group as group

EMAIL = ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"]


@pytest.fixture
def logs(cloud):
    return cloud.client("logs", account=ACCOUNT)


def protection(identifiers=EMAIL, custom=None) -> str:
    policy = {"Name": "protect", "Version": "2021-06-01", "Statement": [
        {"Sid": "audit", "DataIdentifier": identifiers, "Operation": {"Audit": {"FindingsDestination": {}}}},
        {"Sid": "redact", "DataIdentifier": identifiers, "Operation": {"Deidentify": {"MaskConfig": {}}}}]}
    if custom:
        policy["Configuration"] = {"CustomDataIdentifier": custom}
    return json.dumps(policy)


# -- data protection ---------------------------------------------------------------------------------

def test_data_protection_masks_reads_unless_unmasked(logs):
    group(logs, messages=["user alice@example.com logged in", "card 4111 1111 1111 1111 EmployeeId-123456789"])
    custom = [{"Name": "EmployeeId", "Regex": r"EmployeeId-\d{9}"}]
    identifiers = EMAIL + ["arn:aws:dataprotection::aws:data-identifier/CreditCardNumber", "EmployeeId"]
    put = logs.put_data_protection_policy(logGroupIdentifier="/app/web", policyDocument=protection(identifiers, custom))
    assert put["logGroupIdentifier"] == "/app/web" and put["lastUpdatedTime"] > 0
    masked = [e["message"] for e in logs.get_log_events(logGroupName="/app/web", logStreamName="main",
                                                       startFromHead=True)["events"]]
    assert masked == ["user ***************** logged in", "card ******************* " + "*" * len("EmployeeId-123456789")]
    plain = [e["message"] for e in logs.get_log_events(logGroupName="/app/web", logStreamName="main",
                                                      startFromHead=True, unmask=True)["events"]]
    assert plain[0] == "user alice@example.com logged in"
    # A search sees what its reader sees: the masked text does not match the hidden address.
    assert logs.filter_log_events(logGroupName="/app/web", filterPattern='"alice@example.com"')["events"] == []
    assert len(logs.filter_log_events(logGroupName="/app/web", filterPattern='"alice@example.com"',
                                      unmask=True)["events"]) == 1
    assert logs.describe_log_groups()["logGroups"][0]["dataProtectionStatus"] == "ACTIVATED"
    assert json.loads(logs.get_data_protection_policy(logGroupIdentifier="/app/web")["policyDocument"])["Name"] == "protect"
    logs.delete_data_protection_policy(logGroupIdentifier="/app/web")
    assert "policyDocument" not in logs.get_data_protection_policy(logGroupIdentifier="/app/web")
    assert error_of(lambda: logs.delete_data_protection_policy(logGroupIdentifier="/app/web"))["Code"] == \
        "ResourceNotFoundException"


def test_data_protection_policy_validation(logs):
    group(logs)

    def refused(document: str) -> str:
        found = error_of(lambda: logs.put_data_protection_policy(logGroupIdentifier="/app/web", policyDocument=document))
        assert found["Code"] == "InvalidParameterException"
        return found["Message"]

    assert "not valid JSON" in refused("{nope")
    assert "Version must be 2021-06-01" in refused(json.dumps({**json.loads(protection()), "Version": "2012-10-17"}))
    one = json.loads(protection())
    one["Statement"] = one["Statement"][:1]
    assert "exactly two statements" in refused(json.dumps(one))
    different = json.loads(protection())
    different["Statement"][1]["DataIdentifier"] = ["arn:aws:dataprotection::aws:data-identifier/IpAddress"]
    assert "must be the same" in refused(json.dumps(different))
    assert "unknown managed data identifier" in refused(protection(["arn:aws:dataprotection::aws:data-identifier/Nope"]))
    assert error_of(lambda: logs.put_data_protection_policy(logGroupIdentifier="/nope", policyDocument=protection()))[
        "Code"] == "ResourceNotFoundException"


# -- resource policies -------------------------------------------------------------------------------

def route53_policy(resource="*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "route53.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": resource}]})


def test_resource_policies_limit_pages_and_delete(logs):
    for i in range(10):
        put = logs.put_resource_policy(policyName=f"p{i}", policyDocument=route53_policy())["resourcePolicy"]
        assert put["policyScope"] == "ACCOUNT" and "revisionId" not in put
    assert error_of(lambda: logs.put_resource_policy(policyName="p10", policyDocument=route53_policy())) == {
        "Code": "LimitExceededException", "Message": "Resource limit exceeded."}
    logs.put_resource_policy(policyName="p0", policyDocument=route53_policy("arn:aws:logs:*:*:*"))  # an update
    page = logs.describe_resource_policies(limit=4)
    assert len(page["resourcePolicies"]) == 4 and page["nextToken"]
    names = [p["policyName"] for p in logs.get_paginator("describe_resource_policies").paginate()
             for p in p["resourcePolicies"]]
    assert sorted(names) == sorted(f"p{i}" for i in range(10))
    logs.delete_resource_policy(policyName="p3")
    assert error_of(lambda: logs.delete_resource_policy(policyName="p3")) == {
        "Code": "ResourceNotFoundException", "Message": "Policy with name [p3] does not exist"}
    bad = error_of(lambda: logs.put_resource_policy(policyName="bad", policyDocument="{not json"))
    assert bad["Code"] == "InvalidParameterException"


def test_a_log_groups_resource_policy_is_guarded_by_its_revision(logs):
    group(logs)
    arn = logs.describe_log_groups()["logGroups"][0]["logGroupArn"]
    first = logs.put_resource_policy(policyName="group", policyDocument=route53_policy(arn), resourceArn=arn)
    assert first["resourcePolicy"]["policyScope"] == "RESOURCE" and first["revisionId"]
    stale = error_of(lambda: logs.put_resource_policy(policyName="group", policyDocument=route53_policy(arn),
                                                      resourceArn=arn, expectedRevisionId="stale"))
    assert stale["Code"] == "OperationAbortedException"
    second = logs.put_resource_policy(policyName="group", policyDocument=route53_policy(arn), resourceArn=arn,
                                      expectedRevisionId=first["revisionId"])
    described = logs.describe_resource_policies(resourceArn=arn, policyScope="RESOURCE")["resourcePolicies"]
    assert [(p["policyName"], p["revisionId"]) for p in described] == [("group", second["revisionId"])]
    assert logs.describe_resource_policies()["resourcePolicies"] == []  # account scope by default
    logs.delete_resource_policy(policyName="group", resourceArn=arn, expectedRevisionId=second["revisionId"])


# -- account policies --------------------------------------------------------------------------------

def test_account_data_protection_and_retention_policies_apply_to_groups(logs):
    group(logs, messages=["mail bob@example.com"])
    logs.put_account_policy(policyName="mask-mail", policyType="DATA_PROTECTION_POLICY", policyDocument=protection())
    assert logs.get_log_events(logGroupName="/app/web", logStreamName="main")["events"][0]["message"] == \
        "mail ***************"
    other = error_of(lambda: logs.put_account_policy(policyName="second", policyType="DATA_PROTECTION_POLICY",
                                                     policyDocument=protection()))
    assert other["Code"] == "LimitExceededException"
    logs.put_retention_policy(logGroupName="/app/web", retentionInDays=7)
    dry = logs.put_account_policy(policyName="keep-90", policyType="RETENTION_POLICY", dryRun=True,
                                  policyDocument=json.dumps({"retentionInDays": 90, "enforcementMode": "RETROACTIVE"}),
                                  selectionCriteria='LogGroupNamePrefix IN ["/app"]')["dryRunResult"]
    assert (dry["totalMatchedLogGroups"], dry["increasedRetentionLogGroupCount"]) == (1, 1)
    assert dry["topLogGroupsImpacted"][0]["proposedRetention"] == "90"
    assert "retentionPolicyName" not in logs.describe_log_groups()["logGroups"][0]
    logs.put_account_policy(policyName="keep-90", policyType="RETENTION_POLICY",
                            policyDocument=json.dumps({"retentionInDays": 90, "enforcementMode": "RETROACTIVE"}),
                            selectionCriteria='LogGroupNamePrefix IN ["/app"]')
    described = logs.describe_log_groups()["logGroups"][0]
    assert (described["retentionInDays"], described["retentionPolicyName"]) == (90, "keep-90")
    policies = logs.describe_account_policies(policyType="RETENTION_POLICY")["accountPolicies"]
    assert [(p["policyName"], p["accountId"], p["selectionCriteria"]) for p in policies] == [
        ("keep-90", ACCOUNT, 'LogGroupNamePrefix IN ["/app"]')]
    logs.delete_account_policy(policyName="keep-90", policyType="RETENTION_POLICY")
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 7


def test_account_policy_validation(logs):
    def refused(**params) -> dict:
        return error_of(lambda: logs.put_account_policy(**{"policyName": "p", "policyType": "RETENTION_POLICY",
                                                           "policyDocument": '{"retentionInDays": 30}', **params}))

    assert refused(policyName="aws/mine")["Code"] == "InvalidParameterException"
    assert "retentionInDays" in refused(policyDocument='{"retentionInDays": 3}')["Message"]
    assert "selectionCriteria is not supported" in refused(policyType="DATA_PROTECTION_POLICY",
                                                           policyDocument=protection(),
                                                           selectionCriteria='LogGroupNamePrefix IN ["/a"]')["Message"]
    assert "dryRun" in refused(policyType="DATA_PROTECTION_POLICY", policyDocument=protection(), dryRun=True)["Message"]
    missing = refused(policyType="SUBSCRIPTION_FILTER_POLICY", policyDocument=json.dumps(
        {"DestinationArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:none"}))
    assert missing["Message"].startswith("Could not execute the lambda function")
    assert error_of(lambda: logs.delete_account_policy(policyName="none", policyType="RETENTION_POLICY"))["Code"] == \
        "ResourceNotFoundException"


def test_account_transformer_and_index_policies_select_groups_by_prefix(logs):
    group(logs)
    transformer = {"transformerConfig": [{"parseJSON": {}}, {"addKeys": {"entries": [{"key": "team", "value": "web"}]}}]}
    logs.put_account_policy(policyName="json", policyType="TRANSFORMER_POLICY", policyDocument=json.dumps(transformer),
                            selectionCriteria='LogGroupNamePrefix IN ["/app"]')
    logs.put_account_policy(policyName="ids", policyType="FIELD_INDEX_POLICY",
                            policyDocument=json.dumps({"Fields": ["requestId"]}))
    indexes = logs.describe_index_policies(logGroupIdentifiers=["/app/web"])["indexPolicies"]
    assert [(p["source"], p["policyName"]) for p in indexes] == [("ACCOUNT", "ids")]
    logs.put_index_policy(logGroupIdentifier="/app/web", policyDocument=json.dumps({"Fields": ["userId"]}))
    indexes = logs.describe_index_policies(logGroupIdentifiers=["/app/web"])["indexPolicies"]
    assert [p["source"] for p in indexes] == ["LOG_GROUP"]
    assert len(logs.describe_account_policies(policyType="TRANSFORMER_POLICY")["accountPolicies"]) == 1


# -- field index policies ----------------------------------------------------------------------------

def test_field_indexes_of_a_policy(logs):
    group(logs, messages=['{"requestId": "r-1", "level": "INFO"}', "plain text", '{"requestId": "r-2"}'])
    document = json.dumps({"Fields": ["requestId"], "FieldsV2": {"level": {"type": "FACET"}}})
    put = logs.put_index_policy(logGroupIdentifier="/app/web", policyDocument=document)["indexPolicy"]
    assert put["source"] == "LOG_GROUP" and put["logGroupIdentifier"].endswith(":log-group:/app/web")
    custom = logs.describe_field_indexes(logGroupIdentifiers=["/app/web"], indexCategories=["CUSTOM"])["fieldIndexes"]
    found = {f["fieldIndexName"]: f for f in custom}
    assert set(found) == {"requestId", "level"} and found["level"]["type"] == "FACET"
    assert found["requestId"]["firstEventTime"] < found["requestId"]["lastEventTime"]
    defaults = logs.describe_field_indexes(logGroupIdentifiers=["/app/web"])["fieldIndexes"]
    assert "@logStream" in {f["fieldIndexName"] for f in defaults if f["indexCategory"] == "DEFAULT"}
    both = error_of(lambda: logs.put_index_policy(logGroupIdentifier="/app/web", policyDocument=json.dumps(
        {"Fields": ["a"], "FieldsV2": {"a": {"type": "FACET"}}})))
    assert both["Code"] == "InvalidParameterException" and "both Fields and FieldsV2" in both["Message"]
    assert error_of(lambda: logs.put_index_policy(logGroupIdentifier="/app/web", policyDocument="{}"))["Code"] == \
        "InvalidParameterException"
    logs.delete_index_policy(logGroupIdentifier="/app/web")
    assert error_of(lambda: logs.delete_index_policy(logGroupIdentifier="/app/web"))["Code"] == "ResourceNotFoundException"


# -- transformers ------------------------------------------------------------------------------------

def test_test_transformer_runs_processors(logs):
    processors = [
        {"parseJSON": {}},
        {"renameKeys": {"entries": [{"key": "lvl", "renameTo": "level"}]}},
        {"upperCaseString": {"withKeys": ["level"]}},
        {"typeConverter": {"entries": [{"key": "ms", "type": "integer"}]}},
        {"addKeys": {"entries": [{"key": "env", "value": "prod"}]}},
        {"deleteKeys": {"withKeys": ["secret"]}},
    ]
    result = logs.test_transformer(transformerConfig=processors, logEventMessages=[
        '{"lvl": "warn", "ms": "12", "secret": "x"}', "not json"])["transformedLogs"]
    assert json.loads(result[0]["transformedEventMessage"]) == {"level": "WARN", "ms": 12, "env": "prod"}
    # An event a processor cannot read goes on as it came.
    assert result[1] == {"eventNumber": 2, "eventMessage": "not json", "transformedEventMessage": "not json"}
    grok = logs.test_transformer(transformerConfig=[{"grok": {"match": "%{IP:client} %{WORD:method} %{NUMBER:ms:int}"}}],
                                 logEventMessages=["10.0.0.1 GET 35"])["transformedLogs"][0]
    assert json.loads(grok["transformedEventMessage"]) == {"client": "10.0.0.1", "method": "GET", "ms": 35}
    kv = logs.test_transformer(transformerConfig=[{"parseKeyValue": {"fieldDelimiter": " ", "keyValueDelimiter": ":"}}],
                               logEventMessages=["a:1 b:2"])["transformedLogs"][0]
    assert json.loads(kv["transformedEventMessage"]) == {"a": "1", "b": "2"}


def test_transformers_validated_stored_and_read_by_filters(cloud, logs):
    group(logs)
    vended_late = error_of(lambda: logs.put_transformer(logGroupIdentifier="/app/web", transformerConfig=[
        {"parseJSON": {}}, {"parseVPC": {}}]))
    assert vended_late["Code"] == "InvalidParameterException" and "first processor" in vended_late["Message"]
    two = error_of(lambda: logs.put_transformer(logGroupIdentifier="/app/web", transformerConfig=[
        {"parseJSON": {}, "csv": {}}]))
    assert "exactly one processor type" in two["Message"]
    bad_grok = error_of(lambda: logs.test_transformer(transformerConfig=[{"grok": {"match": "%{NOPE:x}"}}],
                                                      logEventMessages=["x"]))
    assert bad_grok["Code"] == "InvalidParameterException"
    ocsf = error_of(lambda: logs.test_transformer(transformerConfig=[
        {"parseToOCSF": {"eventSource": "CloudTrail", "ocsfVersion": "V1.1"}}], logEventMessages=["{}"]))
    assert ocsf["Code"] == "InvalidOperationException"
    config = [{"parseKeyValue": {}}, {"typeConverter": {"entries": [{"key": "ms", "type": "integer"}]}}]
    logs.put_transformer(logGroupIdentifier="/app/web", transformerConfig=config)
    stored = logs.get_transformer(logGroupIdentifier="/app/web")
    assert stored["transformerConfig"] == config and stored["creationTime"] <= stored["lastModifiedTime"]
    logs.put_metric_filter(logGroupName="/app/web", filterName="ms", filterPattern="{ $.ms > 10 }",
                           applyOnTransformedLogs=True,
                           metricTransformations=[{"metricName": "Ms", "metricNamespace": "App", "metricValue": "$.ms"}])
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName="/app/web", logStreamName="main",
                        logEvents=[{"timestamp": now, "message": "ms=42&user=a"}, {"timestamp": now, "message": "ms=3"}])

    # Only the transformed event has a number in $.ms: one point, 42.
    cloudwatch = cloud.client("cloudwatch", account=ACCOUNT)

    def published():
        return cloudwatch.get_metric_statistics(Namespace="App", MetricName="Ms", StartTime=time.time() - 3600,
                                                EndTime=time.time() + 60, Period=3600,
                                                Statistics=["Sum", "SampleCount"])["Datapoints"]
    point = eventually(published, what="App Ms in CloudWatch")[0]
    assert (point["SampleCount"], point["Sum"]) == (1.0, 42.0)
    logs.delete_transformer(logGroupIdentifier="/app/web")
    assert error_of(lambda: logs.get_transformer(logGroupIdentifier="/app/web"))["Code"] == "ResourceNotFoundException"


def test_infrequent_access_groups_take_no_transformer_or_index_policy(logs):
    logs.create_log_group(logGroupName="/cold", logGroupClass="INFREQUENT_ACCESS")
    assert error_of(lambda: logs.put_transformer(logGroupIdentifier="/cold", transformerConfig=[{"parseJSON": {}}]))[
        "Code"] == "InvalidOperationException"
    assert error_of(lambda: logs.put_index_policy(logGroupIdentifier="/cold", policyDocument='{"Fields": ["a"]}'))[
        "Code"] == "InvalidOperationException"


def test_insights_queries_see_masked_events(logs):
    group(logs, messages=['{"email": "carol@example.com", "level": "INFO"}'])
    logs.put_data_protection_policy(logGroupIdentifier="/app/web", policyDocument=protection())
    query_id = logs.start_query(logGroupName="/app/web", startTime=0, endTime=int(time.time()) + 60,
                                queryString="fields @message")["queryId"]
    deadline = time.monotonic() + 10
    while (found := logs.get_query_results(queryId=query_id))["status"] != "Complete":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    (row,) = found["results"]
    assert {f["field"]: f["value"] for f in row}["@message"] == '{"email": "*****************", "level": "INFO"}'
