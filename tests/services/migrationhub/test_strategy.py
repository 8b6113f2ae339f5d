"""Strategy Recommendations end to end: hosts reported by discovery agents, an assessment, the 7Rs
with their reasons, preferences that change them, choices, a report in S3."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from xml.etree import ElementTree

import pytest

from regionbox.testing import CloudProcess
from regionbox.testing.clients import RunningCloud
from tests.services.migrationhub.helpers import ACCOUNT, HOME, discovered_server, error_of, set_home_region
from tests.services.test_cli_aws import aws

POSTGRES = ("postgres", "/usr/lib/postgresql/16/bin/postgres -D /var/lib/postgresql/16/main", "/usr/lib/postgresql/16/bin/postgres")
TOMCAT = ("java", "java -Dcatalina.base=/opt/tomcat org.apache.catalina.startup.Bootstrap start", "/usr/bin/java")
NODE = ("node", "node /srv/app/server.js", "/usr/bin/node")
MYSQL = ("mysqld", "/usr/sbin/mysqld", "/usr/sbin/mysqld")
SSHD = ("sshd", "sshd: /usr/sbin/sshd -D", "/usr/sbin/sshd")


def strategy(cloud):
    return cloud.client("migrationhubstrategy", region=HOME, account=ACCOUNT)


def settled(read, pending: str = "IN_PROGRESS", timeout: float = 60) -> dict:
    """What ``read()`` answers once its status is no longer ``pending`` (background work)."""
    deadline = time.monotonic() + timeout
    while True:
        details = read()
        if details["status"] != pending or time.monotonic() > deadline:
            return details
        time.sleep(0.05)


def wait_assessment(client, assessment_id: str) -> dict:
    return settled(lambda: client.get_assessment(id=assessment_id)["dataCollectionDetails"])


def wait_report(client, report_id: str) -> dict:
    return settled(lambda: client.get_recommendation_report_details(id=report_id)["recommendationReportDetails"])


@pytest.fixture(scope="module")
def portfolio_cloud():
    running = RunningCloud().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def portfolio(portfolio_cloud):
    """Four hosts reported by agents, two of them grouped into an application, and one assessment
    (a cloud of its own: the tests below read it in order, and one changes the preferences)."""
    cloud = portfolio_cloud
    set_home_region(cloud)
    ids = {
        "db-1": discovered_server(cloud, "db-1", "10.0.1.10", "02:00:00:00:01:10", processes=(POSTGRES, SSHD), cpu=(30.0, 40.0)),
        "legacy-1": discovered_server(cloud, "legacy-1", "10.0.1.11", "02:00:00:00:01:11", os_name="CentOS Linux",
                                      os_version="7.9.2009", processes=(TOMCAT,), cpu=(45.0,)),
        "idle-1": discovered_server(cloud, "idle-1", "10.0.1.12", "02:00:00:00:01:12", processes=(NODE,), cpu=(0.5, 0.3)),
        "web-1": discovered_server(cloud, "web-1", "10.0.1.13", "02:00:00:00:01:13", processes=(NODE, MYSQL), cpu=(25.0,)),
    }
    discovery = cloud.client("discovery", region=HOME, account=ACCOUNT)
    shop = discovery.create_application(name="shop")["configurationId"]
    discovery.associate_configuration_items_to_application(applicationConfigurationId=shop,
                                                           configurationIds=[ids["db-1"], ids["web-1"]])
    analytics = discovery.create_application(name="analytics")["configurationId"]
    discovery.associate_configuration_items_to_application(applicationConfigurationId=analytics, configurationIds=[ids["db-1"]])
    client = strategy(cloud)
    assessment = client.start_assessment()["assessmentId"]
    assert re.fullmatch(r"[0-9a-z-]+", assessment)
    details = wait_assessment(client, assessment)
    return {"cloud": cloud, "ids": ids, "shop": shop, "analytics": analytics, "assessment": assessment, "details": details}


def test_the_assessment_completes_over_the_discovered_servers(portfolio):
    client = strategy(portfolio["cloud"])
    details = portfolio["details"]
    assert (details["status"], details["servers"], details["success"], details["failed"], details["inProgress"]) == (
        "COMPLETE", 4, 4, 0, 0)
    assert details["completionTime"] >= details["startTime"]
    assert client.get_latest_assessment_id()["id"] == portfolio["assessment"]
    assert error_of(client.get_assessment, id="0000-missing") == ("ResourceNotFoundException", "Assessment 0000-missing was not found.", 404)


def test_each_server_gets_a_7r_with_its_reason(portfolio):
    client, ids = strategy(portfolio["cloud"]), portfolio["ids"]
    listed = {s["name"]: s for s in client.list_servers()["serverInfos"]}
    assert sorted(listed) == ["db-1", "idle-1", "legacy-1", "web-1"]
    summary = {name: (s["recommendationSet"]["strategy"], s["recommendationSet"]["targetDestination"],
                      s["recommendationSet"]["transformationTool"].get("name")) for name, s in listed.items()}
    assert summary == {
        "db-1": ("Rehost", "Amazon Elastic Cloud Compute (EC2)", "Application Migration Service"),
        "legacy-1": ("Replatform", "Amazon Elastic Cloud Compute (EC2)", "In Place Operating System Upgrade"),
        "idle-1": ("Retirement", "None specified", None),
        "web-1": ("Rehost", "Amazon Elastic Cloud Compute (EC2)", "Application Migration Service"),
    }
    assert listed["idle-1"]["statusMessage"] == ("Average CPU utilisation 0.4% is below 2%: the server is idle, retire it "
                                                 "instead of migrating it")
    assert listed["legacy-1"]["statusMessage"].startswith("CentOS Linux 7.9.2009 reached its end of support on 2024-06-30")
    assert listed["legacy-1"]["recommendationSet"]["transformationTool"]["description"] == listed["legacy-1"]["statusMessage"]

    detail = client.get_server_details(serverId=ids["db-1"])
    both = [{"id": portfolio["shop"], "name": "shop"}, {"id": portfolio["analytics"], "name": "analytics"}]
    assert sorted(detail["associatedApplications"], key=lambda a: a["name"], reverse=True) == both and "nextToken" not in detail
    first = client.get_server_details(serverId=ids["db-1"], maxResults=1)
    rest = client.get_server_details(serverId=ids["db-1"], nextToken=first["nextToken"])
    assert first["associatedApplications"] + rest["associatedApplications"] == detail["associatedApplications"]
    server = detail["serverDetail"]
    assert server["systemInfo"]["osInfo"] == {"type": "LINUX", "version": "Ubuntu 24.04"}
    assert server["systemInfo"]["cpuArchitecture"] == "x86_64"
    assert server["systemInfo"]["networkInfoList"] == [
        {"interfaceName": "eth0", "ipAddress": "10.0.1.10", "macAddress": "02:00:00:00:01:10", "netMask": "255.255.255.0"}]
    assert server["applicationComponentStrategySummary"] == [{"strategy": "Replatform", "count": 1}]
    assert server["dataCollectionStatus"] == "dataCollectionTaskSuccess"

    strategies = client.get_server_strategies(serverId=ids["legacy-1"])["serverStrategies"]
    assert [(s["recommendation"]["strategy"], s["status"], s["isPreferred"]) for s in strategies] == [
        ("Replatform", "recommended", True), ("Rehost", "viableOption", False)]
    assert strategies[0]["numberOfApplicationComponents"] == 1

    assert error_of(client.get_server_details, serverId="d-server-00000000000000") == (
        "ResourceNotFoundException", "Server d-server-00000000000000 was not found. Run an assessment that includes it first.", 404)
    retired = client.list_servers(serverCriteria="STRATEGY", filterValue="Retirement")["serverInfos"]
    assert [s["name"] for s in retired] == ["idle-1"]
    assert [s["name"] for s in client.list_servers(serverCriteria="OS_NAME", filterValue="centos")["serverInfos"]] == ["legacy-1"]
    assert [s["name"] for s in client.list_servers(sort="DESC")["serverInfos"]] == ["web-1", "legacy-1", "idle-1", "db-1"]
    first = client.list_servers(maxResults=3)
    assert len(first["serverInfos"]) == 3 and len(client.list_servers(nextToken=first["nextToken"])["serverInfos"]) == 1
    assert error_of(client.list_servers, nextToken="made-up") == ("ValidationException", "The nextToken is not valid.", 400)


def test_components_come_from_the_processes_found(portfolio):
    client, ids = strategy(portfolio["cloud"]), portfolio["ids"]
    components = {(c["associatedServerId"], c["name"]): c for c in client.list_application_components()["applicationComponentInfos"]}
    # sshd is no application component.
    assert {(server, name) for server, name in components} == {
        (ids["db-1"], "postgres"), (ids["legacy-1"], "java"), (ids["idle-1"], "node"), (ids["web-1"], "node"), (ids["web-1"], "mysqld")}
    postgres = components[(ids["db-1"], "postgres")]
    assert (postgres["appType"], postgres["resourceSubType"]) == ("PostgreSQLServer", "Database")
    assert (postgres["recommendationSet"]["strategy"], postgres["recommendationSet"]["targetDestination"]) == (
        "Replatform", "Amazon Relational Database Service on PostgreSQL")
    assert postgres["statusMessage"] == "PostgreSQL runs unchanged on Amazon RDS for PostgreSQL, which AWS patches and backs up"
    tomcat = components[(ids["legacy-1"], "java")]
    assert (tomcat["appType"], tomcat["recommendationSet"]["strategy"], tomcat["recommendationSet"]["transformationTool"]["name"]) == (
        "Tomcat", "Replatform", "App2Container")

    detail = client.get_application_component_details(applicationComponentId=postgres["id"])
    assert detail["associatedServerIds"] == [ids["db-1"]] and detail["moreApplicationResource"] is True
    assert {a["name"] for a in detail["associatedApplications"]} == {"shop", "analytics"}
    options = client.get_application_component_strategies(applicationComponentId=postgres["id"])["applicationComponentStrategies"]
    assert [(o["recommendation"]["targetDestination"], o["status"], o["isPreferred"]) for o in options] == [
        ("Amazon Relational Database Service on PostgreSQL", "recommended", True),
        ("Amazon Elastic Cloud Compute (EC2)", "viableOption", False)]
    assert [c["name"] for c in client.list_application_components(applicationComponentCriteria="APP_TYPE",
                                                                   filterValue="MySQL")["applicationComponentInfos"]] == ["mysqld"]
    assert {c["name"] for c in client.list_application_components(applicationComponentCriteria="APP_NAME",
                                                                  filterValue="shop")["applicationComponentInfos"]} == {"postgres", "node", "mysqld"}
    assert error_of(client.get_application_component_strategies, applicationComponentId="ac-missing") == (
        "ResourceNotFoundException", "Application component ac-missing was not found.", 404)
    assert error_of(client.list_application_components, applicationComponentCriteria="APP_TYPE") == (
        "ValidationException", "filterValue is required when applicationComponentCriteria is APP_TYPE.", 400)

    summary = client.get_portfolio_summary()["assessmentSummary"]
    assert summary["listServerStrategySummary"] == [{"strategy": "Rehost", "count": 2}, {"strategy": "Replatform", "count": 1},
                                                    {"strategy": "Retirement", "count": 1}]
    assert {s["appType"]: s["count"] for s in summary["listApplicationComponentSummary"]} == {
        "PostgreSQLServer": 1, "Tomcat": 1, "Other": 2, "MySQL": 1}
    assert summary["listServerSummary"] == [{"ServerOsType": "Other", "count": 4}]


def test_preferences_and_choices_change_the_recommendations(portfolio):
    client, ids = strategy(portfolio["cloud"]), portfolio["ids"]
    assert error_of(client.get_portfolio_preferences) == (
        "ResourceNotFoundException", "No portfolio preferences have been saved in this account.", 404)
    client.put_portfolio_preferences(
        prioritizeBusinessGoals={"businessGoals": {"reduceOperationalOverheadWithManagedServices": 5, "speedOfMigration": 1}},
        databasePreferences={"databaseManagementPreference": "AWS-managed",
                             "databaseMigrationPreference": {"homogeneous": {"targetDatabaseEngine": ["None specified"]}}},
        applicationPreferences={"managementPreference": {"awsManagedResources": {"targetDestination": ["AWS Fargate"]}}})
    saved = client.get_portfolio_preferences()
    assert saved["applicationMode"] == "ALL"
    assert saved["prioritizeBusinessGoals"]["businessGoals"]["reduceOperationalOverheadWithManagedServices"] == 5
    components = {(c["associatedServerId"], c["name"]): c for c in client.list_application_components()["applicationComponentInfos"]}
    assert components[(ids["db-1"], "postgres")]["recommendationSet"]["targetDestination"] == "Aurora PostgreSQL"
    assert components[(ids["web-1"], "mysqld")]["recommendationSet"]["targetDestination"] == "Aurora MySQL"
    assert components[(ids["legacy-1"], "java")]["recommendationSet"]["targetDestination"] == "AWS Fargate"
    code, message, _ = error_of(client.put_portfolio_preferences,
                                prioritizeBusinessGoals={"businessGoals": {"licenseCostReduction": 6}})
    assert code == "ValidationException" and "Member must have value less than or equal to 5" in message

    # A user's choice among the options is kept and shown as preferred.
    client.update_server_config(serverId=ids["legacy-1"], strategyOption={"strategy": "Rehost", "isPreferred": True})
    strategies = client.get_server_strategies(serverId=ids["legacy-1"])["serverStrategies"]
    assert [(s["recommendation"]["strategy"], s["isPreferred"]) for s in strategies] == [("Replatform", False), ("Rehost", True)]
    assert client.get_server_details(serverId=ids["legacy-1"])["serverDetail"]["recommendationSet"]["strategy"] == "Rehost"
    assert error_of(client.update_server_config, serverId=ids["legacy-1"], strategyOption={"strategy": "Repurchase"}) == (
        "ValidationException", f"Repurchase is not a strategy option for server {ids['legacy-1']} with the given target "
                               "destination and tool; its options are: Rehost, Replatform.", 400)
    client.update_server_config(serverId=ids["legacy-1"], strategyOption={"strategy": "Rehost", "isPreferred": False})
    assert client.get_server_details(serverId=ids["legacy-1"])["serverDetail"]["recommendationSet"]["strategy"] == "Replatform"

    postgres = components[(ids["db-1"], "postgres")]["id"]
    client.update_application_component_config(applicationComponentId=postgres, secretsManagerKey="db-1-credentials",
                                               strategyOption={"strategy": "Rehost", "isPreferred": True,
                                                               "targetDestination": "Amazon Elastic Cloud Compute (EC2)"})
    detail = client.get_application_component_details(applicationComponentId=postgres)["applicationComponentDetail"]
    assert detail["recommendationSet"]["strategy"] == "Rehost"
    assert detail["databaseConfigDetail"] == {"secretName": "db-1-credentials"} and detail["analysisStatus"] == "CONFIGURED"

    # A component excluded from the assessment no longer counts in its server's summary.
    assert client.get_server_details(serverId=ids["db-1"])["serverDetail"]["applicationComponentStrategySummary"] == [
        {"strategy": "Rehost", "count": 1}]
    client.update_application_component_config(applicationComponentId=postgres, inclusionStatus="excludeFromAssessment")
    assert client.get_server_details(serverId=ids["db-1"])["serverDetail"]["applicationComponentStrategySummary"] == []
    assert client.get_application_component_details(applicationComponentId=postgres)["applicationComponentDetail"][
        "inclusionStatus"] == "excludeFromAssessment"
    client.update_application_component_config(applicationComponentId=postgres, inclusionStatus="includeInAssessment")


def test_recommendation_reports_in_s3(portfolio):
    cloud, ids = portfolio["cloud"], portfolio["ids"]
    client, s3 = strategy(cloud), cloud.client("s3", region=HOME, account=ACCOUNT)
    report = client.start_recommendation_report_generation(outputFormat="Json")["id"]
    details = wait_report(client, report)
    assert details["status"] == "SUCCESS", details
    assert details["s3Bucket"] == f"migrationhub-strategy-{ACCOUNT}-{HOME}"
    body = json.loads(s3.get_object(Bucket=details["s3Bucket"], Key=details["s3Keys"][0])["Body"].read())
    rows = {(r["resourceType"], r["name"]): r for r in body["recommendations"]}
    assert rows[("Server", "idle-1")]["strategy"] == "Retirement"
    assert rows[("Server", "idle-1")]["reason"].startswith("Average CPU utilisation 0.4% is below 2%")
    assert rows[("Application component", "postgres")]["serverId"] == ids["db-1"]

    excel = wait_report(client, client.start_recommendation_report_generation()["id"])  # Excel by default
    assert excel["s3Keys"][0].endswith(".xlsx")
    workbook = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket=excel["s3Bucket"], Key=excel["s3Keys"][0])["Body"].read()))
    sheet = ElementTree.fromstring(workbook.read("xl/worksheets/sheet1.xml"))
    cells = [t.text for t in sheet.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}t")]
    assert "Resource type" in cells and "legacy-1" in cells and "Retirement" in cells
    assert error_of(client.get_recommendation_report_details, id="0000") == (
        "ResourceNotFoundException", "Recommendation report task 0000 was not found.", 404)


def test_the_aws_cli(portfolio):
    cloud = portfolio["cloud"]
    out = aws(cloud, "migrationhubstrategy", "get-server-strategies", "--server-id", portfolio["ids"]["idle-1"],
              account=ACCOUNT, region=HOME).stdout
    assert json.loads(out)["serverStrategies"][0]["recommendation"]["strategy"] == "Retirement"
    refused = aws(cloud, "migrationhubstrategy", "get-server-details", "--server-id", "d-server-none", account=ACCOUNT,
                  region=HOME, check=False)
    assert refused.returncode != 0 and "(ResourceNotFoundException)" in refused.stderr


def test_assessment_targets_stop_and_data_sources(cloud):
    set_home_region(cloud)
    discovered_server(cloud, "keep-1", "10.0.2.1", "02:00:00:00:02:01", processes=(NODE,))
    discovered_server(cloud, "skip-1", "10.0.2.2", "02:00:00:00:02:02", processes=(NODE,))
    client = strategy(cloud)
    assessment = client.start_assessment(assessmentTargets=[
        {"name": "server.hostName", "condition": "NOT_CONTAINS", "values": ["skip"]}])["assessmentId"]
    assert wait_assessment(client, assessment)["servers"] == 1
    assert client.get_assessment(id=assessment)["assessmentTargets"] == [
        {"name": "server.hostName", "condition": "NOT_CONTAINS", "values": ["skip"]}]
    assert [s["name"] for s in client.list_servers()["serverInfos"]] == ["keep-1"]

    collector = client.start_assessment(assessmentDataSourceType="StrategyRecommendationsApplicationDataCollector")["assessmentId"]
    failed = wait_assessment(client, collector)
    assert failed["status"] == "FAILED" and failed["statusMessage"].startswith("No Strategy Recommendations application data collector")
    assert error_of(client.stop_assessment, assessmentId=collector) == (
        "ValidationException", f"Assessment {collector} is FAILED: only an assessment in progress can be stopped.", 400)
    assert error_of(client.stop_assessment, assessmentId="0000-missing") == (
        "ValidationException", "Assessment 0000-missing was not found.", 400)
    assert error_of(client.update_server_config, serverId=client.list_servers()["serverInfos"][0]["id"],
                    strategyOption={"isPreferred": True}) == (
        "ValidationException", "strategyOption.strategy is required to set a preferred strategy.", 400)
    assert error_of(client.start_import_file_task, name="x", S3Bucket="migrationhub-strategy-x", s3key="a.csv",
                    dataSourceType="StrategyRecommendationsApplicationDataCollector") == (
        "ValidationException", "Servers of a Strategy Recommendations collector cannot be imported: no collector is registered.", 400)
    assert error_of(client.start_assessment, s3bucketForReportData="my-reports") == (
        "ValidationException", "The bucket name in s3bucketForReportData must begin with migrationhub-strategy-.", 400)
    assert client.list_collectors()["Collectors"] == [] and client.list_analyzable_servers()["analyzableServers"] == []
    manual = client.start_assessment(assessmentDataSourceType="ManualImport")["assessmentId"]
    assert wait_assessment(client, manual)["statusMessage"] == (
        "No file import has completed in this account: import the servers with StartImportFileTask first.")


def test_the_portfolio_survives_kill_9(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        set_home_region(process)
        server = discovered_server(process, "db-9", "10.0.9.9", "02:00:00:00:09:09", processes=(POSTGRES,), cpu=(50.0,))
        client = strategy(process)
        assessment = client.start_assessment()["assessmentId"]
        assert wait_assessment(client, assessment)["status"] == "COMPLETE"
        client.update_server_config(serverId=server, strategyOption={"strategy": "Rehost", "isPreferred": True})
        process.kill9()
        process.start()
        client = strategy(process)
        assert client.get_assessment(id=assessment)["dataCollectionDetails"]["status"] == "COMPLETE"
        strategies = client.get_server_strategies(serverId=server)["serverStrategies"]
        assert [(s["recommendation"]["strategy"], s["isPreferred"]) for s in strategies] == [("Rehost", True)]
    finally:
        process.cleanup()


IMPORT = """ExternalId,IPAddress,HostName,OS.Name,OS.Version,CPU.NumberOfProcessors,RAM.TotalSizeInMB,CPU.UsagePct.Avg,CPU.UsagePct.Max,Applications
srv-1,10.80.0.1,erp-app01,Microsoft Windows Server 2008 R2 Standard,6.1.7601,2,8192,35,70,ERP
srv-2,10.80.0.2,mainframe-gw,AIX,7.2,4,16384,40,55,ERP
srv-3,10.80.0.3,old-report,Ubuntu,24.04,1,2048,0.8,3,
srv-4,10.80.0.4,rhel-web,Red Hat Enterprise Linux,9.2,2,4096,20,50,
"""


def test_servers_imported_into_application_discovery_service_are_assessed(cloud):
    """The agentless path: the Migration Hub import template in S3, Application Discovery
    Service's StartImportTask, then an assessment of what it imported."""
    set_home_region(cloud)
    s3, discovery = cloud.client("s3", region=HOME, account=ACCOUNT), cloud.client("discovery", region=HOME, account=ACCOUNT)
    s3.create_bucket(Bucket="inventory", CreateBucketConfiguration={"LocationConstraint": HOME})
    s3.put_object(Bucket="inventory", Key="servers.csv", Body=IMPORT.encode())
    task = discovery.start_import_task(name="datacentre", importUrl="s3://inventory/servers.csv")["task"]
    imported = settled(lambda: discovery.describe_import_tasks(filters=[
        {"name": "IMPORT_TASK_ID", "values": [task["importTaskId"]]}])["tasks"][0], pending="IMPORT_IN_PROGRESS")
    assert imported["status"] == "IMPORT_COMPLETE", imported

    client = strategy(cloud)
    assert wait_assessment(client, client.start_assessment()["assessmentId"])["servers"] == 4
    servers = {s["name"]: s for s in client.list_servers()["serverInfos"]}
    assert {name: (s["recommendationSet"]["strategy"], s["recommendationSet"]["transformationTool"].get("name"))
            for name, s in servers.items()} == {
        "erp-app01": ("Replatform", "End of Support Migration"),
        "mainframe-gw": ("Retain", None),
        "old-report": ("Retirement", None),
        "rhel-web": ("Rehost", "Application Migration Service"),
    }
    assert servers["erp-app01"]["statusMessage"].startswith(
        "Microsoft Windows Server 2008 R2 Standard 6.1.7601 reached its end of support on 2020-01-14")
    assert servers["mainframe-gw"]["statusMessage"] == "AIX 7.2 does not run on AWS: keep the server where it is"
    summary = client.get_portfolio_summary()["assessmentSummary"]["listServerSummary"]
    assert summary == [{"ServerOsType": "EndOfSupportWindowsServer", "count": 1}, {"ServerOsType": "Other", "count": 2},
                       {"ServerOsType": "Redhat", "count": 1}]
    erp = client.get_server_details(serverId=servers["erp-app01"]["id"])["associatedApplications"]
    assert [a["name"] for a in erp] == ["ERP"]


