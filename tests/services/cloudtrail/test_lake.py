"""CloudTrail Lake through boto3: event data stores (create, read, list in pages, update, delete and
restore, ingestion stopped and started, event configuration), and queries with their results:
the SQL subset, query states, errors, cancel, and ListQueries."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import datetime, timedelta, timezone

from tests.services.cloudtrail.helpers import ACCOUNT, clients, error_of, finished, run_query, trail_bucket, wait_for
from tests.services.test_cli_aws import aws

TABLE = dict(AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")


def store(ct, name: str = "store", **settings) -> tuple[str, str]:
    created = ct.create_event_data_store(Name=name, TerminationProtectionEnabled=False, **settings)
    return created["EventDataStoreArn"], created["EventDataStoreArn"].rsplit("/", 1)[1]


def test_event_data_store_life_cycle(trail_cloud):
    ct, = clients(trail_cloud, "cloudtrail")
    created = ct.create_event_data_store(Name="audit", TagsList=[{"Key": "team", "Value": "sec"}])
    arn = created["EventDataStoreArn"]
    assert arn.startswith(f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:eventdatastore/")
    assert (created["Status"], created["RetentionPeriod"], created["MultiRegionEnabled"],
            created["TerminationProtectionEnabled"], created["BillingMode"]) == (
        "CREATED", 366, True, True, "EXTENDABLE_RETENTION_PRICING")
    assert created["AdvancedEventSelectors"] == [{"Name": "Default management events", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}]}]
    got = ct.get_event_data_store(EventDataStore=arn.rsplit("/", 1)[1])
    assert (got["Status"], got["FederationStatus"]) == ("ENABLED", "DISABLED")
    assert error_of(ct.create_event_data_store, Name="audit")[0] == "EventDataStoreAlreadyExistsException"
    assert error_of(ct.delete_event_data_store, EventDataStore=arn)[0] == "EventDataStoreTerminationProtectedException"
    updated = ct.update_event_data_store(EventDataStore=arn, RetentionPeriod=30, TerminationProtectionEnabled=False,
                                         Name="audit-30")
    assert (updated["RetentionPeriod"], updated["Name"], updated["TerminationProtectionEnabled"]) == (30, "audit-30", False)
    assert error_of(ct.update_event_data_store, EventDataStore=arn)[0] == "InvalidParameterException"
    assert error_of(ct.update_event_data_store, EventDataStore=arn, BillingMode="FIXED_RETENTION_PRICING")[0] == \
        "InvalidParameterException"
    assert error_of(ct.create_event_data_store, Name="fixed", BillingMode="FIXED_RETENTION_PRICING",
                    RetentionPeriod=3000)[0] == "InvalidParameterException"
    assert error_of(ct.create_event_data_store, Name="keyed", KmsKeyId="alias/lake")[0] == "KmsKeyNotFoundException"
    assert error_of(ct.create_event_data_store, Name="org", OrganizationEnabled=True)[0] == "OrganizationsNotInUseException"
    ct.stop_event_data_store_ingestion(EventDataStore=arn)
    assert ct.get_event_data_store(EventDataStore=arn)["Status"] == "STOPPED_INGESTION"
    assert error_of(ct.stop_event_data_store_ingestion, EventDataStore=arn)[0] == "InvalidEventDataStoreStatusException"
    ct.start_event_data_store_ingestion(EventDataStore=arn)
    ct.delete_event_data_store(EventDataStore=arn)
    assert ct.get_event_data_store(EventDataStore=arn)["Status"] == "PENDING_DELETION"
    assert error_of(ct.start_query, QueryStatement=f"SELECT eventName FROM {arn.rsplit('/', 1)[1]}")[0] == \
        "InactiveEventDataStoreException"
    assert error_of(ct.update_event_data_store, EventDataStore=arn, Name="again")[0] == "InactiveEventDataStoreException"
    restored = ct.restore_event_data_store(EventDataStore=arn)
    assert restored["Status"] == "ENABLED"
    assert error_of(ct.restore_event_data_store, EventDataStore=arn)[0] == "InvalidEventDataStoreStatusException"
    missing = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:eventdatastore/00000000-0000-0000-0000-000000000000"
    assert error_of(ct.get_event_data_store, EventDataStore=missing)[0] == "EventDataStoreNotFoundException"
    assert error_of(ct.get_event_data_store, EventDataStore=f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/x")[0] == \
        "EventDataStoreARNInvalidException"
    ct.add_tags(ResourceId=arn, TagsList=[{"Key": "more", "Value": "1"}])
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == [
        {"Key": "team", "Value": "sec"}, {"Key": "more", "Value": "1"}]


def test_listing_pages_and_limits(trail_cloud):
    ct, = clients(trail_cloud, "cloudtrail")
    for number in range(10):
        store(ct, f"store-{number}")
    assert error_of(ct.create_event_data_store, Name="eleventh")[0] == "EventDataStoreMaxLimitExceededException"
    first = ct.list_event_data_stores(MaxResults=4)
    assert len(first["EventDataStores"]) == 4 and first["NextToken"]
    names, token = [], None
    while True:
        page = ct.list_event_data_stores(MaxResults=4, **({"NextToken": token} if token else {}))
        names += [s["Name"] for s in page["EventDataStores"]]
        token = page.get("NextToken")
        if not token:
            break
    assert names == [f"store-{n}" for n in range(10)]
    assert error_of(ct.list_event_data_stores, NextToken="forged-token")[0] == "InvalidNextTokenException"


def test_queries_over_ingested_events(trail_cloud):
    ct, logs, iam, ddb = clients(trail_cloud, "cloudtrail", "logs", "iam", "dynamodb")
    _, store_id = store(ct, "everything", AdvancedEventSelectors=[
        {"Name": "all management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {"Name": "items", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                             {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]}]}])
    for number in range(3):
        logs.create_log_group(logGroupName=f"/app/{number}")
    iam.list_roles()
    ddb.create_table(TableName="orders", **TABLE)
    ddb.put_item(TableName="orders", Item={"id": {"S": "1"}})
    ddb.put_item(TableName="orders", Item={"id": {"S": "2"}})
    try:
        logs.delete_log_group(logGroupName="/missing")
    except logs.exceptions.ResourceNotFoundException:
        pass

    rows = run_query(ct, f"SELECT eventName, COUNT(*) AS calls FROM {store_id} WHERE eventSource = 'logs.amazonaws.com' "
                         "GROUP BY eventName ORDER BY calls DESC")
    assert rows == [{"eventName": "CreateLogGroup", "calls": "3"}, {"eventName": "DeleteLogGroup", "calls": "1"}]
    rows = run_query(ct, f"SELECT eventName, userIdentity.arn, requestParameters['logGroupName'] AS grp FROM {store_id} "
                         "WHERE eventName LIKE 'Create%Group' AND requestParameters['logGroupName'] IN ('/app/0', '/app/2') "
                         "ORDER BY grp DESC")
    assert rows == [{"eventName": "CreateLogGroup", "arn": f"arn:aws:iam::{ACCOUNT}:root", "grp": "/app/2"},
                    {"eventName": "CreateLogGroup", "arn": f"arn:aws:iam::{ACCOUNT}:root", "grp": "/app/0"}]
    rows = run_query(ct, f"SELECT eventName, errorCode FROM {store_id} WHERE errorCode IS NOT NULL")
    assert rows == [{"eventName": "DeleteLogGroup", "errorCode": "ResourceNotFoundException"}]
    rows = run_query(ct, f"SELECT eventName FROM {store_id} WHERE eventCategory = 'Data' ORDER BY eventTime")
    assert rows == [{"eventName": "PutItem"}, {"eventName": "PutItem"}]
    hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    in_an_hour = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    rows = run_query(ct, f"SELECT COUNT(*) AS n, MIN(eventTime) AS first FROM {store_id} WHERE eventTime BETWEEN "
                         f"'{hour_ago}' AND '{in_an_hour}' AND eventSource = 'logs.amazonaws.com' "
                         "AND NOT (eventName = 'DeleteLogGroup' OR readOnly = true)")
    assert rows[0]["n"] == "3" and rows[0]["first"][:4] == str(datetime.now(timezone.utc).year)
    assert run_query(ct, f"SELECT eventName FROM {store_id} WHERE eventTime < '{hour_ago}'") == []
    rows = run_query(ct, f"SELECT DISTINCT eventSource FROM {store_id} WHERE eventSource != 'cloudtrail.amazonaws.com' "
                         "ORDER BY eventSource LIMIT 2")
    assert rows == [{"eventSource": "dynamodb.amazonaws.com"}, {"eventSource": "iam.amazonaws.com"}]
    rows = run_query(ct, f"SELECT eventSource, COUNT(*) FROM {store_id} GROUP BY 1 HAVING COUNT(*) > 2 ORDER BY 1")
    assert {r["eventSource"] for r in rows} >= {"logs.amazonaws.com", "dynamodb.amazonaws.com"}
    assert all(set(r) == {"eventSource", "_col1"} for r in rows)


def test_results_pages_states_and_errors(trail_cloud):
    ct, logs = clients(trail_cloud, "cloudtrail", "logs")
    arn, store_id = store(ct)
    for number in range(7):
        logs.create_log_group(logGroupName=f"/g/{number}")
    query_id = ct.start_query(QueryStatement=f"SELECT eventName FROM {store_id} WHERE eventName = 'CreateLogGroup'")["QueryId"]
    described = finished(ct, query_id)
    assert described["QueryStatus"] == "FINISHED" and described["QueryStatistics"]["EventsMatched"] == 7
    assert described["QueryStatistics"]["EventsScanned"] >= 7 and described["QueryStatistics"]["BytesScanned"] > 0
    first = ct.get_query_results(QueryId=query_id, MaxQueryResults=3)
    assert len(first["QueryResultRows"]) == 3 and first["QueryStatistics"] == {
        "ResultsCount": 3, "TotalResultsCount": 7, "BytesScanned": described["QueryStatistics"]["BytesScanned"]}
    second = ct.get_query_results(QueryId=query_id, MaxQueryResults=3, NextToken=first["NextToken"])
    assert len(second["QueryResultRows"]) == 3
    assert error_of(ct.get_query_results, QueryId=query_id, NextToken="bad-token")[0] == "InvalidNextTokenException"
    for statement, where in ((f"SELECT FROM {store_id}", "line 1:8"), (f"SELECT nosuchcolumn FROM {store_id}", "cannot be resolved"),
                             (f"SELECT eventName FROM {store_id} JOIN other", "not in regionbox"),
                             (f"SELECT frobnicate(eventName) FROM {store_id}", "not registered")):
        code, message = error_of(ct.start_query, QueryStatement=statement)
        assert code == "InvalidQueryStatementException" and where in message, (statement, message)
    assert error_of(ct.start_query, QueryStatement="SELECT eventName FROM 11111111-2222-3333-4444-555555555555")[0] == \
        "EventDataStoreNotFoundException"
    failed = ct.start_query(QueryStatement=f"SELECT eventName FROM {store_id} WHERE eventTime > 'yesterday'")["QueryId"]
    described = finished(ct, failed)
    assert described["QueryStatus"] == "FAILED" and "yesterday" in described["ErrorMessage"]
    assert error_of(ct.cancel_query, QueryId=query_id)[0] == "InactiveQueryException"
    assert error_of(ct.describe_query, QueryId="00000000-0000-0000-0000-000000000000")[0] == "QueryIdNotFoundException"
    listed = ct.list_queries(EventDataStore=arn)["Queries"]
    assert [q["QueryId"] for q in listed] == [failed, query_id]
    assert [q["QueryId"] for q in ct.list_queries(EventDataStore=arn, QueryStatus="FAILED")["Queries"]] == [failed]
    paged = ct.list_queries(EventDataStore=arn, MaxResults=1)
    assert len(paged["Queries"]) == 1 and paged["NextToken"]
    now = datetime.now(timezone.utc)
    assert error_of(ct.list_queries, EventDataStore=arn, StartTime=now, EndTime=now - timedelta(hours=1))[0] == \
        "InvalidDateRangeException"


def test_a_stopped_store_misses_what_happens_meanwhile(trail_cloud):
    ct, logs = clients(trail_cloud, "cloudtrail", "logs")
    arn, store_id = store(ct)
    logs.create_log_group(logGroupName="/while-on")
    ct.stop_event_data_store_ingestion(EventDataStore=arn)
    logs.create_log_group(logGroupName="/while-off")
    ct.start_event_data_store_ingestion(EventDataStore=arn)
    logs.create_log_group(logGroupName="/on-again")
    rows = run_query(ct, f"SELECT requestParameters['logGroupName'] AS grp FROM {store_id} "
                         "WHERE eventName = 'CreateLogGroup' ORDER BY eventTime")
    assert [r["grp"] for r in rows] == ["/while-on", "/on-again"]
    # A single-region store does not take other regions' events; a multi-region one does.
    _, local_id = store(ct, "local", MultiRegionEnabled=False)
    clients(trail_cloud, "logs", region="eu-west-1")[0].create_log_group(logGroupName="/europe")
    assert run_query(ct, f"SELECT eventName FROM {local_id} WHERE awsRegion = 'eu-west-1'") == []
    assert run_query(ct, f"SELECT awsRegion FROM {store_id} WHERE awsRegion = 'eu-west-1'") == [{"awsRegion": "eu-west-1"}]


def test_cancel_and_event_configuration(trail_cloud):
    ct, = clients(trail_cloud, "cloudtrail")
    arn, store_id = store(ct)
    query_id = ct.start_query(QueryStatement=f"SELECT eventName FROM {store_id}")["QueryId"]
    try:
        cancelled = ct.cancel_query(QueryId=query_id)
        assert cancelled["QueryStatus"] == "CANCELLED"
        assert ct.describe_query(QueryId=query_id)["QueryStatus"] == "CANCELLED"
    except Exception as error:  # the query may already have finished: that is AWS's InactiveQueryException
        assert "InactiveQueryException" in str(error)
    assert ct.get_event_configuration(EventDataStore=arn)["MaxEventSize"] == "Standard"
    assert error_of(ct.put_event_configuration, EventDataStore=arn,
                    ContextKeySelectors=[{"Type": "TagContext", "Equals": ["team"]}])[0] == "InvalidParameterException"
    put = ct.put_event_configuration(EventDataStore=arn, MaxEventSize="Large",
                                      ContextKeySelectors=[{"Type": "TagContext", "Equals": ["team"]}])
    assert (put["MaxEventSize"], put["ContextKeySelectors"]) == ("Large", [{"Type": "TagContext", "Equals": ["team"]}])
    assert error_of(ct.get_event_configuration, EventDataStore=arn, TrailName="main")[0] == \
        "InvalidParameterCombinationException"
    # Insights on an event data store: the destination must collect Insights events.
    insights_arn, _ = store(ct, "insights", AdvancedEventSelectors=[
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Insight"]}]}])
    assert error_of(ct.put_insight_selectors, EventDataStore=arn, InsightsDestination=arn,
                    InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])[0] == "InvalidEventDataStoreCategoryException"
    put = ct.put_insight_selectors(EventDataStore=arn, InsightsDestination=insights_arn,
                                   InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])
    assert ct.get_insight_selectors(EventDataStore=arn)["InsightsDestination"] == insights_arn == put["InsightsDestination"]


def test_results_delivered_to_s3_and_queries_through_the_cli(trail_cloud):
    s3 = trail_bucket(trail_cloud, "lake-results", prefix="results")
    s3.create_bucket(Bucket="no-policy")
    ct, logs = clients(trail_cloud, "cloudtrail", "logs")
    _, store_id = store(ct)
    logs.create_log_group(logGroupName="/exported")
    statement = f"SELECT eventName, requestParameters['logGroupName'] AS grp FROM {store_id} WHERE eventName = 'CreateLogGroup'"
    assert error_of(ct.start_query, QueryStatement=statement, DeliveryS3Uri="s3://no-policy/results")[0] == \
        "InsufficientS3BucketPolicyException"
    query_id = ct.start_query(QueryStatement=statement, DeliveryS3Uri="s3://lake-results/results")["QueryId"]
    described = wait_for(lambda: (lambda d: d if d.get("DeliveryStatus") == "SUCCESS" else None)(
        ct.describe_query(QueryId=query_id)))
    bucket, key = described["DeliveryS3Uri"][5:].split("/", 1)
    assert key.startswith(f"results/AWSLogs/{ACCOUNT}/CloudTrail-Lake/Query/") and key.endswith(f"/{query_id}/result_1.csv.gz")
    text = gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).decode()
    assert list(csv.reader(io.StringIO(text))) == [["eventName", "grp"], ["CreateLogGroup", "/exported"]]
    started = json.loads(aws(trail_cloud, "cloudtrail", "start-query", "--query-statement", statement).stdout)
    finished(ct, started["QueryId"])
    results = json.loads(aws(trail_cloud, "cloudtrail", "get-query-results", "--query-id", started["QueryId"]).stdout)
    assert results["QueryResultRows"] == [[{"eventName": "CreateLogGroup"}, {"grp": "/exported"}]]
