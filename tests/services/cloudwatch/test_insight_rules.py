"""Contributor Insights: rules over CloudWatch Logs groups, their reports computed from the events
ingested while the rule is enabled, managing rules, and the rule body's errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.services.cloudwatch.helpers import aligned, client, refused

RULE = {"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["/shop/access*"], "LogFormat": "JSON",
        "Contribution": {"Keys": ["$.ip"], "ValueOf": "$.bytes",
                         "Filters": [{"Match": "$.method", "In": ["PUT", "POST"]}]},
        "AggregateOn": "Sum"}


def put_events(logs, group: str, events: list[tuple], stream: str = "web-1") -> None:
    """(datetime, message dict or str) events, written to the group (made when missing)."""
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    if not logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)["logStreams"]:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
        {"timestamp": int(at.timestamp() * 1000), "message": m if isinstance(m, str) else json.dumps(m)}
        for at, m in sorted(events, key=lambda e: e[0])])


def test_report_is_computed_from_the_log_events(cloud):
    cw, logs = client(cloud), cloud.client("logs")
    start = aligned(60, back=10)
    before = [(start, {"ip": "10.0.0.9", "bytes": 1000, "method": "PUT"})]
    put_events(logs, "/shop/access-eu", before)  # ingested before the rule exists: never analysed
    cw.put_insight_rule(RuleName="top-uploaders", RuleDefinition=json.dumps(RULE))
    minute = timedelta(minutes=1)
    put_events(logs, "/shop/access-eu", [
        (start + timedelta(seconds=5), {"ip": "10.0.0.1", "bytes": 100, "method": "PUT"}),
        (start + timedelta(seconds=9), {"ip": "10.0.0.1", "bytes": 50, "method": "POST"}),
        (start + timedelta(seconds=20), {"ip": "10.0.0.2", "bytes": 30, "method": "PUT"}),
        (start + timedelta(seconds=30), {"ip": "10.0.0.3", "bytes": 999, "method": "GET"}),  # filtered out
        (start + minute, {"ip": "10.0.0.2", "bytes": 500, "method": "PUT"}),
        (start + minute, "not json"),  # not counted
        (start + minute, {"ip": "10.0.0.4", "method": "PUT"}),  # no ValueOf: not counted
    ], stream="web-2")
    put_events(logs, "/shop/access-us", [(start + minute, {"ip": "10.0.0.1", "bytes": 7, "method": "PUT"})])
    put_events(logs, "/other", [(start, {"ip": "10.0.0.5", "bytes": 10_000, "method": "PUT"})])  # not the rule's group
    report = cw.get_insight_rule_report(RuleName="top-uploaders", StartTime=start, EndTime=start + 5 * minute, Period=60,
                                        Metrics=["UniqueContributors", "MaxContributorValue", "SampleCount", "Sum",
                                                 "Minimum", "Maximum", "Average"])
    assert report["KeyLabels"] == ["$.ip"] and report["AggregationStatistic"] == "Sum"
    assert report["AggregateValue"] == 687.0 and report["ApproximateUniqueCount"] == 2
    assert [(c["Keys"], c["ApproximateAggregateValue"]) for c in report["Contributors"]] == [
        (["10.0.0.2"], 530.0), (["10.0.0.1"], 157.0)]
    assert [(d["Timestamp"], d["ApproximateValue"]) for d in report["Contributors"][1]["Datapoints"]] == [
        (start, 150.0), (start + minute, 7.0)]
    first, second = report["MetricDatapoints"]
    assert first == {"Timestamp": start, "UniqueContributors": 2.0, "MaxContributorValue": 150.0, "SampleCount": 3.0,
                     "Sum": 180.0, "Minimum": 30.0, "Maximum": 100.0, "Average": 60.0}
    assert second["Timestamp"] == start + minute and second["Sum"] == 507.0 and second["MaxContributorValue"] == 500.0
    # OrderBy Maximum ranks by the best single period; MaxContributorCount cuts the list.
    top = cw.get_insight_rule_report(RuleName="top-uploaders", StartTime=start, EndTime=start + 5 * minute, Period=300,
                                     MaxContributorCount=1, OrderBy="Maximum")
    assert [c["Keys"] for c in top["Contributors"]] == [["10.0.0.2"]] and "MetricDatapoints" not in top
    assert all(d["Timestamp"].timestamp() % 300 == 0 for c in top["Contributors"] for d in c["Datapoints"])

    # Metric math reads the same statistics: INSIGHT_RULE_METRIC(rule, metric).
    data = cw.get_metric_data(StartTime=start, EndTime=start + 5 * minute, ScanBy="TimestampAscending", MetricDataQueries=[
        {"Id": "unique", "Expression": "INSIGHT_RULE_METRIC('top-uploaders', 'UniqueContributors')", "Period": 60},
        {"Id": "top", "Expression": "INSIGHT_RULE_METRIC('top-uploaders', 'MaxContributorValue') * 2", "Period": 60},
    ])
    results = {r["Id"]: (r["Timestamps"], r["Values"]) for r in data["MetricDataResults"]}
    assert results["unique"] == ([start, start + minute], [2.0, 2.0])
    assert results["top"][1] == [300.0, 1000.0]
    with refused("ValidationError", "Error in expression bad: INSIGHT_RULE_METRIC has no metric Median; it has "
                                    "UniqueContributors, MaxContributorValue, SampleCount, Sum, Minimum, Maximum, Average"):
        cw.get_metric_data(StartTime=start, EndTime=start + 5 * minute, MetricDataQueries=[
            {"Id": "bad", "Expression": "INSIGHT_RULE_METRIC('top-uploaders', 'Median')", "Period": 60}])
    with refused("ValidationError", "Error in expression ghost: The Contributor Insights rule ghost does not exist"):
        cw.get_metric_data(StartTime=start, EndTime=start + 5 * minute, MetricDataQueries=[
            {"Id": "ghost", "Expression": "INSIGHT_RULE_METRIC('ghost', 'Sum')", "Period": 60}])

    # Disabled, the rule does not analyse what arrives; enabled again, it does.
    assert cw.disable_insight_rules(RuleNames=["top-uploaders"])["Failures"] == []
    put_events(logs, "/shop/access-eu", [(start + 2 * minute, {"ip": "10.0.0.7", "bytes": 1, "method": "PUT"})])
    cw.enable_insight_rules(RuleNames=["top-uploaders"])
    put_events(logs, "/shop/access-eu", [(start + 2 * minute, {"ip": "10.0.0.8", "bytes": 2, "method": "PUT"})])
    later = cw.get_insight_rule_report(RuleName="top-uploaders", StartTime=start, EndTime=start + 5 * minute, Period=60)
    assert sorted(c["Keys"][0] for c in later["Contributors"]) == ["10.0.0.1", "10.0.0.2", "10.0.0.8"]


def test_count_rules_over_common_log_format(cloud):
    cw, logs = client(cloud), cloud.client("logs")
    rule = {"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["/vpc/flows"], "LogFormat": "CLF",
            "Fields": {"4": "srcaddr", "5": "dstaddr", "10": "bytes", "13": "action"},
            "Contribution": {"Keys": ["srcaddr", "dstaddr"],
                             "Filters": [{"Match": "action", "StartsWith": ["REJ"]}, {"Match": "bytes", "GreaterThan": 10}]},
            "AggregateOn": "Count"}
    cw.put_insight_rule(RuleName="rejected-talkers", RuleDefinition=json.dumps(rule), RuleState="ENABLED")
    start = aligned(60, back=5)

    def flow(src: str, dst: str, size: int, action: str) -> str:
        return f"2 123456789010 eni-1235b8ca {src} {dst} 20641 22 6 20 {size} 1418530010 1418530070 {action} OK"
    put_events(logs, "/vpc/flows", [(start, flow("172.31.9.69", "172.31.9.12", 4249, "REJECT")),
                                    (start, flow("172.31.9.69", "172.31.9.12", 300, "REJECT")),
                                    (start, flow("172.31.9.70", "172.31.9.12", 300, "REJECT")),
                                    (start, flow("172.31.9.71", "172.31.9.12", 5, "REJECT")),
                                    (start, flow("172.31.9.72", "172.31.9.12", 300, "ACCEPT"))])
    report = cw.get_insight_rule_report(RuleName="rejected-talkers", StartTime=start, EndTime=start + timedelta(minutes=1),
                                        Period=60, Metrics=["SampleCount"])
    assert report["AggregationStatistic"] == "Count" and report["KeyLabels"] == ["srcaddr", "dstaddr"]
    assert [(c["Keys"], c["ApproximateAggregateValue"]) for c in report["Contributors"]] == [
        (["172.31.9.69", "172.31.9.12"], 2.0), (["172.31.9.70", "172.31.9.12"], 1.0)]
    assert report["MetricDatapoints"] == [{"Timestamp": start, "SampleCount": 3.0}]


def test_managing_rules(cloud):
    cw = client(cloud)
    for index in range(3):
        cw.put_insight_rule(RuleName=f"rule-{index}", RuleDefinition=json.dumps(RULE), RuleState="DISABLED",
                            Tags=[{"Key": "team", "Value": "shop"}])
    page = cw.describe_insight_rules(MaxResults=2)
    assert [r["Name"] for r in page["InsightRules"]] == ["rule-0", "rule-1"]
    assert page["InsightRules"][0] == {"Name": "rule-0", "State": "DISABLED", "Schema": "CloudWatchLogRule/1",
                                       "Definition": json.dumps(RULE), "ManagedRule": False,
                                       "ApplyOnTransformedLogs": False}
    rest = cw.describe_insight_rules(NextToken=page["NextToken"])
    assert [r["Name"] for r in rest["InsightRules"]] == ["rule-2"] and "NextToken" not in rest
    with refused("InvalidNextToken"):
        cw.describe_insight_rules(NextToken="forged")
    failures = cw.enable_insight_rules(RuleNames=["rule-0", "ghost"])["Failures"]
    assert [(f["FailureResource"], f["ExceptionType"]) for f in failures] == [("ghost", "ResourceNotFoundException")]
    assert cw.describe_insight_rules()["InsightRules"][0]["State"] == "ENABLED"
    arn = "arn:aws:cloudwatch:us-east-1:000000000000:insight-rule/rule-1"
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "shop"}]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "tier", "Value": "1"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "tier", "Value": "1"}]
    # An update keeps the rule's tags (those of the request are ignored, as on AWS) and takes its state.
    cw.put_insight_rule(RuleName="rule-1", RuleDefinition=json.dumps({**RULE, "AggregateOn": "Count"}),
                        Tags=[{"Key": "new", "Value": "x"}])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "tier", "Value": "1"}]
    assert cw.describe_insight_rules()["InsightRules"][1]["State"] == "ENABLED"
    assert cw.delete_insight_rules(RuleNames=["rule-1", "rule-2"])["Failures"] == []
    assert [r["Name"] for r in cw.describe_insight_rules()["InsightRules"]] == ["rule-0"]
    with refused("ResourceNotFoundException", "Rule rule-1 does not exist.", 404):
        cw.get_insight_rule_report(RuleName="rule-1", StartTime=aligned(60, 5), EndTime=aligned(60), Period=60)
    with refused("InvalidParameterValue", "The parameter Period must be a multiple of 60."):
        cw.get_insight_rule_report(RuleName="rule-0", StartTime=aligned(60, 5), EndTime=aligned(60), Period=30)
    with refused("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime."):
        cw.get_insight_rule_report(RuleName="rule-0", StartTime=aligned(60), EndTime=aligned(60, 5), Period=60)
    with refused("InvalidParameterValue", "The value 101 for parameter MaxContributorCount is invalid."):
        cw.get_insight_rule_report(RuleName="rule-0", StartTime=aligned(60, 5), EndTime=aligned(60), Period=60,
                                   MaxContributorCount=101)
    with refused("InvalidParameterValue", "The value Median for parameter Metrics is invalid."):
        cw.get_insight_rule_report(RuleName="rule-0", StartTime=aligned(60, 5), EndTime=aligned(60), Period=60,
                                   Metrics=["Median"])


def test_managed_rules_have_no_templates_for_what_regionbox_serves(cloud):
    cw = client(cloud)
    table = "arn:aws:dynamodb:us-east-1:000000000000:table/orders"
    assert cw.list_managed_insight_rules(ResourceARN=table)["ManagedRules"] == []
    failures = cw.put_managed_insight_rules(ManagedRules=[{"TemplateName": "VpcEndpointService-BytesByEndpointId-v1",
                                                           "ResourceARN": table}])["Failures"]
    assert failures[0]["FailureResource"] == "VpcEndpointService-BytesByEndpointId-v1"
    assert failures[0]["ExceptionType"] == "InvalidParameterValueException"
    with refused("InvalidParameterValue", "The value orders for parameter ResourceARN is invalid."):
        cw.list_managed_insight_rules(ResourceARN="orders")


def test_rule_body_errors(cloud):
    cw = client(cloud)

    def refused_body(body, message: str) -> None:
        with refused("InvalidParameterValue", f"The rule definition is invalid: {message}"):
            cw.put_insight_rule(RuleName="bad", RuleDefinition=body if isinstance(body, str) else json.dumps(body))

    refused_body("{", "it is not a valid JSON object.")
    refused_body({**RULE, "Schema": {"Name": "Other", "Version": 1}},
                 'Schema must be {"Name": "CloudWatchLogRule", "Version": 1}.')
    refused_body({**RULE, "LogGroupARNs": ["arn:aws:logs:us-east-1:000000000000:log-group:x"]},
                 "exactly one of LogGroupNames and LogGroupARNs must be given.")
    refused_body({**RULE, "LogGroupNames": ["a*b"]}, "a wildcard (*) may only end a log group name.")
    refused_body({**RULE, "LogFormat": "XML"}, "LogFormat must be JSON or CLF.")
    refused_body({**RULE, "AggregateOn": "Average"}, "AggregateOn must be Count or Sum.")
    refused_body({**RULE, "Contribution": {"Keys": ["$.ip"]}}, "a rule that aggregates on Sum needs Contribution.ValueOf.")
    refused_body({**RULE, "Contribution": {**RULE["Contribution"], "Keys": ["$.a", "$.b", "$.c", "$.d", "$.e"]}},
                 "Contribution.Keys must have between 1 and 4 keys.")
    refused_body({**RULE, "Contribution": {**RULE["Contribution"], "Keys": ["ip"]}},
                 "the key ip is not a JSON path such as $.field.")
    refused_body({**RULE, "Contribution": {**RULE["Contribution"], "Filters": [{"Match": "$.a", "In": ["x"]}] * 5}},
                 "Contribution.Filters may have at most 4 filters.")
    refused_body({**RULE, "Contribution": {**RULE["Contribution"], "Filters": [{"Match": "$.a", "Like": ["x"]}]}},
                 "a filter has exactly one of In, NotIn, StartsWith, GreaterThan, LessThan, EqualTo, NotEqualTo, "
                 "IsPresent.")
    refused_body({**RULE, "LogFormat": "CLF", "Fields": {"1": "ip"}, "Contribution": {"Keys": ["ip"], "ValueOf": "bytes"}},
                 "ValueOf bytes is not one of the Fields.")
    with refused("InvalidParameterValue", "The value PAUSED for parameter RuleState is invalid."):
        cw.put_insight_rule(RuleName="bad", RuleDefinition=json.dumps(RULE), RuleState="PAUSED")
    assert cw.describe_insight_rules()["InsightRules"] == []


def test_rules_on_transformed_logs(cloud):
    cw, logs = client(cloud), cloud.client("logs")
    logs.create_log_group(logGroupName="/kv")
    logs.put_transformer(logGroupIdentifier="/kv", transformerConfig=[
        {"parseKeyValue": {"fieldDelimiter": " ", "keyValueDelimiter": "="}}])
    rule = {**RULE, "LogGroupNames": ["/kv"], "AggregateOn": "Count", "Contribution": {"Keys": ["$.user"]}}
    cw.put_insight_rule(RuleName="transformed", RuleDefinition=json.dumps(rule), ApplyOnTransformedLogs=True)
    cw.put_insight_rule(RuleName="raw", RuleDefinition=json.dumps(rule))
    assert [r["ApplyOnTransformedLogs"] for r in cw.describe_insight_rules()["InsightRules"]] == [False, True]
    start = aligned(60, back=3)
    put_events(logs, "/kv", [(start, "user=ana action=login"), (start, "user=ana action=logout"),
                             (start, "user=bo action=login")])
    report = cw.get_insight_rule_report(RuleName="transformed", StartTime=start, EndTime=start + timedelta(minutes=1),
                                        Period=60)
    assert [(c["Keys"], c["ApproximateAggregateValue"]) for c in report["Contributors"]] == [(["ana"], 2.0), (["bo"], 1.0)]
    raw = cw.get_insight_rule_report(RuleName="raw", StartTime=start, EndTime=start + timedelta(minutes=1), Period=60)
    assert raw["Contributors"] == [] and raw["ApproximateUniqueCount"] == 0  # the stored events are not JSON


@pytest.mark.parametrize("protocol", ["query", "smithy-rpc-v2-cbor"])
def test_the_new_operations_speak_every_protocol(cloud, protocol):
    cw, logs = client(cloud, protocol), cloud.client("logs")
    cw.put_insight_rule(RuleName="wire", RuleDefinition=json.dumps(RULE), Tags=[{"Key": "k", "Value": "v"}])
    assert cw.describe_insight_rules()["InsightRules"][0]["Schema"] == "CloudWatchLogRule/1"
    start = aligned(60, back=2)
    put_events(logs, "/shop/access", [(start, {"ip": "10.0.0.1", "bytes": 5, "method": "PUT"})])
    report = cw.get_insight_rule_report(RuleName="wire", StartTime=start, EndTime=start + timedelta(minutes=1), Period=60,
                                        Metrics=["Sum"])
    assert report["Contributors"][0]["Datapoints"] == [{"Timestamp": start, "ApproximateValue": 5.0}]
    assert report["MetricDatapoints"] == [{"Timestamp": start, "Sum": 5.0}]
    assert cw.enable_insight_rules(RuleNames=["ghost"])["Failures"][0]["FailureResource"] == "ghost"
    cw.put_metric_stream(Name="wire", FirehoseArn="arn:aws:firehose:us-east-1:000000000000:deliverystream/d",
                         RoleArn="arn:aws:iam::000000000000:role/r", OutputFormat="opentelemetry1.0")
    assert cw.list_metric_streams()["Entries"][0]["OutputFormat"] == "opentelemetry1.0"
    cw.put_metric_alarm(AlarmName="wire", Namespace="Fleet", MetricName="Disk", Statistic="Maximum", Period=60,
                        EvaluationPeriods=1, Threshold=90.0, ComparisonOperator="GreaterThanThreshold",
                        TreatMissingData="ignore")
    cw.put_alarm_mute_rule(Name="wire", Rule={"Schedule": {"Expression": "cron(0 2 * * *)", "Duration": "PT1H"}},
                           MuteTargets={"AlarmNames": ["wire"]}, ExpireDate=start + timedelta(days=30))
    assert cw.get_alarm_mute_rule(AlarmMuteRuleName="wire")["ExpireDate"] == start + timedelta(days=30)
    saved = cw.put_metric_data_query_definition(Path="wire", Type="SQL", Expression="SELECT 1")
    assert cw.list_metric_data_query_definitions()["Items"][0]["Id"] == saved["Id"]
    assert cw.get_dataset(DatasetIdentifier="default")["DatasetId"] == "default"