def test_file_imports_name_servers_to_assess_and_group_them(cloud):
    set_home_region(cloud)
    discovered = discovered_server(cloud, "rhel-web", "10.80.0.4", "02:00:00:00:80:04", processes=(NODE,))
    client, s3 = strategy(cloud), cloud.client("s3", region=HOME, account=ACCOUNT)
    bucket = "migrationhub-strategy-imports"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": HOME})
    s3.put_object(Bucket=bucket, Key="servers.csv", Body=IMPORT.encode())

    # Rows that name discovered servers: the one discovered matches, the others fail.
    by_discovery = client.start_import_file_task(name="wave-1", S3Bucket=bucket, s3key="servers.csv",
                                                 groupId=[{"name": "ExternalId", "value": "wave-1"}])["id"]
    task = settled(lambda: client.get_import_file_task(id=by_discovery), pending="ImportInProgress")
    assert (task["status"], task["numberOfRecordsSuccess"], task["numberOfRecordsFailed"]) == ("ImportPartialSuccess", 1, 3)
    report = s3.get_object(Bucket=task["statusReportS3Bucket"], Key=task["statusReportS3Key"])["Body"].read().decode()
    assert f"5,srv-4,SUCCESS,{discovered}" in report.replace("\r", "")
    assert "No server discovered by Application Discovery Service has this host name, IP or MAC address." in report

    # Rows that are the servers themselves.
    by_rows = client.start_import_file_task(name="datacentre", S3Bucket=bucket, s3key="servers.csv", dataSourceType="Import",
                                            groupId=[{"name": "ExternalSourceType", "value": "CMDB"}])["id"]
    task = settled(lambda: client.get_import_file_task(id=by_rows), pending="ImportInProgress")
    assert (task["status"], task["numberOfRecordsSuccess"], task["numberOfRecordsFailed"]) == ("ImportSuccess", 4, 0)
    assert [t["id"] for t in client.list_import_file_task()["taskInfos"]] == [by_discovery, by_rows]

    assert wait_assessment(client, client.start_assessment(assessmentDataSourceType="ManualImport")["assessmentId"])["servers"] == 5
    names = lambda **filters: sorted(s["name"] for s in client.list_servers(**filters)["serverInfos"])  # noqa: E731
    assert names(groupIdFilter=[{"name": "ExternalSourceType", "value": "CMDB"}]) == [
        "erp-app01", "mainframe-gw", "old-report", "rhel-web"]
    assert names(groupIdFilter=[{"name": "ExternalId", "value": "wave-1"}]) == ["rhel-web"]
    imported = {s["name"]: s for s in client.list_servers(groupIdFilter=[{"name": "ExternalSourceType", "value": "CMDB"}])["serverInfos"]}
    assert imported["mainframe-gw"]["recommendationSet"]["strategy"] == "Retain"
    assert imported["erp-app01"]["id"].startswith("i-server-")

    assert error_of(client.start_import_file_task, name="x", S3Bucket="inventory", s3key="servers.csv") == (
        "ValidationException", "The bucket name in S3Bucket must begin with migrationhub-strategy-.", 400)
    assert error_of(client.get_import_file_task, id="missing") == (
        "ResourceNotFoundException", "Import file task missing was not found.", 404)
