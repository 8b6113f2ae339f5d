"""A snapshot's travels, the user's story: take one of a real instance, copy it (in its region and
into another), share the copy with another account, which restores it by its ARN and reads the
rows with psycopg; an account it was not shared with cannot. Then the instance's IAM roles, what
it may be modified to, its (no) pending maintenance, and its automated backups kept after it is
deleted, restored from, and deleted. One source instance for the module, chapters in order."""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path

import psycopg
import pytest

from regionbox.core.tls import ca_directory
from regionbox.engines import kinds
from tests.services.rds.helpers import PASSWORD, connect, create, error_of, rds_role, wait_status, wait_until

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")
FRIEND, STRANGER = "111111111111", "222222222222"


@pytest.fixture(scope="module")
def source(rds):
    instance = create(rds, "source", DBName="shop", BackupRetentionPeriod=1)
    with connect(instance, dbname="shop") as conn:
        conn.execute("CREATE TABLE orders (id int PRIMARY KEY, item text)")
        conn.execute("INSERT INTO orders VALUES (1, 'book'), (2, 'lamp')")
    return instance


def snapshot_available(rds, identifier: str) -> dict:
    def available():
        snapshot = rds.describe_db_snapshots(DBSnapshotIdentifier=identifier)["DBSnapshots"][0]
        assert snapshot["Status"] != "failed", snapshot
        return snapshot if snapshot["Status"] == "available" else None
    return wait_until(available, timeout=120, what=f"snapshot {identifier} available")


def test_a_copy_of_a_snapshot_is_a_manual_snapshot_of_its_own(rds, source):
    rds.create_db_snapshot(DBInstanceIdentifier="source", DBSnapshotIdentifier="base", Tags=[{"Key": "team", "Value": "db"}])
    base = snapshot_available(rds, "base")
    copy = rds.copy_db_snapshot(SourceDBSnapshotIdentifier="base", TargetDBSnapshotIdentifier="base-copy",
                                CopyTags=True)["DBSnapshot"]
    assert copy["Status"] == "creating" and copy["SourceDBSnapshotIdentifier"] == base["DBSnapshotArn"]
    copy = snapshot_available(rds, "base-copy")
    assert copy["SnapshotType"] == "manual" and copy["TagList"] == [{"Key": "team", "Value": "db"}]
    assert copy["DBInstanceIdentifier"] == "source" and copy["DbiResourceId"] == base["DbiResourceId"]
    assert error_of(rds.copy_db_snapshot, SourceDBSnapshotIdentifier="base", TargetDBSnapshotIdentifier="base-copy")[0] == \
        "DBSnapshotAlreadyExists"
    assert error_of(rds.copy_db_snapshot, SourceDBSnapshotIdentifier="nope", TargetDBSnapshotIdentifier="x") == \
        ("DBSnapshotNotFound", "DBSnapshot nope not found.")
    # The automated snapshot taken at creation can be copied into a manual one, not shared itself.
    automated = wait_until(lambda: rds.describe_db_snapshots(DBInstanceIdentifier="source", SnapshotType="automated")[
        "DBSnapshots"], timeout=120, what="the automated snapshot of the creation backup")[0]  # recorded by the next tick
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier=automated["DBSnapshotIdentifier"], TargetDBSnapshotIdentifier="kept")
    assert snapshot_available(rds, "kept")["SnapshotType"] == "manual"
    assert error_of(rds.modify_db_snapshot_attribute, DBSnapshotIdentifier=automated["DBSnapshotIdentifier"],
                    AttributeName="restore", ValuesToAdd=[FRIEND])[0] == "InvalidParameterValue"


def test_a_snapshot_copied_into_another_region_names_where_it_came_from(shared_cloud, rds, source):
    west = shared_cloud.client("rds", region="us-west-2")
    base_arn = rds.describe_db_snapshots(DBSnapshotIdentifier="base")["DBSnapshots"][0]["DBSnapshotArn"]
    west.copy_db_snapshot(SourceDBSnapshotIdentifier=base_arn, TargetDBSnapshotIdentifier="base-west", SourceRegion="us-east-1")
    copied = snapshot_available(west, "base-west")
    assert copied["SourceRegion"] == "us-east-1" and copied["SourceDBSnapshotIdentifier"] == base_arn
    assert ":us-west-2:" in copied["DBSnapshotArn"]
    # Restoring straight from another region's snapshot is refused: copy it first.
    assert error_of(west.restore_db_instance_from_db_snapshot, DBInstanceIdentifier="x", DBSnapshotIdentifier=base_arn)[0] == \
        "InvalidParameterValue"


