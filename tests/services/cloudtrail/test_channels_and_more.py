"""Channels and PutAuditEvents (the CloudTrail Data service) into an event data store, resource
policies (another account puts events through one), imports of a trail's log files from S3,
dashboards refreshed with their widgets' queries, Insights metric data, sample queries."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta, timezone

from tests.services.cloudtrail.helpers import (ACCOUNT, OTHER, clients, delivered, error_of, finished, names, run_query,
                                               trail_bucket, wait_for)

TRUST_CLOUDTRAIL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def audit_event(name: str, **extra) -> dict:
    data = {"version": "1.0", "userIdentity": {"type": "CustomUser", "principalId": "alice"}, "eventSource": "app.example",
            "eventName": name, "eventTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "UID": str(uuid.uuid4()), "recipientAccountId": ACCOUNT, **extra}
    text = json.dumps(data)
    return {"id": uuid.uuid4().hex[:12], "eventData": text, "eventDataChecksum": hashlib.sha256(text.encode()).hexdigest()}


def activity_store(ct, name: str = "activity") -> tuple[str, str]:
    arn = ct.create_event_data_store(Name=name, TerminationProtectionEnabled=False, AdvancedEventSelectors=[
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}])["EventDataStoreArn"]
    return arn, arn.rsplit("/", 1)[1]


def test_channel_events_reach_the_store(trail_cloud):
    ct, data = clients(trail_cloud, "cloudtrail", "cloudtrail-data")
    arn, store_id = activity_store(ct)
    management_arn = ct.create_event_data_store(Name="management", TerminationProtectionEnabled=False)["EventDataStoreArn"]
    assert error_of(ct.create_channel, Name="app", Source="Custom",
                    Destinations=[{"Type": "EVENT_DATA_STORE", "Location": management_arn}])[0] == \
        "InvalidEventDataStoreCategoryException"
    assert error_of(ct.create_channel, Name="app", Source="SomePartner",
                    Destinations=[{"Type": "EVENT_DATA_STORE", "Location": arn}])[0] == "InvalidSourceException"
    channel = ct.create_channel(Name="app", Source="Custom", Destinations=[{"Type": "EVENT_DATA_STORE", "Location": arn}],
                                Tags=[{"Key": "app", "Value": "shop"}])
    channel_arn = channel["ChannelArn"]
    assert channel_arn.startswith(f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:channel/")
    assert error_of(ct.create_channel, Name="app", Source="Custom",
                    Destinations=[{"Type": "EVENT_DATA_STORE", "Location": arn}])[0] == "ChannelAlreadyExistsException"
    good = [audit_event("Checkout", userAgent="shop/1.0"), audit_event("Refund")]
    bad = {"id": "broken", "eventData": json.dumps({"version": "1.0", "eventName": "Nope"})}
    put = data.put_audit_events(channelArn=channel_arn, auditEvents=[*good, bad])
    assert [s["id"] for s in put["successful"]] == [e["id"] for e in good]
    assert put["failed"][0]["id"] == "broken" and "required" in put["failed"][0]["errorMessage"]
    assert error_of(data.put_audit_events, channelArn=channel_arn, auditEvents=[good[0], good[0]])[0] == \
        "DuplicatedAuditEventId"
    assert error_of(data.put_audit_events, channelArn=channel_arn.replace(channel_arn[-36:], str(uuid.uuid4())),
                    auditEvents=good)[0] == "ChannelNotFound"
    rows = run_query(ct, f"SELECT eventData.eventName, eventData.userIdentity.principalId AS who, eventCategory "
                         f"FROM {store_id} ORDER BY eventData.eventName")
    assert rows == [{"eventName": "Checkout", "who": "alice", "eventCategory": "ActivityAuditLog"},
                    {"eventName": "Refund", "who": "alice", "eventCategory": "ActivityAuditLog"}]
    got = ct.get_channel(Channel=channel_arn)
    assert got["IngestionStatus"]["LatestIngestionSuccessEventID"] == put["successful"][-1]["eventID"]
    assert got["SourceConfig"]["AdvancedEventSelectors"][0]["FieldSelectors"][0]["Equals"] == ["ActivityAuditLog"]
    assert ct.list_channels()["Channels"] == [{"ChannelArn": channel_arn, "Name": "app"}]
    assert ct.update_channel(Channel=channel_arn, Name="shop")["Name"] == "shop"
    assert error_of(ct.delete_event_data_store, EventDataStore=arn)[0] == "ChannelExistsForEDSException"
    # PutAuditEvents is a data event: not in event history.
    assert ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutAuditEvents"}])["Events"] == []
    ct.delete_channel(Channel=channel_arn)
    assert error_of(ct.get_channel, Channel=channel_arn)[0] == "ChannelNotFoundException"
    ct.delete_event_data_store(EventDataStore=arn)


def test_resource_policy_lets_another_account_put_events(trail_cloud):
    ct, = clients(trail_cloud, "cloudtrail")
    arn, store_id = activity_store(ct)
    channel_arn = ct.create_channel(Name="shared", Source="Custom",
                                    Destinations=[{"Type": "EVENT_DATA_STORE", "Location": arn}])["ChannelArn"]
    outsider, = clients(trail_cloud, "cloudtrail-data", account=OTHER)
    assert error_of(outsider.put_audit_events, channelArn=channel_arn, auditEvents=[audit_event("Sneaky")])[0] in (
        "AccessDeniedException", "ChannelInsufficientPermission")
    assert error_of(ct.get_resource_policy, ResourceArn=channel_arn)[0] == "ResourcePolicyNotFoundException"
    assert error_of(ct.put_resource_policy, ResourceArn=channel_arn, ResourcePolicy="not json")[0] == \
        "ResourcePolicyNotValidException"
    assert error_of(ct.put_resource_policy, ResourceArn=channel_arn, ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": OTHER},
                                                "Action": "s3:GetObject", "Resource": channel_arn}]}))[0] == \
        "ResourcePolicyNotValidException"
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "partner", "Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "cloudtrail-data:PutAuditEvents",
         "Resource": channel_arn}]})
    assert ct.put_resource_policy(ResourceArn=channel_arn, ResourcePolicy=policy)["ResourcePolicy"] == policy
    assert ct.get_resource_policy(ResourceArn=channel_arn)["ResourcePolicy"] == policy
    put = outsider.put_audit_events(channelArn=channel_arn, auditEvents=[audit_event("FromPartner")])
    assert len(put["successful"]) == 1
    assert run_query(ct, f"SELECT eventData.eventName FROM {store_id}") == [{"eventName": "FromPartner"}]
    ct.delete_resource_policy(ResourceArn=channel_arn)
    assert error_of(outsider.put_audit_events, channelArn=channel_arn, auditEvents=[audit_event("Again")])[0] in (
        "AccessDeniedException", "ChannelInsufficientPermission")
    # Another account queries the store once its policy lets it.
    other_ct, = clients(trail_cloud, "cloudtrail", account=OTHER)
    statement = f"SELECT eventData.eventName FROM {store_id}"
    assert error_of(other_ct.start_query, QueryStatement=statement, EventDataStoreOwnerAccountId=ACCOUNT)[0] == \
        "AccessDeniedException"
    store_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": ["cloudtrail:StartQuery", "cloudtrail:GetQueryResults"],
         "Resource": arn}]})
    ct.put_resource_policy(ResourceArn=arn, ResourcePolicy=store_policy)
    assert ct.get_resource_policy(ResourceArn=arn)["ResourcePolicy"] == store_policy
    started = other_ct.start_query(QueryStatement=statement, EventDataStoreOwnerAccountId=ACCOUNT)
    assert started["EventDataStoreOwnerAccountId"] == ACCOUNT
    assert finished(other_ct, started["QueryId"])["QueryStatus"] == "FINISHED"
    rows = other_ct.get_query_results(QueryId=started["QueryId"])["QueryResultRows"]
    assert rows == [[{"eventName": "FromPartner"}]]
    assert error_of(ct.describe_query, QueryId=started["QueryId"])[0] == "QueryIdNotFoundException"  # the caller's query
    assert error_of(ct.put_resource_policy, ResourceArn=f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/x",
                    ResourcePolicy=store_policy)[0] == "ResourceTypeNotSupportedException"


def test_import_a_trails_log_files(trail_cloud):
    s3 = trail_bucket(trail_cloud)
    ct, logs, iam = clients(trail_cloud, "cloudtrail", "logs", "iam")
    ct.create_trail(Name="main", S3BucketName="trail-logs")
    ct.start_logging(Name="main")
    for number in range(3):
        logs.create_log_group(logGroupName=f"/imported/{number}")
    delivered(s3, "trail-logs", lambda r: names(r).count("CreateLogGroup") == 3)
    s3.put_object(Bucket="trail-logs", Key=f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2020/01/01/broken.json.gz",
                  Body=b"not gzip")
    ct.stop_logging(Name="main")
    role = iam.create_role(RoleName="importer", AssumeRolePolicyDocument=TRUST_CLOUDTRAIL)["Role"]["Arn"]
    arn = ct.create_event_data_store(Name="imported", TerminationProtectionEnabled=False,
                                     StartIngestion=False)["EventDataStoreArn"]
    source = {"S3": {"S3LocationUri": "s3://trail-logs/AWSLogs", "S3BucketRegion": "us-east-1",
                     "S3BucketAccessRoleArn": role}}
    assert error_of(ct.start_import, Destinations=[arn], ImportSource={
        "S3": {**source["S3"], "S3LocationUri": "s3://no-such-bucket"}})[0] == "InvalidImportSourceException"
    untrusted = iam.create_role(RoleName="untrusted", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    assert error_of(ct.start_import, Destinations=[arn], ImportSource={
        "S3": {**source["S3"], "S3BucketAccessRoleArn": untrusted}})[0] == "InvalidImportSourceException"
    started = ct.start_import(Destinations=[arn], ImportSource=source,
                              StartEventTime=datetime.now(timezone.utc) - timedelta(hours=1))
    import_id = started["ImportId"]
    done = wait_for(lambda: (lambda g: g if g["ImportStatus"] not in ("INITIALIZING", "IN_PROGRESS") else None)(
        ct.get_import(ImportId=import_id)))
    assert done["ImportStatus"] == "COMPLETED"
    statistics = done["ImportStatistics"]
    assert statistics["FilesCompleted"] >= 1 and statistics["FailedEntries"] == 1 and statistics["EventsCompleted"] >= 3
    failures = ct.list_import_failures(ImportId=import_id)["Failures"]
    assert failures[0]["Location"].endswith("broken.json.gz") and failures[0]["Status"] == "FAILED"
    assert [i["ImportId"] for i in ct.list_imports(Destination=arn)["Imports"]] == [import_id]
    assert ct.list_imports(ImportStatus="FAILED")["Imports"] == []
    rows = run_query(ct, f"SELECT requestParameters['logGroupName'] AS grp FROM {arn.rsplit('/', 1)[1]} "
                         "WHERE eventName = 'CreateLogGroup' ORDER BY grp")
    assert [r["grp"] for r in rows] == ["/imported/0", "/imported/1", "/imported/2"]
    assert ct.stop_import(ImportId=import_id)["ImportStatus"] == "COMPLETED"
    assert error_of(ct.get_import, ImportId=str(uuid.uuid4()))[0] == "ImportNotFoundException"


def test_dashboard_refresh_runs_its_widgets(trail_cloud):
    ct, logs = clients(trail_cloud, "cloudtrail", "logs")
    arn = ct.create_event_data_store(Name="dash", TerminationProtectionEnabled=False)["EventDataStoreArn"]
    store_id = arn.rsplit("/", 1)[1]
    logs.create_log_group(logGroupName="/dashboards")
    widget = {"QueryStatement": f"SELECT eventName, COUNT(*) AS n FROM {store_id} WHERE eventTime > '?' "
                                "AND eventTime < '?' GROUP BY eventName ORDER BY n DESC",
              "QueryParameters": ["$StartTime$", "$EndTime$"], "ViewProperties": {"View": "Table"}}
    assert error_of(ct.create_dashboard, Name="broken", Widgets=[{**widget, "QueryStatement": "SELECT FROM"}])[0] == \
        "InvalidQueryStatementException"
    assert error_of(ct.create_dashboard, Name="broken", Widgets=[{**widget, "QueryParameters": ["$StartTime$"]}])[0] == \
        "InvalidQueryStatementException"
    created = ct.create_dashboard(Name="activity", Widgets=[widget], TerminationProtectionEnabled=True,
                                  RefreshSchedule={"Frequency": {"Unit": "HOURS", "Value": 6}, "Status": "ENABLED"})
    assert created["Type"] == "CUSTOM" and created["DashboardArn"].endswith(":dashboard/activity")
    alias = created["Widgets"][0]["QueryAlias"]
    assert error_of(ct.create_dashboard, Name="activity")[0] == "ConflictException"
    refresh = ct.start_dashboard_refresh(DashboardId="activity")["RefreshId"]
    query = ct.describe_query(QueryAlias=alias, RefreshId=refresh)
    described = finished(ct, query["QueryId"])
    assert described["QueryStatus"] == "FINISHED"
    rows = ct.get_query_results(QueryId=query["QueryId"])["QueryResultRows"]
    assert {"eventName": "CreateLogGroup"} in [column for row in rows for column in row]
    got = ct.get_dashboard(DashboardId=created["DashboardArn"])
    assert (got["LastRefreshId"], got["RefreshSchedule"]["Status"]) == (refresh, "ENABLED")
    assert ct.list_dashboards(NamePrefix="act")["Dashboards"] == [{"DashboardArn": created["DashboardArn"], "Type": "CUSTOM"}]
    assert error_of(ct.delete_dashboard, DashboardId="activity")[0] == "ConflictException"
    ct.update_dashboard(DashboardId="activity", TerminationProtectionEnabled=False, Widgets=[])
    ct.delete_dashboard(DashboardId="activity")
    assert error_of(ct.get_dashboard, DashboardId="activity")[0] == "ResourceNotFoundException"
    highlights = ct.create_dashboard(Name="AWSCloudTrail-Highlights",
                                     RefreshSchedule={"Frequency": {"Unit": "HOURS", "Value": 6}, "Status": "ENABLED"})
    assert highlights["Type"] == "MANAGED"


def test_insights_metric_data_public_keys_and_samples(trail_cloud):
    ct, logs = clients(trail_cloud, "cloudtrail", "logs")
    for number in range(3):
        logs.create_log_group(logGroupName=f"/m/{number}")
    for _ in range(2):
        try:
            logs.delete_log_group(logGroupName="/missing")
        except logs.exceptions.ResourceNotFoundException:
            pass
    now = datetime.now(timezone.utc)
    calls = ct.list_insights_metric_data(EventSource="logs.amazonaws.com", EventName="CreateLogGroup",
                                         InsightType="ApiCallRateInsight", Period=60, DataType="NonZeroData",
                                         StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1))
    assert sum(calls["Values"]) == 3.0
    errors = ct.list_insights_metric_data(EventSource="logs.amazonaws.com", EventName="DeleteLogGroup",
                                          InsightType="ApiErrorRateInsight", ErrorCode="ResourceNotFoundException",
                                          Period=300, StartTime=now - timedelta(hours=1), EndTime=now + timedelta(minutes=1))
    assert sum(errors["Values"]) == 2.0 and len(errors["Timestamps"]) == len(errors["Values"]) >= 12  # filled with zeros
    assert error_of(ct.list_insights_metric_data, EventSource="logs.amazonaws.com", EventName="DeleteLogGroup",
                    InsightType="ApiErrorRateInsight")[0] == "InvalidParameterException"
    keys = ct.list_public_keys()["PublicKeyList"]
    assert len(keys) == 1 and len(keys[0]["Fingerprint"]) == 32
    assert keys[0]["Fingerprint"] == hashlib.md5(keys[0]["Value"]).hexdigest()
    assert ct.list_public_keys(EndTime=now - timedelta(days=1))["PublicKeyList"] == []
    found = ct.search_sample_queries(SearchPhrase="who deleted objects from my S3 buckets")["SearchResults"]
    assert found[0]["Name"] == "S3 object deletions" and found[0]["Relevance"] > 0
