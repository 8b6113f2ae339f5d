"""Contributor Insights and Kinesis streaming destinations through boto3 and the AWS CLI."""

import time

from engine_helpers import aws_error, create_table

STREAM = "arn:aws:kinesis:us-east-1:000000000000:stream/orders-changes"


def settled(fetch, key, moving):
    for _ in range(200):
        value = fetch()
        if value[key] not in moving:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{key} stayed in {moving}")


def gsi_table(ddb, name="tbl"):
    create_table(ddb, name, range_key=("sk", "S"), more_attributes=[("g", "S")], GlobalSecondaryIndexes=[
        {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}])


def test_contributor_insights_lifecycle(cloud):
    ddb = cloud.client("dynamodb")
    gsi_table(ddb)
    never = ddb.describe_contributor_insights(TableName="tbl")
    never.pop("ResponseMetadata")
    assert never == {"TableName": "tbl", "ContributorInsightsStatus": "DISABLED"}
    assert ddb.list_contributor_insights()["ContributorInsightsSummaries"] == []
    enabling = ddb.update_contributor_insights(TableName="tbl", ContributorInsightsAction="ENABLE")
    assert enabling["ContributorInsightsStatus"] == "ENABLING"
    assert enabling["ContributorInsightsMode"] == "ACCESSED_AND_THROTTLED_KEYS"
    described = settled(lambda: ddb.describe_contributor_insights(TableName="tbl"), "ContributorInsightsStatus", ("ENABLING",))
    assert described["ContributorInsightsStatus"] == "ENABLED"
    rules = described["ContributorInsightsRuleList"]
    assert [r.rsplit("-", 1)[0] for r in rules] == [
        "DynamoDBContributorInsights-PKC-tbl", "DynamoDBContributorInsights-SKC-tbl",
        "DynamoDBContributorInsights-PKT-tbl", "DynamoDBContributorInsights-SKT-tbl"]
    # On a settled state the same action is a no-op; a new mode is a new ENABLE with fewer rules.
    assert ddb.update_contributor_insights(TableName="tbl", ContributorInsightsAction="ENABLE")["ContributorInsightsStatus"] == "ENABLED"
    ddb.update_contributor_insights(TableName="tbl", ContributorInsightsAction="ENABLE", ContributorInsightsMode="THROTTLED_KEYS")
    throttled = settled(lambda: ddb.describe_contributor_insights(TableName="tbl"), "ContributorInsightsStatus", ("ENABLING",))
    assert [r.rsplit("-", 1)[0] for r in throttled["ContributorInsightsRuleList"]] == [
        "DynamoDBContributorInsights-PKT-tbl", "DynamoDBContributorInsights-SKT-tbl"]
    # An index has its own state; an index hash-only key has partition key rules only.
    ddb.update_contributor_insights(TableName="tbl", IndexName="by-g", ContributorInsightsAction="ENABLE")
    index = settled(lambda: ddb.describe_contributor_insights(TableName="tbl", IndexName="by-g"), "ContributorInsightsStatus",
                    ("ENABLING",))
    assert [r.rsplit("-", 1)[0] for r in index["ContributorInsightsRuleList"]] == [
        "DynamoDBContributorInsights-PKC-tbl-by-g", "DynamoDBContributorInsights-PKT-tbl-by-g"]
    listed = ddb.list_contributor_insights(TableName="tbl")["ContributorInsightsSummaries"]
    assert [(s.get("IndexName"), s["ContributorInsightsStatus"]) for s in listed] == [(None, "ENABLED"), ("by-g", "ENABLED")]
    assert ddb.update_contributor_insights(TableName="tbl", ContributorInsightsAction="DISABLE")["ContributorInsightsStatus"] == "DISABLING"
    settled(lambda: ddb.describe_contributor_insights(TableName="tbl"), "ContributorInsightsStatus", ("DISABLING",))
    # DISABLED entries are not listed.
    listed = ddb.list_contributor_insights()["ContributorInsightsSummaries"]
    assert [(s["TableName"], s.get("IndexName")) for s in listed] == [("tbl", "by-g")]