def test_a_shared_snapshot_is_restored_by_the_account_it_is_shared_with(shared_cloud, rds, source):
    copy_arn = rds.describe_db_snapshots(DBSnapshotIdentifier="base-copy")["DBSnapshots"][0]["DBSnapshotArn"]
    shared = rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="base-copy", AttributeName="restore",
                                              ValuesToAdd=[FRIEND])["DBSnapshotAttributesResult"]
    assert shared["DBSnapshotAttributes"] == [{"AttributeName": "restore", "AttributeValues": [FRIEND]}]
    assert rds.describe_db_snapshot_attributes(DBSnapshotIdentifier="base-copy")["DBSnapshotAttributesResult"] == shared
    friend, stranger = shared_cloud.client("rds", account=FRIEND), shared_cloud.client("rds", account=STRANGER)
    assert [s["DBSnapshotArn"] for s in friend.describe_db_snapshots(SnapshotType="shared")["DBSnapshots"]] == [copy_arn]
    assert [s["DBSnapshotArn"] for s in friend.describe_db_snapshots(IncludeShared=True)["DBSnapshots"]] == [copy_arn]
    assert stranger.describe_db_snapshots(SnapshotType="shared")["DBSnapshots"] == []
    assert error_of(stranger.restore_db_instance_from_db_snapshot, DBInstanceIdentifier="theirs",
                    DBSnapshotIdentifier=copy_arn)[0] == "DBSnapshotNotFound"
    friend.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="theirs", DBSnapshotIdentifier=copy_arn)
    restored = wait_status(friend, "theirs")
    assert f":{FRIEND}:db:theirs" in restored["DBInstanceArn"]
    with connect(restored, dbname="shop") as conn:  # the source's master user and password came with the data
        assert conn.execute("SELECT item FROM orders ORDER BY id").fetchall() == [("book",), ("lamp",)]
    friend.delete_db_instance(DBInstanceIdentifier="theirs", SkipFinalSnapshot=True)
    # Public: every account sees it with IncludePublic; unsharing takes it back.
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="base-copy", AttributeName="restore", ValuesToAdd=["all"],
                                     ValuesToRemove=[FRIEND])
    assert [s["DBSnapshotArn"] for s in stranger.describe_db_snapshots(SnapshotType="public")["DBSnapshots"]] == [copy_arn]
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="base-copy", AttributeName="restore", ValuesToRemove=["all"])
    assert stranger.describe_db_snapshots(IncludePublic=True)["DBSnapshots"] == []
    assert error_of(rds.modify_db_snapshot_attribute, DBSnapshotIdentifier="base-copy", AttributeName="copy",
                    ValuesToAdd=[FRIEND])[0] == "InvalidParameterValue"
    assert error_of(rds.modify_db_snapshot_attribute, DBSnapshotIdentifier="base-copy", AttributeName="restore",
                    ValuesToAdd=["12345"])[0] == "InvalidParameterValue"


def test_a_snapshot_takes_an_option_group_of_its_engine_and_no_other_version(rds, source):
    major = source["EngineVersion"].split(".")[0]
    rds.create_option_group(OptionGroupName="snap-og", EngineName="postgres", MajorEngineVersion=major, OptionGroupDescription="d")
    assert rds.modify_db_snapshot(DBSnapshotIdentifier="base-copy", OptionGroupName="snap-og")["DBSnapshot"]["OptionGroupName"] == \
        "snap-og"
    assert error_of(rds.delete_option_group, OptionGroupName="snap-og")[0] == "InvalidOptionGroupStateFault"
    assert error_of(rds.modify_db_snapshot, DBSnapshotIdentifier="base-copy", EngineVersion="9.6.1")[0] == "InvalidParameterValue"
    rds.create_option_group(OptionGroupName="old-og", EngineName="postgres", MajorEngineVersion="9", OptionGroupDescription="d")
    assert error_of(rds.modify_db_snapshot, DBSnapshotIdentifier="base-copy", OptionGroupName="old-og")[0] == \
        "InvalidParameterCombination"
    # An instance names one too, instead of its engine's default group.
    default = rds.describe_db_instances(DBInstanceIdentifier="source")["DBInstances"][0]["OptionGroupMemberships"]
    assert default == [{"OptionGroupName": f"default:postgres-{major}", "Status": "in-sync"}]
    modified = rds.modify_db_instance(DBInstanceIdentifier="source", OptionGroupName="snap-og")["DBInstance"]
    assert modified["OptionGroupMemberships"][0]["OptionGroupName"] == "snap-og"
    assert error_of(rds.modify_db_instance, DBInstanceIdentifier="source", OptionGroupName="nope")[0] == "OptionGroupNotFoundFault"


