"""CloudWatch Logs through the AWS CLI (v1, a real subprocess): what users type for filters,
policies, deliveries, saved queries, anomaly detectors and exports works unchanged, pages with
the CLI's own pagination, and fails with AWS's codes and messages."""

from __future__ import annotations

import json
import time

from tests.services.test_cli_aws import aws

ACCOUNT = "123456789012"


def run(cloud, *args: str) -> dict:
    output = aws(cloud, "logs", *args).stdout
    return json.loads(output) if output.strip() else {}


def failure(cloud, *args: str) -> str:
    result = aws(cloud, "logs", *args, check=False)
    assert result.returncode != 0
    return result.stderr


def test_metric_filters_through_the_cli(cloud):
    run(cloud, "create-log-group", "--log-group-name", "/cli/web")
    transformation = json.dumps([{"metricName": "Errors", "metricNamespace": "Cli", "metricValue": "1"}])
    for name in ("a-errors", "b-errors", "c-errors"):
        run(cloud, "put-metric-filter", "--log-group-name", "/cli/web", "--filter-name", name,
            "--filter-pattern", "ERROR", "--metric-transformations", transformation)
    # --max-items pages with the CLI's own paginator over nextToken.
    first = run(cloud, "describe-metric-filters", "--log-group-name", "/cli/web", "--max-items", "2")
    assert [f["filterName"] for f in first["metricFilters"]] == ["a-errors", "b-errors"] and first["NextToken"]
    rest = run(cloud, "describe-metric-filters", "--log-group-name", "/cli/web", "--starting-token", first["NextToken"])
    assert [f["filterName"] for f in rest["metricFilters"]] == ["c-errors"]
    matches = run(cloud, "test-metric-filter", "--filter-pattern", "[ip, status = 5*]",
                  "--log-event-messages", "1.2.3.4 503", "1.2.3.4 200")["matches"]
    assert matches == [{"eventNumber": 1, "eventMessage": "1.2.3.4 503",
                        "extractedValues": {"$ip": "1.2.3.4", "$status": "503"}}]
    bad = failure(cloud, "put-metric-filter", "--log-group-name", "/cli/none", "--filter-name", "f", "--filter-pattern",
                  "", "--metric-transformations", transformation)
    assert "(ResourceNotFoundException)" in bad and "The specified log group does not exist." in bad
    run(cloud, "delete-metric-filter", "--log-group-name", "/cli/web", "--filter-name", "a-errors")
    assert len(run(cloud, "describe-metric-filters")["metricFilters"]) == 2


def test_subscription_target_missing_through_the_cli(cloud):
    run(cloud, "create-log-group", "--log-group-name", "/cli/sub")
    stderr = failure(cloud, "put-subscription-filter", "--log-group-name", "/cli/sub", "--filter-name", "ship",
                     "--filter-pattern", "", "--destination-arn", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:none")
    assert "(InvalidParameterException)" in stderr and "Could not execute the lambda function" in stderr


def test_policies_through_the_cli(cloud):
    run(cloud, "create-log-group", "--log-group-name", "/cli/pii")
    run(cloud, "create-log-stream", "--log-group-name", "/cli/pii", "--log-stream-name", "s")
    identifiers = ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"]
    document = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": [
        {"Sid": "a", "DataIdentifier": identifiers, "Operation": {"Audit": {"FindingsDestination": {}}}},
        {"Sid": "d", "DataIdentifier": identifiers, "Operation": {"Deidentify": {"MaskConfig": {}}}}]})
    run(cloud, "put-data-protection-policy", "--log-group-identifier", "/cli/pii", "--policy-document", document)
    events = json.dumps([{"timestamp": int(time.time() * 1000), "message": "to a@b.io"}])
    run(cloud, "put-log-events", "--log-group-name", "/cli/pii", "--log-stream-name", "s", "--log-events", events)
    masked = run(cloud, "get-log-events", "--log-group-name", "/cli/pii", "--log-stream-name", "s")["events"]
    plain = run(cloud, "get-log-events", "--log-group-name", "/cli/pii", "--log-stream-name", "s", "--unmask")["events"]
    assert (masked[0]["message"], plain[0]["message"]) == ("to ******", "to a@b.io")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "events.amazonaws.com"}, "Action": "logs:PutLogEvents", "Resource": "*"}]})
    run(cloud, "put-resource-policy", "--policy-name", "events", "--policy-document", policy)
    assert [p["policyName"] for p in run(cloud, "describe-resource-policies")["resourcePolicies"]] == ["events"]
    run(cloud, "put-account-policy", "--policy-name", "keep", "--policy-type", "RETENTION_POLICY",
        "--policy-document", '{"retentionInDays": 30}')
    assert run(cloud, "describe-log-groups", "--log-group-name-prefix", "/cli/pii")["logGroups"][0]["retentionInDays"] == 30
    bad = failure(cloud, "put-account-policy", "--policy-name", "keep", "--policy-type", "RETENTION_POLICY",
                  "--policy-document", '{"retentionInDays": 2}')
    assert "(InvalidParameterException)" in bad


def test_deliveries_queries_and_detectors_through_the_cli(cloud):
    group_arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/cli/cf"
    run(cloud, "create-log-group", "--log-group-name", "/cli/cf")
    run(cloud, "put-delivery-source", "--name", "cf", "--log-type", "ACCESS_LOGS", "--resource-arn",
        f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1")
    destination = run(cloud, "put-delivery-destination", "--name", "cwl", "--delivery-destination-configuration",
                      f"destinationResourceArn={group_arn}")["deliveryDestination"]
    delivery = run(cloud, "create-delivery", "--delivery-source-name", "cf", "--delivery-destination-arn",
                   destination["arn"])["delivery"]
    assert run(cloud, "describe-deliveries")["deliveries"][0]["id"] == delivery["id"]
    conflict = failure(cloud, "delete-delivery-destination", "--name", "cwl")
    assert "(ConflictException)" in conflict
    query_id = run(cloud, "put-query-definition", "--name", "errors", "--query-string", "fields @message")[
        "queryDefinitionId"]
    assert [d["queryDefinitionId"] for d in run(cloud, "describe-query-definitions")["queryDefinitions"]] == [query_id]
    detector = run(cloud, "create-log-anomaly-detector", "--log-group-arn-list", group_arn)["anomalyDetectorArn"]
    assert run(cloud, "list-anomalies", "--anomaly-detector-arn", detector)["anomalies"] == []
    bucket = failure(cloud, "create-export-task", "--log-group-name", "/cli/cf", "--from", "0", "--to", "1",
                     "--destination", "missing-bucket")
    assert "The given bucket does not exist. Please make sure the bucket is valid." in bucket
