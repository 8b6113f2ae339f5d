"""A Multi-AZ PostgreSQL instance, the user's story: create it, use it with psycopg and psql, change
its parameters and password, fail it over (forced, then by an AZ outage) without losing a committed
row, read the story in DescribeEvents, delete it. One instance for the module (the machine is small).

The tests are chapters of one story, each starting where the one before left the instance: the
module runs on one xdist worker, in order (`--dist loadscope`, the README's test command)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from regionbox.engines import kinds
from tests.services.rds.helpers import PASSWORD, connect, create, error_of, wait_status, wait_until

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")


@pytest.fixture(scope="module")
def rds(regionbox_session):
    regionbox_session.reset()
    yield regionbox_session.client("rds")
    regionbox_session.reset()


@pytest.fixture(scope="module")
def instance(rds):
    described = create(rds, "app", MultiAZ=True, DBName="shop")
    return described


def test_an_instance_is_available_with_its_endpoint_zones_and_resource_id(rds, instance):
    assert instance["Engine"] == "postgres" and instance["EngineVersion"] == kinds.postgres_version()
    assert instance["MultiAZ"] is True and instance["AvailabilityZone"] != instance["SecondaryAvailabilityZone"]
    assert instance["Endpoint"]["Port"] == 5432 and instance["Endpoint"]["Address"].startswith("127.")
    assert instance["DbiResourceId"].startswith("db-") and len(instance["DbiResourceId"]) == 29
    assert instance["DBParameterGroups"][0]["DBParameterGroupName"] == f"default.postgres{instance['EngineVersion'].split('.')[0]}"
    assert instance["DBSubnetGroup"]["DBSubnetGroupName"] == "default" and len(instance["DBSubnetGroup"]["Subnets"]) >= 2


def test_the_master_user_reaches_the_endpoint_with_psycopg_and_psql(instance):
    with connect(instance, dbname="shop") as conn:
        conn.execute("CREATE TABLE orders (id serial PRIMARY KEY, item text)")
        conn.execute("INSERT INTO orders (item) VALUES ('book')")
        assert conn.execute("SELECT current_user, current_database()").fetchone() == ("app", "shop")
        # SCRAM: the server stored a SCRAM verifier, and a wrong password is refused.
        assert conn.execute("SHOW password_encryption").fetchone() == ("scram-sha-256",)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(instance, password="wrong-password")
    psql = os.path.join(str(kinds.postgres_bindir()), "psql")
    out = subprocess.run([psql, "-h", instance["Endpoint"]["Address"], "-p", "5432", "-U", "app", "-d", "shop", "-tAc",
                          "SELECT item FROM orders"], env={**os.environ, "PGPASSWORD": PASSWORD}, capture_output=True, text=True,
                         timeout=30)
    assert out.stdout.strip() == "book", out.stderr


def test_the_servers_log_is_a_db_log_file(rds, instance):
    files = rds.describe_db_log_files(DBInstanceIdentifier="app")["DescribeDBLogFiles"]
    assert [f["LogFileName"] for f in files] == ["error/postgresql.log"] and files[0]["Size"] > 0
    text, marker, pending = "", "0", True
    while pending:
        portion = rds.download_db_log_file_portion(DBInstanceIdentifier="app", LogFileName="error/postgresql.log",
                                                   Marker=marker, NumberOfLines=500)
        text, marker, pending = text + portion["LogFileData"], portion["Marker"], portion["AdditionalDataPending"]
    # The failed login of the test before, in PostgreSQL's words, with RDS's line prefix.
    assert 'password authentication failed for user "app"' in text
    assert error_of(rds.download_db_log_file_portion, DBInstanceIdentifier="app", LogFileName="error/nope.log")[0] == \
        "DBLogFileNotFoundFault"


def test_bad_input_gets_rds_errors(rds, instance):
    base = dict(Engine="postgres", MasterUsername="app", MasterUserPassword=PASSWORD, AllocatedStorage=20,
                DBInstanceClass="db.t4g.micro")
    create_db = rds.create_db_instance
    assert error_of(create_db, DBInstanceIdentifier="app", **base) == ("DBInstanceAlreadyExists", "DB instance already exists")
    assert error_of(create_db, DBInstanceIdentifier="x", **{**base, "MonitoringInterval": 5}) == (
        "InvalidParameterCombination", "A MonitoringRoleARN value is required if you specify a MonitoringInterval value other than 0.")
    assert error_of(create_db, DBInstanceIdentifier="x", **{**base, "MasterUserPassword": "short"}) == (
        "InvalidParameterValue", "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.")
    assert error_of(create_db, DBInstanceIdentifier="x", **{**base, "AllocatedStorage": 5}) == (
        "InvalidParameterValue", "Invalid storage size for engine name postgres and storage type gp2: 5")
    assert error_of(create_db, DBInstanceIdentifier="x", **{**base, "MasterUsername": "rdsadmin"}) == (
        "InvalidParameterValue", "MasterUsername rdsadmin cannot be used as it is a reserved word used by the engine")
    assert error_of(create_db, DBInstanceIdentifier="1bad--name", **base)[0] == "InvalidParameterValue"
    assert error_of(create_db, DBInstanceIdentifier="x", **{**base, "MonitoringInterval": 2, "MonitoringRoleArn": "arn:aws:iam::000000000000:role/em"})[0] == "InvalidParameterValue"
    assert error_of(rds.describe_db_instances, DBInstanceIdentifier="nope") == ("DBInstanceNotFound", "DBInstance nope not found.")
    assert error_of(rds.delete_db_instance, DBInstanceIdentifier="app") == (
        "InvalidParameterCombination", "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
    single = rds.describe_db_instances(DBInstanceIdentifier="app")["DBInstances"][0]
    assert single["DBInstanceStatus"] == "available"
    assert error_of(rds.create_db_cluster, DBClusterIdentifier="c", Engine="aurora-postgresql") == (
        "InvalidParameterValue", "The parameter MasterUsername must be provided and must not be blank.")


def test_a_parameter_group_change_reaches_the_server(rds, instance):
    rds.create_db_parameter_group(DBParameterGroupName="tuned", DBParameterGroupFamily=f"postgres{instance['EngineVersion'].split('.')[0]}",
                                  Description="tuned")
    params = {p["ParameterName"]: p for p in rds.describe_db_parameters(DBParameterGroupName="tuned", MaxRecords=100)["Parameters"]}
    assert params  # the server's own parameters
    rds.modify_db_instance(DBInstanceIdentifier="app", DBParameterGroupName="tuned", ApplyImmediately=True)
    rds.modify_db_parameter_group(DBParameterGroupName="tuned", Parameters=[
        {"ParameterName": "work_mem", "ParameterValue": "8192", "ApplyMethod": "immediate"}])
    with connect(instance) as conn:
        wait_until(lambda: conn.execute("SHOW work_mem").fetchone()[0] == "8MB", what="work_mem reloaded")
    assert rds.describe_db_instances(DBInstanceIdentifier="app")["DBInstances"][0]["DBParameterGroups"][0] == {
        "DBParameterGroupName": "tuned", "ParameterApplyStatus": "pending-reboot"}
    code, _ = error_of(rds.delete_db_parameter_group, DBParameterGroupName="tuned")
    assert code == "InvalidDBParameterGroupState"
    # A static parameter waits for the reboot, which applies it.
    assert error_of(rds.modify_db_parameter_group, DBParameterGroupName="tuned", Parameters=[
        {"ParameterName": "max_connections", "ParameterValue": "150", "ApplyMethod": "immediate"}])[0] == "InvalidParameterValue"
    rds.modify_db_parameter_group(DBParameterGroupName="tuned", Parameters=[
        {"ParameterName": "max_connections", "ParameterValue": "150", "ApplyMethod": "pending-reboot"}])
    with connect(instance) as conn:
        assert conn.execute("SHOW max_connections").fetchone() == ("100",)
    rds.reboot_db_instance(DBInstanceIdentifier="app")
    rebooted = wait_status(rds, "app")
    assert rebooted["DBParameterGroups"][0]["ParameterApplyStatus"] == "in-sync"
    with connect(instance) as conn:
        assert conn.execute("SHOW max_connections").fetchone() == ("150",)
    assert "DB instance restarted" in [e["Message"] for e in rds.describe_events(SourceType="db-instance")["Events"]]


def test_a_new_master_password_takes_effect(rds, instance):
    rds.modify_db_instance(DBInstanceIdentifier="app", MasterUserPassword="an0ther-Passw0rd", ApplyImmediately=True)
    wait_status(rds, "app")
    with connect(instance, password="an0ther-Passw0rd") as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    rds.modify_db_instance(DBInstanceIdentifier="app", MasterUserPassword=PASSWORD, ApplyImmediately=True)
    wait_status(rds, "app")


def committed_rows(instance, start: int, count: int) -> list[int]:
    """Insert rows one transaction each; the ids whose COMMIT returned."""
    done = []
    with connect(instance, dbname="shop") as conn:
        for number in range(start, start + count):
            conn.execute("INSERT INTO orders (id, item) VALUES (%s, 'x')", (number,))
            done.append(number)
    return done


def test_a_forced_failover_promotes_the_standby_and_the_endpoint_follows(rds, instance):
    before = rds.describe_db_instances(DBInstanceIdentifier="app")["DBInstances"][0]
    committed = committed_rows(instance, 1000, 50)
    rds.reboot_db_instance(DBInstanceIdentifier="app", ForceFailover=True)
    after = wait_status(rds, "app")
    assert after["AvailabilityZone"] == before["SecondaryAvailabilityZone"]
    assert after["Endpoint"] == before["Endpoint"]
    with connect(after, dbname="shop") as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        stored = {row[0] for row in conn.execute("SELECT id FROM orders WHERE id >= 1000")}
    assert set(committed) <= stored
    messages = [e["Message"] for e in rds.describe_events(SourceType="db-instance", SourceIdentifier="app")["Events"]]
    assert "Multi-AZ instance failover started." in messages and "Multi-AZ instance failover completed." in messages
    # The new standby comes back in another AZ, streaming synchronously.
    wait_until(lambda: rds.describe_db_instances(DBInstanceIdentifier="app")["DBInstances"][0].get("SecondaryAvailabilityZone"),
               what="a new standby")
    with connect(after) as conn:
        wait_until(lambda: conn.execute("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'").fetchone()[0] == 1,
                   what="the standby streaming synchronously")


def test_the_primary_keeps_committing_while_the_standbys_zone_is_out(rds, instance, regionbox_session):
    before = rds.describe_db_instances(DBInstanceIdentifier="app")["DBInstances"][0]
    with connect(before) as conn:
        wait_until(lambda: conn.execute("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'").fetchone()[0] == 1,
                   what="the standby streaming synchronously")
    zone = before["SecondaryAvailabilityZone"]
    regionbox_session.post(f"/_regionbox/az/{zone}/outage")
    try:
        # Commits no longer wait for a standby that is gone (RDS's primary keeps serving).
        assert committed_rows(instance, 3000, 20) == list(range(3000, 3020))
    finally:
        regionbox_session.post(f"/_regionbox/az/{zone}/restore")
    with connect(before) as conn:
        wait_until(lambda: conn.execute("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'").fetchone()[0] == 1,
                   what="the standby back, streaming synchronously")
    assert rds.describe_db_instances(DBInstanceIdentifier="app")["DBInstances"][0]["SecondaryAvailabilityZone"] == zone


class Writer(threading.Thread):
    """Inserts one row per transaction through the endpoint, reconnecting when the server goes away;
    a row counts as committed once its COMMIT returned."""

    def __init__(self, instance: dict, start: int) -> None:
        super().__init__(daemon=True)
        self.instance, self.next, self.committed, self.stopping = instance, start, [], threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                with connect(self.instance, dbname="shop") as conn:
                    while not self.stopping.is_set():
                        conn.execute("INSERT INTO orders (id, item) VALUES (%s, 'load')", (self.next,))
                        self.committed.append(self.next)
                        self.next += 1
            except psycopg.Error:
                self.next += 1  # that row's fate is unknown: never reuse its id
                time.sleep(0.05)


def test_an_outage_of_the_primarys_zone_fails_over_under_write_load_without_losing_commits(rds, instance, regionbox_session):
    before = rds.describe_db_instances(DBInstanceIdentifier="app")["DBInstances"][0]
    with connect(before) as conn:
        wait_until(lambda: conn.execute("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'").fetchone()[0] == 1,
                   what="the standby streaming synchronously")
    writer = Writer(before, 100000)
    writer.start()
    wait_until(lambda: len(writer.committed) >= 50, what="writes before the outage")
    zone = before["AvailabilityZone"]
    regionbox_session.post(f"/_regionbox/az/{zone}/outage")
    try:
        def moved():
            described = rds.describe_db_instances(DBInstanceIdentifier="app")["DBInstances"][0]
            return described if described["AvailabilityZone"] != zone and described["DBInstanceStatus"] == "available" else None
        after = wait_until(moved, what="the failover")
        done_before = len(writer.committed)
        wait_until(lambda: len(writer.committed) >= done_before + 50, what="writes on the new primary")
    finally:
        writer.stopping.set()
        writer.join(10)
        regionbox_session.post(f"/_regionbox/az/{zone}/restore")
    assert after["Endpoint"] == before["Endpoint"]
    with connect(after, dbname="shop") as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM orders WHERE id >= 100000")}
    assert set(writer.committed) <= stored


def test_a_read_replica_follows_its_source_across_a_failover_and_is_promoted(rds, instance):
    source = wait_status(rds, "app")
    rds.create_db_instance_read_replica(DBInstanceIdentifier="app-reader", SourceDBInstanceIdentifier="app")
    replica = wait_status(rds, "app-reader")
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == "app"
    assert rds.describe_db_instances(DBInstanceIdentifier="app")["DBInstances"][0]["ReadReplicaDBInstanceIdentifiers"] == ["app-reader"]
    assert replica["Endpoint"]["Address"] != source["Endpoint"]["Address"]

    def replicated(number: int):
        def seen():
            with connect(replica, dbname="shop") as conn:
                return conn.execute("SELECT 1 FROM orders WHERE id = %s", (number,)).fetchone()
        return seen
    committed_rows(source, 5000, 1)
    wait_until(replicated(5000), what="the row on the replica")
    with connect(replica, dbname="shop") as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("INSERT INTO orders (id, item) VALUES (5999, 'no')")
    rds.reboot_db_instance(DBInstanceIdentifier="app", ForceFailover=True)
    wait_status(rds, "app")
    committed_rows(source, 5001, 1)
    wait_until(replicated(5001), what="the replica streaming from the new primary")
    rds.promote_read_replica(DBInstanceIdentifier="app-reader")
    promoted = wait_status(rds, "app-reader")
    assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
    assert committed_rows(promoted, 6000, 1) == [6000]
    assert rds.describe_db_instances(DBInstanceIdentifier="app")["DBInstances"][0]["ReadReplicaDBInstanceIdentifiers"] == []
    rds.delete_db_instance(DBInstanceIdentifier="app-reader", SkipFinalSnapshot=True)


def test_a_point_in_time_restore_replays_the_wal_archive_up_to_that_moment(rds, instance):
    source = wait_status(rds, "app")
    assert "LatestRestorableTime" in source
    committed_rows(source, 7000, 3)
    with connect(source) as conn:
        moment = conn.execute("SELECT now()").fetchone()[0]  # the server's clock, after those commits
    wait_until(lambda: datetime.now(timezone.utc) > moment + timedelta(seconds=1), what="a second later")
    committed_rows(source, 7100, 3)
    rds.restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier="app", TargetDBInstanceIdentifier="app-then",
                                             RestoreTime=moment)
    rds.restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier="app", TargetDBInstanceIdentifier="app-now",
                                             UseLatestRestorableTime=True)
    then, now = wait_status(rds, "app-then"), wait_status(rds, "app-now")
    with connect(then, dbname="shop") as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM orders WHERE id BETWEEN 7000 AND 7999 ORDER BY id")] == [7000, 7001, 7002]
    with connect(now, dbname="shop") as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM orders WHERE id BETWEEN 7000 AND 7999 ORDER BY id")] == [
            7000, 7001, 7002, 7100, 7101, 7102]
    backups = rds.describe_db_instance_automated_backups(DBInstanceIdentifier="app")["DBInstanceAutomatedBackups"]
    assert backups[0]["RestoreWindow"]["EarliestTime"] < moment
    assert error_of(rds.restore_db_instance_to_point_in_time, SourceDBInstanceIdentifier="app",
                    TargetDBInstanceIdentifier="x", RestoreTime=moment, UseLatestRestorableTime=True)[0] == "InvalidParameterCombination"
    for identifier in ("app-then", "app-now"):
        rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)


def test_single_az_then_stopped_and_started_keeps_its_data(rds, instance):
    wait_status(rds, "app")
    changed = rds.modify_db_instance(DBInstanceIdentifier="app", MultiAZ=False)["DBInstance"]
    assert changed["PendingModifiedValues"] == {"MultiAZ": False} and changed["MultiAZ"] is True  # waits for the window
    rds.modify_db_instance(DBInstanceIdentifier="app", MultiAZ=False, ApplyImmediately=True)
    single = wait_status(rds, "app")
    assert single["MultiAZ"] is False and "SecondaryAvailabilityZone" not in single and single["PendingModifiedValues"] == {}
    messages = [e["Message"] for e in rds.describe_events(SourceType="db-instance", SourceIdentifier="app")["Events"]]
    assert "Finished applying modification to convert to a standard (Single-AZ) DB instance." in messages
    rds.stop_db_instance(DBInstanceIdentifier="app")
    wait_status(rds, "app", "stopped")
    assert error_of(rds.reboot_db_instance, DBInstanceIdentifier="app") == ("InvalidDBInstanceState",
                                                                          "Instance app is not in available state.")
    rds.start_db_instance(DBInstanceIdentifier="app")
    started = wait_status(rds, "app")
    with connect(started, dbname="shop") as conn:
        assert conn.execute("SELECT item FROM orders WHERE item = 'book'").fetchone() == ("book",)


def test_a_snapshot_restores_into_a_new_instance_with_the_data_and_tags_by_arn(rds, instance):
    current = wait_status(rds, "app")
    rds.create_db_snapshot(DBSnapshotIdentifier="app-snap", DBInstanceIdentifier="app", Tags=[{"Key": "team", "Value": "shop"}])
    wait_until(lambda: rds.describe_db_snapshots(DBSnapshotIdentifier="app-snap")["DBSnapshots"][0]["Status"] == "available",
               what="the snapshot")
    wait_status(rds, "app")
    rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="app-copy", DBSnapshotIdentifier="app-snap")
    copy = wait_status(rds, "app-copy")
    assert copy["Endpoint"]["Address"] != current["Endpoint"]["Address"] and copy["MasterUsername"] == "app"
    with connect(copy, dbname="shop") as conn:
        assert conn.execute("SELECT item FROM orders WHERE item = 'book'").fetchone() == ("book",)
    arn = copy["DBInstanceArn"]
    rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "env", "Value": "test"}])
    assert rds.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "env", "Value": "test"}]
    rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["env"])
    assert rds.list_tags_for_resource(ResourceName=arn)["TagList"] == []
    snapshot_arn = rds.describe_db_snapshots(DBSnapshotIdentifier="app-snap")["DBSnapshots"][0]["DBSnapshotArn"]
    assert rds.list_tags_for_resource(ResourceName=snapshot_arn)["TagList"] == [{"Key": "team", "Value": "shop"}]
    assert error_of(rds.list_tags_for_resource, ResourceName=arn.replace("app-copy", "gone")) == (
        "DBInstanceNotFound", "DBInstance gone not found.")
    rds.delete_db_instance(DBInstanceIdentifier="app-copy", SkipFinalSnapshot=True)
    rds.delete_db_snapshot(DBSnapshotIdentifier="app-snap")


def test_engine_versions_and_orderable_options_name_the_installed_server(rds):
    versions = rds.describe_db_engine_versions(Engine="postgres")["DBEngineVersions"]
    assert [v["EngineVersion"] for v in versions] == [kinds.postgres_version()]
    assert rds.describe_db_engine_versions(Engine="mysql")["DBEngineVersions"] == []
    options = rds.describe_orderable_db_instance_options(Engine="postgres", DBInstanceClass="db.t4g.micro")
    assert options["OrderableDBInstanceOptions"][0]["MultiAZCapable"] is True


def test_deleting_with_a_final_snapshot_keeps_a_snapshot(rds, instance):
    rds.delete_db_instance(DBInstanceIdentifier="app", FinalDBSnapshotIdentifier="app-final")
    wait_until(lambda: not rds.describe_db_instances()["DBInstances"], what="the deletion")
    snapshot = rds.describe_db_snapshots(DBSnapshotIdentifier="app-final")["DBSnapshots"][0]
    assert snapshot["Status"] == "available" and snapshot["DBInstanceIdentifier"] == "app"
    messages = [e["Message"] for e in rds.describe_events(SourceType="db-instance", SourceIdentifier="app")["Events"]]
    assert messages[-1] == "DB instance deleted"
