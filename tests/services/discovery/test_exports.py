"""Exports to S3 (download, unzip, read the CSVs), EC2 instance recommendations, imports of the
Migration Hub template from S3, continuous export, and deletions that really delete."""

from __future__ import annotations

import csv
import io
import time
import zipfile

import pytest
import requests
from botocore.exceptions import ClientError

from tests.services.discovery.helpers import ACCOUNT, HOME, discovery, ingest, set_home


def _report(cloud, key: str, name: str, ip: str, records: list[dict], os_name: str = "Ubuntu",
            cpus: int = 8, ram_kb: int = 16 * 1024 * 1024) -> tuple[str, str]:
    answer = ingest(cloud, "register", {"hostKey": key, "hostName": name, "configuration": {
        "hostName": name, "osName": os_name, "osVersion": "22.04", "cpuType": "x86_64", "numCpus": cpus,
        "totalRamKb": ram_kb, "interfaces": [{"name": "eth0", "ipAddress": ip, "macAddress": "02:00:00:00:00:09"}]}})[1]
    agent = answer["agentId"]
    assert ingest(cloud, "report", {"agentId": agent, "batch": 0, "records": records})[0] == 200
    server = discovery(cloud).describe_agents(agentIds=[agent])["agentsInfo"][0]
    servers = discovery(cloud).list_configurations(configurationType="SERVER", filters=[
        {"name": "server.agentId", "values": [agent], "condition": "EQUALS"}])["configurations"]
    assert server["agentId"] == agent
    return agent, servers[0]["server.configurationId"]


