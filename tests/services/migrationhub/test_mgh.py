"""Migration Hub: a migration tool's stream and tasks, their progress and links, application states."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from regionbox.testing import CloudProcess
from tests.services.migrationhub.helpers import ACCOUNT, HOME, cli_json, discovered_server, error_of, set_home_region
from tests.services.test_cli_aws import aws

HOME_NOT_SET = ("HomeRegionNotSetException", "The home region is not set. Set the home region to continue.", 400)
ARTIFACT = f"arn:aws:ec2:{HOME}:{ACCOUNT}:instance/i-0123456789abcdef0"


def mgh(cloud, region: str = HOME, account: str = ACCOUNT):
    return cloud.client("mgh", region=region, account=account)


def test_every_call_needs_the_home_region_and_writes_need_to_be_made_there(cloud):
    client = mgh(cloud)
    assert error_of(client.create_progress_update_stream, ProgressUpdateStreamName="tool") == HOME_NOT_SET
    assert error_of(client.list_progress_update_streams) == HOME_NOT_SET
    assert error_of(client.describe_application_state, ApplicationId="d-application-1") == HOME_NOT_SET

    set_home_region(cloud)
    client.create_progress_update_stream(ProgressUpdateStreamName="tool")
    elsewhere = mgh(cloud, region="us-east-1")
    assert error_of(elsewhere.create_progress_update_stream, ProgressUpdateStreamName="other") == (
        "InvalidInputException", f"The home region for this account is {HOME}. "
                                 "Write calls must be made in the home region, not in us-east-1.", 400)
    assert error_of(elsewhere.import_migration_task, ProgressUpdateStream="tool", MigrationTaskName="t")[0] == "InvalidInputException"
    # Reads are served from any region, with the home region's data.
    assert elsewhere.list_progress_update_streams()["ProgressUpdateStreamSummaryList"] == [{"ProgressUpdateStreamName": "tool"}]
    # Another account has no home region of its own.
    assert error_of(mgh(cloud, account="210987654321").list_migration_tasks) == HOME_NOT_SET


def test_a_migration_task_from_import_to_completion(cloud):
    set_home_region(cloud)
    client = mgh(cloud)
    client.create_progress_update_stream(ProgressUpdateStreamName="tool")
    client.create_progress_update_stream(ProgressUpdateStreamName="tool")  # a tool creates its stream at every start
    assert error_of(client.import_migration_task, ProgressUpdateStream="missing", MigrationTaskName="web-1") == (
        "ResourceNotFoundException", "Progress update stream missing does not exist.", 400)
    client.import_migration_task(ProgressUpdateStream="tool", MigrationTaskName="web-1")
    client.import_migration_task(ProgressUpdateStream="tool", MigrationTaskName="db-1")
    task = client.describe_migration_task(ProgressUpdateStream="tool", MigrationTaskName="web-1")["MigrationTask"]
    assert task == {"ProgressUpdateStream": "tool", "MigrationTaskName": "web-1", "ResourceAttributeList": []}
    assert error_of(client.describe_migration_task, ProgressUpdateStream="tool", MigrationTaskName="nope") == (
        "ResourceNotFoundException", "Migration task nope does not exist in progress update stream tool.", 400)

    start = datetime(2020, 1, 6, 7, 0, tzinfo=timezone.utc)  # before the tasks were imported
    for minutes, status, percent in ((0, "NOT_STARTED", 0), (5, "IN_PROGRESS", 40), (9, "IN_PROGRESS", 80), (12, "COMPLETED", 100)):
        client.notify_migration_task_state(ProgressUpdateStream="tool", MigrationTaskName="web-1",
                                           Task={"Status": status, "StatusDetail": f"{percent}% copied", "ProgressPercent": percent},
                                           UpdateDateTime=start + timedelta(minutes=minutes), NextUpdateSeconds=300)
    task = client.describe_migration_task(ProgressUpdateStream="tool", MigrationTaskName="web-1")["MigrationTask"]
    assert task["Task"] == {"Status": "COMPLETED", "StatusDetail": "100% copied", "ProgressPercent": 100}
    assert task["UpdateDateTime"] == start + timedelta(minutes=12)

    updates = client.list_migration_task_updates(ProgressUpdateStream="tool", MigrationTaskName="web-1")["MigrationTaskUpdateList"]
    assert [(u["MigrationTaskState"]["Status"], u["MigrationTaskState"]["ProgressPercent"]) for u in updates] == [
        ("COMPLETED", 100), ("IN_PROGRESS", 80), ("IN_PROGRESS", 40), ("NOT_STARTED", 0)]
    assert {u["UpdateType"] for u in updates} == {"MIGRATION_TASK_STATE_UPDATED"}
    first = client.list_migration_task_updates(ProgressUpdateStream="tool", MigrationTaskName="web-1", MaxResults=3)
    rest = client.list_migration_task_updates(ProgressUpdateStream="tool", MigrationTaskName="web-1", NextToken=first["NextToken"])
    assert first["MigrationTaskUpdateList"] + rest["MigrationTaskUpdateList"] == updates and "NextToken" not in rest

    summaries = client.list_migration_tasks()["MigrationTaskSummaryList"]
    assert [s["MigrationTaskName"] for s in summaries] == ["db-1", "web-1"]  # the most recently updated first
    assert summaries[1]["Status"] == "COMPLETED" and summaries[1]["ProgressPercent"] == 100
    paged = [t["MigrationTaskName"] for page in client.get_paginator("list_migration_tasks").paginate(PaginationConfig={"PageSize": 1})
             for t in page["MigrationTaskSummaryList"]]
    assert paged == ["db-1", "web-1"]

    # The model's constraints answer with the service's code.
    code, message, _ = error_of(client.notify_migration_task_state, ProgressUpdateStream="tool", MigrationTaskName="web-1",
                                Task={"Status": "IN_PROGRESS", "ProgressPercent": 101}, UpdateDateTime=start, NextUpdateSeconds=1)
    assert code == "InvalidInputException"
    assert message == ("1 validation error detected: Value '101' at 'task.progressPercent' failed to satisfy constraint: "
                       "Member must have value less than or equal to 100")
    assert error_of(client.list_migration_tasks, NextToken="bm90IGEgdG9rZW4=") == (
        "InvalidInputException", "The NextToken is not valid.", 400)

    # Deleting the stream deletes its tasks; the name can be used again for a new stream.
    client.delete_progress_update_stream(ProgressUpdateStreamName="tool")
    assert client.list_migration_tasks()["MigrationTaskSummaryList"] == []
    assert error_of(client.delete_progress_update_stream, ProgressUpdateStreamName="tool") == (
        "ResourceNotFoundException", "Progress update stream tool does not exist.", 400)
    client.create_progress_update_stream(ProgressUpdateStreamName="tool")
    assert error_of(client.describe_migration_task, ProgressUpdateStream="tool", MigrationTaskName="web-1")[0] == "ResourceNotFoundException"


def test_dry_run_changes_nothing(cloud):
    set_home_region(cloud)
    client = mgh(cloud)
    dry = ("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 400)
    assert error_of(client.create_progress_update_stream, ProgressUpdateStreamName="tool", DryRun=True) == dry
    assert client.list_progress_update_streams()["ProgressUpdateStreamSummaryList"] == []
    client.create_progress_update_stream(ProgressUpdateStreamName="tool")
    assert error_of(client.import_migration_task, ProgressUpdateStream="tool", MigrationTaskName="t", DryRun=True) == dry
    assert error_of(client.notify_application_state, ApplicationId="d-application-0123456789abcdef0", Status="IN_PROGRESS",
                    DryRun=True) == dry
    assert client.list_migration_tasks()["MigrationTaskSummaryList"] == []
    assert client.list_application_states()["ApplicationStateList"] == []


def test_created_artifacts_and_source_resources(cloud):
    set_home_region(cloud)
    client = mgh(cloud)
    client.create_progress_update_stream(ProgressUpdateStreamName="tool")
    client.import_migration_task(ProgressUpdateStream="tool", MigrationTaskName="web-1")
    task = {"ProgressUpdateStream": "tool", "MigrationTaskName": "web-1"}

    client.associate_created_artifact(**task, CreatedArtifact={"Name": ARTIFACT, "Description": "the new instance"})
    for n in range(11):
        client.associate_created_artifact(**task, CreatedArtifact={"Name": f"arn:aws:ec2:{HOME}:{ACCOUNT}:image/ami-{n:08x}"})
    client.associate_created_artifact(**task, CreatedArtifact={"Name": ARTIFACT, "Description": "renamed"})
    first = client.list_created_artifacts(**task)
    assert len(first["CreatedArtifactList"]) == 10  # at most 10 a page
    listed = first["CreatedArtifactList"] + client.list_created_artifacts(**task, NextToken=first["NextToken"])["CreatedArtifactList"]
    assert len(listed) == 12 and listed[-1] == {"Name": ARTIFACT, "Description": "renamed"}
    client.disassociate_created_artifact(**task, CreatedArtifactName=ARTIFACT)
    assert error_of(client.disassociate_created_artifact, **task, CreatedArtifactName=ARTIFACT) == (
        "ResourceNotFoundException", f"Created artifact {ARTIFACT} is not associated with migration task web-1.", 400)
    code, message, _ = error_of(client.associate_created_artifact, **task, CreatedArtifact={"Name": "i-0123"})
    assert code == "InvalidInputException" and "at 'createdArtifact.name' failed to satisfy constraint" in message
    code, _, _ = error_of(client.list_created_artifacts, **task, MaxResults=11)
    assert code == "InvalidInputException"

    client.associate_source_resource(**task, SourceResource={"Name": "vcenter/web-1", "Description": "VM", "StatusDetail": "replicating"})
    assert client.list_source_resources(**task)["SourceResourceList"] == [
        {"Name": "vcenter/web-1", "Description": "VM", "StatusDetail": "replicating"}]
    client.disassociate_source_resource(**task, SourceResourceName="vcenter/web-1")
    assert client.list_source_resources(**task)["SourceResourceList"] == []
    assert error_of(client.list_source_resources, ProgressUpdateStream="tool", MigrationTaskName="web-2") == (
        "ResourceNotFoundException", "Migration task web-2 does not exist in progress update stream tool.", 400)


def test_resource_attributes(cloud):
    set_home_region(cloud)
    client = mgh(cloud)
    client.create_progress_update_stream(ProgressUpdateStreamName="tool")
    client.import_migration_task(ProgressUpdateStream="tool", MigrationTaskName="web-1")
    task = {"ProgressUpdateStream": "tool", "MigrationTaskName": "web-1"}
    client.put_resource_attributes(**task, ResourceAttributeList=[
        {"Type": "IPV4_ADDRESS", "Value": "10.0.0.12"}, {"Type": "MAC_ADDRESS", "Value": "02:42:ac:11:00:02"},
        {"Type": "VM_NAME", "Value": "web-1"}])  # no VM_MANAGER_ID: the VM fields are discarded
    assert client.describe_migration_task(**task)["MigrationTask"]["ResourceAttributeList"] == [
        {"Type": "IPV4_ADDRESS", "Value": "10.0.0.12"}, {"Type": "MAC_ADDRESS", "Value": "02:42:ac:11:00:02"}]
    # A later call replaces the attributes.
    client.put_resource_attributes(**task, ResourceAttributeList=[
        {"Type": "VM_MANAGER_ID", "Value": "vcenter-1"}, {"Type": "VM_NAME", "Value": "web-1"}])
    assert [a["Type"] for a in client.describe_migration_task(**task)["MigrationTask"]["ResourceAttributeList"]] == [
        "VM_MANAGER_ID", "VM_NAME"]
    for kind, value in (("IPV4_ADDRESS", "10.0.0.256"), ("IPV6_ADDRESS", "10.0.0.1"), ("MAC_ADDRESS", "02:42:ac:11:00"),
                        ("FQDN", "web?1")):
        assert error_of(client.put_resource_attributes, **task, ResourceAttributeList=[{"Type": kind, "Value": value}]) == (
            "InvalidInputException", f"{value} is not a valid value for ResourceAttribute type {kind}.", 400)


def test_application_states(cloud):
    set_home_region(cloud)
    client = mgh(cloud)
    discovery = cloud.client("discovery", region=HOME, account=ACCOUNT)
    apps = [discovery.create_application(name=f"app-{n}")["configurationId"] for n in range(3)]
    assert error_of(client.notify_application_state, ApplicationId="d-application-0000000000000000", Status="COMPLETED") == (
        "ResourceNotFoundException", "Application d-application-0000000000000000 does not exist.", 400)
    # A discovered application nobody reported on has not started.
    assert "LastUpdatedTime" not in client.describe_application_state(ApplicationId=apps[0])
    assert client.describe_application_state(ApplicationId=apps[0])["ApplicationStatus"] == "NOT_STARTED"
    when = datetime(2020, 1, 6, 7, 30, tzinfo=timezone.utc)
    for app in apps:
        client.notify_application_state(ApplicationId=app, Status="NOT_STARTED", UpdateDateTime=when)
    client.notify_application_state(ApplicationId=apps[1], Status="IN_PROGRESS")
    described = client.describe_application_state(ApplicationId=apps[0])
    assert (described["ApplicationStatus"], described["LastUpdatedTime"]) == ("NOT_STARTED", when)
    assert client.describe_application_state(ApplicationId=apps[1])["ApplicationStatus"] == "IN_PROGRESS"
    listed = client.list_application_states(ApplicationIds=[apps[1], apps[2]])["ApplicationStateList"]
    assert [(s["ApplicationId"], s["ApplicationStatus"]) for s in listed] == [(apps[1], "IN_PROGRESS"), (apps[2], "NOT_STARTED")]
    page = client.list_application_states(MaxResults=2)
    assert len(page["ApplicationStateList"]) == 2 and page["NextToken"]
    assert error_of(client.describe_application_state, ApplicationId="d-application-none") == (
        "ResourceNotFoundException", "Application d-application-none does not exist.", 400)
    code, _, _ = error_of(client.notify_application_state, ApplicationId=apps[0], Status="DONE")
    assert code == "InvalidInputException"


def test_discovered_resources_come_from_application_discovery_service(cloud):
    set_home_region(cloud)
    client = mgh(cloud)
    client.create_progress_update_stream(ProgressUpdateStreamName="tool")
    client.import_migration_task(ProgressUpdateStream="tool", MigrationTaskName="db-1")
    task = {"ProgressUpdateStream": "tool", "MigrationTaskName": "db-1"}
    server = discovered_server(cloud, "db-1", "10.0.3.7", "02:00:00:00:03:07")
    application = cloud.client("discovery", region=HOME, account=ACCOUNT).create_application(name="shop")["configurationId"]

    # Attributes that identify a discovered server link the task to it.
    client.put_resource_attributes(**task, ResourceAttributeList=[{"Type": "MAC_ADDRESS", "Value": "02:00:00:00:03:07"}])
    assert client.list_discovered_resources(**task)["DiscoveredResourceList"] == [{"ConfigurationId": server}]
    assert [t["MigrationTaskName"] for t in client.list_migration_tasks(ResourceName=server)["MigrationTaskSummaryList"]] == ["db-1"]
    assert client.list_migration_tasks(ResourceName=application)["MigrationTaskSummaryList"] == []

    client.associate_discovered_resource(**task, DiscoveredResource={"ConfigurationId": application, "Description": "shop"})
    assert client.list_discovered_resources(**task)["DiscoveredResourceList"] == [
        {"ConfigurationId": server}, {"ConfigurationId": application, "Description": "shop"}]
    assert error_of(client.associate_discovered_resource, **task, DiscoveredResource={"ConfigurationId": "d-server-0000000000000000"}) == (
        "ResourceNotFoundException", "Configuration item d-server-0000000000000000 does not exist in Application Discovery Service.", 400)
    client.disassociate_discovered_resource(**task, ConfigurationId=server)
    assert error_of(client.disassociate_discovered_resource, **task, ConfigurationId=server) == (
        "ResourceNotFoundException", f"Discovered resource {server} is not associated with migration task db-1.", 400)


def test_the_aws_cli(cloud):
    aws(cloud, "migrationhub-config", "create-home-region-control", "--home-region", HOME, "--target", "Type=ACCOUNT", region=HOME)
    aws(cloud, "mgh", "create-progress-update-stream", "--progress-update-stream-name", "cli-tool", region=HOME)
    aws(cloud, "mgh", "import-migration-task", "--progress-update-stream", "cli-tool", "--migration-task-name", "app-1", region=HOME)
    aws(cloud, "mgh", "notify-migration-task-state", "--progress-update-stream", "cli-tool", "--migration-task-name", "app-1",
        "--task", "Status=IN_PROGRESS,ProgressPercent=50", "--update-date-time", "2026-11-30T07:00:00Z",
        "--next-update-seconds", "60", region=HOME)
    listed = cli_json(cloud, "mgh", "list-migration-tasks", region="us-east-1")
    assert [(t["MigrationTaskName"], t["Status"], t["ProgressPercent"]) for t in listed["MigrationTaskSummaryList"]] == [
        ("app-1", "IN_PROGRESS", 50)]
    refused = aws(cloud, "mgh", "describe-migration-task", "--progress-update-stream", "cli-tool",
                  "--migration-task-name", "app-2", region=HOME, check=False)
    assert refused.returncode != 0 and "(ResourceNotFoundException)" in refused.stderr


def test_tasks_survive_kill_9(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        set_home_region(process)
        client = mgh(process)
        client.create_progress_update_stream(ProgressUpdateStreamName="tool")
        client.import_migration_task(ProgressUpdateStream="tool", MigrationTaskName="web-1")
        client.notify_migration_task_state(ProgressUpdateStream="tool", MigrationTaskName="web-1",
                                           Task={"Status": "IN_PROGRESS", "ProgressPercent": 30},
                                           UpdateDateTime=datetime(2026, 11, 30, tzinfo=timezone.utc), NextUpdateSeconds=60)
        client.associate_created_artifact(ProgressUpdateStream="tool", MigrationTaskName="web-1", CreatedArtifact={"Name": ARTIFACT})
        process.kill9()
        process.start()
        client = mgh(process)
        task = client.describe_migration_task(ProgressUpdateStream="tool", MigrationTaskName="web-1")["MigrationTask"]
        assert task["Task"] == {"Status": "IN_PROGRESS", "ProgressPercent": 30}
        assert client.list_created_artifacts(ProgressUpdateStream="tool", MigrationTaskName="web-1")["CreatedArtifactList"] == [
            {"Name": ARTIFACT}]
    finally:
        process.cleanup()


def test_a_dry_run_the_caller_may_not_make_is_an_unauthorized_operation(cloud):
    set_home_region(cloud)
    iam = cloud.client("iam", account=ACCOUNT)
    iam.create_user(UserName="auditor")
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    client = cloud.client("mgh", region=HOME, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    code, message, status = error_of(client.create_progress_update_stream, ProgressUpdateStreamName="tool", DryRun=True)
    assert (code, status) == ("UnauthorizedOperation", 400)
    assert f"arn:aws:iam::{ACCOUNT}:user/auditor is not authorized to perform: mgh:CreateProgressUpdateStream" in message
    # Without DryRun the same refusal is Migration Hub's AccessDeniedException.
    assert error_of(client.create_progress_update_stream, ProgressUpdateStreamName="tool")[0] == "AccessDeniedException"