def test_contributor_insights_errors_and_paging(cloud):
    ddb = cloud.client("dynamodb")
    with aws_error("ResourceNotFoundException"):
        ddb.describe_contributor_insights(TableName="missing")
    create_table(ddb, "tbl", range_key=("sk", "S"), more_attributes=[("at", "S")], LocalSecondaryIndexes=[
        {"IndexName": "by-at", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    with aws_error("ResourceNotFoundException", "Requested resource not found: Index: by-at not found"):
        ddb.update_contributor_insights(TableName="tbl", IndexName="by-at", ContributorInsightsAction="ENABLE")
    with aws_error("ResourceNotFoundException", "Requested resource not found: Index: nothing not found"):
        ddb.describe_contributor_insights(TableName="tbl", IndexName="nothing")
    for n in range(5):
        create_table(ddb, f"many{n}")
        ddb.update_contributor_insights(TableName=f"many{n}", ContributorInsightsAction="ENABLE")
    pages, token = [], None
    while True:
        page = ddb.list_contributor_insights(MaxResults=2, **({"NextToken": token} if token else {}))
        pages.append([s["TableName"] for s in page["ContributorInsightsSummaries"]])
        token = page.get("NextToken")
        if not token:
            break
    assert pages == [["many0", "many1"], ["many2", "many3"], ["many4"]]
    with aws_error("ValidationException", contains="Provided nextToken is invalid"):
        ddb.list_contributor_insights(NextToken="forged")


def test_kinesis_destinations_fail_as_for_a_stream_that_does_not_exist(cloud):
    ddb = cloud.client("dynamodb")
    create_table(ddb)
    assert ddb.describe_kinesis_streaming_destination(TableName="tbl")["KinesisDataStreamDestinations"] == []
    enabled = ddb.enable_kinesis_streaming_destination(TableName="tbl", StreamArn=STREAM)
    assert enabled["DestinationStatus"] == "ENABLING" and enabled["EnableKinesisStreamingConfiguration"] == {}
    # While one is in flight, no other may start.
    with aws_error("ValidationException", "Table is not in a valid state to enable Kinesis Streaming Destination: "
                   "EnableKinesisStreamingDestination must be DISABLED or ENABLE_FAILED to perform ENABLE operation."):
        ddb.enable_kinesis_streaming_destination(TableName="tbl", StreamArn=STREAM + "-2")
    failed = settled(lambda: ddb.describe_kinesis_streaming_destination(TableName="tbl")["KinesisDataStreamDestinations"][0],
                     "DestinationStatus", ("ENABLING",))
    assert failed == {"StreamArn": STREAM, "DestinationStatus": "ENABLE_FAILED",
                      "DestinationStatusDescription": "User does not have a permission to use kinesis stream"}
    with aws_error("ValidationException", "Table is not in a valid state to enable Kinesis Streaming Destination: "
                   "KinesisStreamingDestination must be ACTIVE to perform DISABLE operation."):
        ddb.disable_kinesis_streaming_destination(TableName="tbl", StreamArn=STREAM)
    with aws_error("ValidationException", "Table is not in a valid state to enable Kinesis Streaming Destination: Kinesis "
                   f"streaming is not in ACTIVE state. Updates are only allowed in ACTIVE state. TableName: tbl, kdsArn: {STREAM}"):
        ddb.update_kinesis_streaming_destination(TableName="tbl", StreamArn=STREAM, UpdateKinesisStreamingConfiguration={
            "ApproximateCreationDateTimePrecision": "MICROSECOND"})
    with aws_error("ValidationException", "Streaming destination cannot be updated with given parameters: "
                   "UpdateKinesisStreamingConfiguration cannot be null or contain only null values"):
        ddb.update_kinesis_streaming_destination(TableName="tbl", StreamArn=STREAM, UpdateKinesisStreamingConfiguration={})
    # Failed entries accumulate, one per stream; enabling one again flips its entry.
    ddb.enable_kinesis_streaming_destination(TableName="tbl", StreamArn=STREAM + "-2")
    settled(lambda: ddb.describe_kinesis_streaming_destination(TableName="tbl")["KinesisDataStreamDestinations"][0],
            "DestinationStatus", ("ENABLING",))
    ddb.enable_kinesis_streaming_destination(TableName="tbl", StreamArn=STREAM)
    settled(lambda: ddb.describe_kinesis_streaming_destination(TableName="tbl")["KinesisDataStreamDestinations"][0],
            "DestinationStatus", ("ENABLING",))
    entries = ddb.describe_kinesis_streaming_destination(TableName="tbl")["KinesisDataStreamDestinations"]
    assert [(e["StreamArn"], e["DestinationStatus"]) for e in entries] == [(STREAM, "ENABLE_FAILED"), (STREAM + "-2", "ENABLE_FAILED")]
    with aws_error("ResourceNotFoundException"):
        ddb.enable_kinesis_streaming_destination(TableName="missing", StreamArn=STREAM)


def test_cli_insights_and_kinesis(cloud):
    from test_cli import aws

    create_table(cloud.client("dynamodb"))
    out = aws(cloud, "dynamodb", "update-contributor-insights", "--table-name", "tbl", "--contributor-insights-action", "ENABLE")
    assert out["ContributorInsightsStatus"] == "ENABLING"
    assert aws(cloud, "dynamodb", "describe-kinesis-streaming-destination", "--table-name", "tbl")["KinesisDataStreamDestinations"] == []