def _finished(client, export_id: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        info = client.describe_export_tasks(exportIds=[export_id])["exportsInfo"][0]
        if info["exportStatus"] != "IN_PROGRESS" or time.monotonic() > deadline:
            return info
        time.sleep(0.1)


def _files(url: str) -> dict[str, list[dict]]:
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200, answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as zipped:
        return {name: list(csv.DictReader(io.StringIO(zipped.read(name).decode()))) if name.endswith(".csv")
                else zipped.read(name).decode() for name in zipped.namelist()}


def test_an_agents_detailed_data_exported_to_s3_as_zipped_csv_files(cloud):
    set_home(cloud)
    client = discovery(cloud)
    now = time.time()
    agent, server = _report(cloud, "k1", "web-1", "10.1.0.1", [
        {"kind": "configuration", "ts": now, "hostName": "web-1", "osName": "Ubuntu", "osVersion": "22.04",
         "cpuType": "x86_64", "interfaces": [{"name": "eth0", "ipAddress": "10.1.0.1", "macAddress": "02:00:00:00:00:09"}]},
        {"kind": "sample", "ts": now - 20, "cpu": 12.5, "freeRamKb": 1000, "netReadKb": 3.0},
        {"kind": "sample", "ts": now - 5, "cpu": 37.5, "freeRamKb": 900, "netReadKb": 1.0},
        {"kind": "process", "ts": now, "pid": 10, "name": "nginx", "path": "/usr/sbin/nginx", "commandLine": "nginx -g daemon"},
        {"kind": "connection", "ts": now, "direction": "outbound", "localIp": "10.1.0.1", "localPort": 50000,
         "remoteIp": "10.1.0.2", "remotePort": 5432, "pid": 10},
        {"kind": "connection", "ts": now, "direction": "inbound", "localIp": "10.1.0.1", "localPort": 443,
         "remoteIp": "10.9.9.9", "remotePort": 61000, "pid": 10}])
    export_id = client.start_export_task(exportDataFormat=["CSV"], filters=[
        {"name": "agentIds", "values": [agent], "condition": "EQUALS"}])["exportId"]
    info = _finished(client, export_id)
    assert info["exportStatus"] == "SUCCEEDED", info
    files = _files(info["configurationsDownloadUrl"])
    assert {f"{ACCOUNT}_{kind}.csv" for kind in ("osInfo", "networkInterface", "systemPerformance", "process",
                                                 "sourceProcessConnection", "destinationProcessConnection")} \
        <= set(files)
    performance = files[f"{ACCOUNT}_systemPerformance.csv"]
    assert [float(r["totalCpuUsagePct"]) for r in performance] == [12.5, 37.5] and performance[0]["agentId"] == agent
    assert files[f"{ACCOUNT}_process.csv"][0]["cmdLine"] == "nginx -g daemon"
    outbound = files[f"{ACCOUNT}_sourceProcessConnection.csv"]
    assert [(r["sourceIp"], r["destinationIp"], r["destinationPort"]) for r in outbound] == [("10.1.0.1", "10.1.0.2", "5432")]
    inbound = files[f"{ACCOUNT}_destinationProcessConnection.csv"]
    assert [(r["sourceIp"], r["destinationPort"]) for r in inbound] == [("10.9.9.9", "443")]
    assert files[f"{ACCOUNT}_osInfo.csv"][0]["hostName"] == "web-1"
    assert files[f"{ACCOUNT}_networkInterface.csv"][0]["ipAddress"] == "10.1.0.1"
    # The zip is an object of the account's discovery bucket, in the home Region.
    bucket = info["configurationsDownloadUrl"].split("/")[3]
    assert bucket.startswith("aws-application-discovery-service-")
    keys = [o["Key"] for o in cloud.client("s3", region=HOME, account=ACCOUNT).list_objects_v2(Bucket=bucket)["Contents"]]
    assert f"exports/{export_id}.zip" in keys
    with pytest.raises(ClientError) as caught:
        client.start_export_task(filters=[{"name": "agentIds", "values": ["o-nosuchagent00000"], "condition": "EQUALS"}])
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as caught:
        client.start_export_task(filters=[{"name": "hostName", "values": ["x"], "condition": "EQUALS"}])
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
    assert server


def test_ec2_recommendations_right_size_each_server_from_its_utilisation(cloud):
    set_home(cloud)
    client = discovery(cloud)
    now = time.time()
    # 8 vCPUs at ~20 % and 16 GiB with 12 GiB free: 2 vCPUs and 4 GiB are what it uses.
    _, busy = _report(cloud, "k1", "quiet-1", "10.1.0.1",
                      [{"kind": "sample", "ts": now + i, "cpu": 20.0, "freeRamKb": 12 * 1024 * 1024} for i in range(5)])
    _, windows = _report(cloud, "k2", "win-1", "10.1.0.2", [{"kind": "sample", "ts": now, "cpu": 90.0, "freeRamKb": 1024}],
                         os_name="Microsoft Windows Server 2019", cpus=4, ram_kb=8 * 1024 * 1024)
    export_id = client.start_export_task(preferences={"ec2RecommendationsPreferences": {
        "enabled": True, "cpuPerformanceMetricBasis": {"name": "AVG", "percentageAdjust": 0},
        "ramPerformanceMetricBasis": {"name": "MAX", "percentageAdjust": 0}, "tenancy": "SHARED",
        "excludedInstanceTypes": ["t3"]}})["exportId"]
    info = _finished(client, export_id)
    rows = {r["ServerId"]: r for r in _files(info["configurationsDownloadUrl"])["EC2InstanceRecommendations.csv"]}
    quiet = rows[busy]
    assert (quiet["Recommendation.EC2.RequestedvCPU"], quiet["Recommendation.EC2.Instance.Model"]) == ("2", "c5.large")
    assert float(quiet["Recommendation.EC2.Instance.Price.HourlyRate"]) == 0.085
    assert quiet["UserPreference.Recommendation.CPUSizing"] == "Average" and quiet["Server.HostName"] == "quiet-1"
    loud = rows[windows]
    assert loud["Recommendation.EC2.RequestedvCPU"] == "4" and loud["Recommendation.EC2.Instance.OSType"] == "Windows"
    # 4 vCPUs and all but 1 MiB of 8 GiB: c5.xlarge, with the Windows license per vCPU on its rate.
    assert loud["Recommendation.EC2.Instance.Model"] == "c5.xlarge"
    assert float(loud["Recommendation.EC2.Instance.Price.HourlyRate"]) == round(0.17 + 4 * 0.046, 4)
    # Reserved for three years, all up front: cheaper by the hour, paid at the start.
    reserved = _finished(client, client.start_export_task(preferences={"ec2RecommendationsPreferences": {
        "enabled": True, "excludedInstanceTypes": ["t3"], "reservedInstanceOptions": {
            "purchasingOption": "ALL_UPFRONT", "offeringClass": "STANDARD", "termLength": "THREE_YEAR"}}})["exportId"])
    row = {r["ServerId"]: r for r in _files(reserved["configurationsDownloadUrl"])["EC2InstanceRecommendations.csv"]}[busy]
    assert float(row["Recommendation.EC2.Instance.Price.UpfrontCost"]) > 0
    assert float(row["Recommendation.EC2.Instance.Price.AmortizedHourlyRate"]) < 0.085


def test_summary_exports_and_their_daily_limit(cloud):
    set_home(cloud)
    client = discovery(cloud)
    _, server = _report(cloud, "k1", "web-1", "10.1.0.1", [])
    app = client.create_application(name="shop")["configurationId"]
    client.associate_configuration_items_to_application(applicationConfigurationId=app, configurationIds=[server])
    info = _finished(client, client.export_configurations()["exportId"])
    files = _files(info["configurationsDownloadUrl"])
    assert [r["server.hostName"] for r in files["Servers.csv"]] == ["web-1"]
    assert files["Applications.csv"][0]["application.name"] == "shop"
    assert client.describe_export_configurations(exportIds=[info["exportId"]])["exportsInfo"][0]["exportStatus"] == "SUCCEEDED"
    client.start_export_task()
    with pytest.raises(ClientError) as caught:
        client.start_export_task()
    assert caught.value.response["Error"]["Code"] == "OperationNotPermittedException"


TEMPLATE = """ExternalId,SMBiosId,IPAddress,MACAddress,HostName,VMware.MoRefId,VMware.VCenterId,CPU.NumberOfProcessors,CPU.NumberOfCores,CPU.NumberOfLogicalCores,OS.Name,OS.Version,VMware.VMName,RAM.TotalSizeInMB,RAM.UsedSizeInMB.Avg,RAM.UsedSizeInMB.Max,CPU.UsagePct.Avg,CPU.UsagePct.Max,Applications,ApplicationWave,Tags
srv-1,,10.70.0.1,,pay-app01,vm-1001,vc01,2,8,16,Red Hat Enterprise Linux,9.2,pay-app01,32768,12000,20480,15,60,"Payments,Ledger",Wave 2,"owner:finance, tier:1"
srv-2,,10.70.0.2,,pay-db01,,,1,2,2,Windows Server 2016,,,8192,,,,,Payments,,
,,,,,,,,,,,,,,,,,,,,
srv-3,,,,bad-row,,,x,,,,,,,,,,,,,
"""


def test_import_the_migration_hub_template_from_s3_and_delete_what_it_made(cloud):
    set_home(cloud)
    client = discovery(cloud)
    s3 = cloud.client("s3", region=HOME, account=ACCOUNT)
    s3.create_bucket(Bucket="inventory", CreateBucketConfiguration={"LocationConstraint": HOME})
    s3.put_object(Bucket="inventory", Key="import/servers.csv", Body=TEMPLATE.encode())
    task = client.start_import_task(clientRequestToken="token-1", name="datacentre",
                                    importUrl="s3://inventory/import/servers.csv")["task"]
    assert task["status"] == "IMPORT_IN_PROGRESS" and task["importTaskId"].startswith("import-task-")
    again = client.start_import_task(clientRequestToken="token-1", name="datacentre",
                                     importUrl="s3://inventory/import/servers.csv")["task"]
    assert again["importTaskId"] == task["importTaskId"]
    with pytest.raises(ClientError) as caught:
        client.start_import_task(clientRequestToken="token-1", name="other", importUrl="s3://inventory/import/servers.csv")
    assert caught.value.response["Error"]["Code"] == "ResourceInUseException"
    deadline = time.monotonic() + 60
    while (done := client.describe_import_tasks(filters=[{"name": "IMPORT_TASK_ID", "values": [task["importTaskId"]]}])
           ["tasks"][0])["status"] == "IMPORT_IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (done["status"], done["serverImportSuccess"], done["serverImportFailure"], done["applicationImportSuccess"]) \
        == ("IMPORT_COMPLETE_WITH_ERRORS", 2, 2, 2)
    errors = requests.get(done["errorsAndFailedEntriesZip"], timeout=30)
    with zipfile.ZipFile(io.BytesIO(errors.content)) as zipped:
        assert "CPU.NumberOfProcessors must be a number" in zipped.read("failed-entries.csv").decode()
    servers = {s["server.hostName"]: s for s in client.list_configurations(configurationType="SERVER")["configurations"]}
    app = servers["pay-app01"]
    assert (app["server.osName"], app["server.type"], app["server.source"], app["server.performance.numCpus"]) == \
        ("Red Hat Enterprise Linux", "VMWARE_VM", "Import", "16")
    assert float(app["server.performance.avgCpuUsagePct"]) == 15.0
    assert float(app["server.performance.avgFreeRAMInKB"]) == (32768 - 12000) * 1024
    assert "Payments" in app["server.applications"] and "Ledger" in app["server.applications"]
    apps = {a["application.name"]: a for a in client.list_configurations(configurationType="APPLICATION")["configurations"]}
    assert apps["Payments"]["application.serverCount"] == "2"
    assert {(t["key"], t["value"]) for t in client.describe_tags()["tags"]} == {("owner", "finance"), ("tier", "1")}
    errors = client.batch_delete_import_data(importTaskIds=[task["importTaskId"], "import-task-" + "0" * 32])["errors"]
    assert [e["errorCode"] for e in errors] == ["NOT_FOUND"]
    assert client.list_configurations(configurationType="SERVER")["configurations"] == []
    assert client.list_configurations(configurationType="APPLICATION")["configurations"] == []
    assert client.describe_import_tasks()["tasks"][0]["status"] == "DELETE_COMPLETE"
    client.batch_delete_import_data(importTaskIds=[task["importTaskId"]], deleteHistory=True)
    assert client.describe_import_tasks()["tasks"] == []


def test_a_batch_delete_task_really_deletes_a_server_and_what_it_reported(cloud):
    set_home(cloud)
    client = discovery(cloud)
    now = time.time()
    agent, server = _report(cloud, "k1", "web-1", "10.1.0.1", [
        {"kind": "sample", "ts": now, "cpu": 5.0},
        {"kind": "process", "ts": now, "pid": 1, "name": "nginx", "path": "", "commandLine": "nginx"},
        {"kind": "connection", "ts": now, "direction": "outbound", "localIp": "10.1.0.1", "localPort": 50000,
         "remoteIp": "10.1.0.2", "remotePort": 80}])
    client.create_tags(configurationIds=[server], tags=[{"key": "env", "value": "prod"}])
    app = client.create_application(name="shop")["configurationId"]
    client.associate_configuration_items_to_application(applicationConfigurationId=app, configurationIds=[server])
    task_id = client.start_batch_delete_configuration_task(configurationType="SERVER",
                                                           configurationIds=[server, "d-server-nosuchserver0"])["taskId"]
    task = client.describe_batch_delete_configuration_task(taskId=task_id)["task"]
    assert (task["status"], task["deletedConfigurations"]) == ("COMPLETED", [server])
    assert [f["configurationId"] for f in task["failedConfigurations"]] == ["d-server-nosuchserver0"]
    for kind in ("SERVER", "PROCESS", "CONNECTION"):
        assert client.list_configurations(configurationType=kind)["configurations"] == [], kind
    assert client.describe_tags()["tags"] == []
    assert client.describe_configurations(configurationIds=[app])["configurations"][0]["application.serverCount"] == "0"
    exported = _finished(client, client.start_export_task(filters=[
        {"name": "agentIds", "values": [agent], "condition": "EQUALS"}])["exportId"])
    assert _files(exported["configurationsDownloadUrl"])[f"{ACCOUNT}_systemPerformance.csv"] == []
    with pytest.raises(ClientError) as caught:
        client.describe_batch_delete_configuration_task(taskId="00000000-0000-0000-0000-000000000000")
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_continuous_export_writes_what_agents_report_to_the_bucket(cloud):
    set_home(cloud)
    client = discovery(cloud)
    started = client.start_continuous_export()
    assert started["dataSource"] == "AGENT" and started["s3Bucket"].startswith("aws-application-discovery-service-")
    with pytest.raises(ClientError) as caught:
        client.start_continuous_export()
    assert caught.value.response["Error"]["Code"] == "ResourceInUseException"
    agent, _ = _report(cloud, "k1", "web-1", "10.1.0.1", [{"kind": "sample", "ts": time.time(), "cpu": 42.0}])
    s3 = cloud.client("s3", region=HOME, account=ACCOUNT)
    deadline = time.monotonic() + 60
    while not (found := s3.list_objects_v2(Bucket=started["s3Bucket"], Prefix="sys_performance_agent/").get("Contents")):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert found[0]["Key"].startswith(f"sys_performance_agent/agent_id={agent}/")
    body = s3.get_object(Bucket=started["s3Bucket"], Key=found[0]["Key"])["Body"].read().decode()
    assert float(list(csv.DictReader(io.StringIO(body)))[0]["totalCpuUsagePct"]) == 42.0
    stopped = client.stop_continuous_export(exportId=started["exportId"])
    assert stopped["stopTime"] >= stopped["startTime"]
    described = client.describe_continuous_exports()["descriptions"][0]
    assert (described["status"], described["schemaStorageConfig"]) == ("INACTIVE", {"Athena": "application_discovery_service_database"})
    with pytest.raises(ClientError) as caught:
        client.stop_continuous_export(exportId="00000000-0000-0000-0000-000000000000")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