def test_an_instance_takes_iam_roles_for_its_features(shared_cloud, rds, source):
    iam = shared_cloud.client("iam")
    role = rds_role(iam, "rds-s3-import")
    rds.add_role_to_db_instance(DBInstanceIdentifier="source", RoleArn=role, FeatureName="s3Import")
    described = rds.describe_db_instances(DBInstanceIdentifier="source")["DBInstances"][0]
    assert described["AssociatedRoles"] == [{"RoleArn": role, "FeatureName": "s3Import", "Status": "ACTIVE"}]
    assert error_of(rds.add_role_to_db_instance, DBInstanceIdentifier="source", RoleArn=role, FeatureName="s3Import")[0] == \
        "DBInstanceRoleAlreadyExists"
    assert error_of(rds.add_role_to_db_instance, DBInstanceIdentifier="source", RoleArn=role, FeatureName="Teleport")[0] == \
        "InvalidParameterValue"
    assert error_of(rds.add_role_to_db_instance, DBInstanceIdentifier="source", FeatureName="Lambda",
                    RoleArn=role.replace("rds-s3-import", "missing"))[0] == "InvalidParameterValue"
    rds.remove_role_from_db_instance(DBInstanceIdentifier="source", RoleArn=role, FeatureName="s3Import")
    assert error_of(rds.remove_role_from_db_instance, DBInstanceIdentifier="source", RoleArn=role,
                    FeatureName="s3Import")[0] == "DBInstanceRoleNotFound"


def test_what_an_instance_may_become_and_its_maintenance(rds, source):
    valid = rds.describe_valid_db_instance_modifications(DBInstanceIdentifier="source")["ValidDBInstanceModificationsMessage"]
    gp2 = next(s for s in valid["Storage"] if s["StorageType"] == "gp2")
    assert gp2["StorageSize"] == [{"From": 20, "To": 65536, "Step": 1}]
    assert "ProvisionedIops" in next(s for s in valid["Storage"] if s["StorageType"] == "io1")
    assert error_of(rds.describe_valid_db_instance_modifications, DBInstanceIdentifier="nope")[0] == "DBInstanceNotFound"
    arn = source["DBInstanceArn"]
    assert rds.describe_pending_maintenance_actions(ResourceIdentifier=arn)["PendingMaintenanceActions"] == []
    assert error_of(rds.apply_pending_maintenance_action, ResourceIdentifier=arn, ApplyAction="system-update",
                    OptInType="immediate")[0] == "InvalidParameterValue"
    assert error_of(rds.apply_pending_maintenance_action, ResourceIdentifier=arn, ApplyAction="system-update",
                    OptInType="someday")[0] == "InvalidParameterValue"
    assert error_of(rds.describe_pending_maintenance_actions, ResourceIdentifier=arn.replace(":source", ":gone"))[0] == \
        "ResourceNotFoundFault"


def test_retained_automated_backups_outlive_the_instance_and_restore_it(rds, source):
    resource_id = source["DbiResourceId"]
    assert error_of(rds.delete_db_instance_automated_backup, DbiResourceId=resource_id)[0] == \
        "InvalidDBInstanceAutomatedBackupState"
    rds.delete_db_instance(DBInstanceIdentifier="source", SkipFinalSnapshot=True, DeleteAutomatedBackups=False)

    def retained():
        rows = rds.describe_db_instance_automated_backups(DbiResourceId=resource_id)["DBInstanceAutomatedBackups"]
        return rows if rows and rows[0]["Status"] == "retained" else None
    [backup] = wait_until(retained, timeout=120, what="the retained automated backup")
    assert backup["DBInstanceIdentifier"] == "source" and "RestoreWindow" in backup
    rds.restore_db_instance_to_point_in_time(SourceDbiResourceId=resource_id, TargetDBInstanceIdentifier="again",
                                             UseLatestRestorableTime=True)
    again = wait_status(rds, "again", timeout=180)
    with connect(again, dbname="shop") as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (2,)
    deleted = rds.delete_db_instance_automated_backup(DbiResourceId=resource_id)["DBInstanceAutomatedBackup"]
    assert deleted["Status"] == "deleting"
    assert rds.describe_db_instance_automated_backups(DbiResourceId=resource_id)["DBInstanceAutomatedBackups"] == []
    assert error_of(rds.delete_db_instance_automated_backup, DbiResourceId=resource_id)[0] == "DBInstanceAutomatedBackupNotFound"


def test_the_instance_serves_tls_under_the_ca_describe_certificates_describes(shared_cloud, rds):
    instance = rds.describe_db_instances(DBInstanceIdentifier="again")["DBInstances"][0]
    assert instance["CACertificateIdentifier"] == rds.describe_certificates()["Certificates"][0]["CertificateIdentifier"]
    ca = ca_directory(Path(shared_cloud.get("/_regionbox/status")["state_dir"])) / "ca.pem"
    endpoint = instance["Endpoint"]
    with psycopg.connect(host=endpoint["Address"], port=endpoint["Port"], user="app", password=PASSWORD, dbname="shop",
                         sslmode="verify-full", sslrootcert=str(ca), connect_timeout=10) as conn:
        assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone() == (True,)
        thumbprint = hashlib.sha1(ssl.PEM_cert_to_DER_cert(ca.read_text())).hexdigest()
        assert rds.describe_certificates()["Certificates"][0]["Thumbprint"] == thumbprint
