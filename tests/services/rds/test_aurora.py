"""An Aurora PostgreSQL cluster, the user's story: a cluster parameter group, the cluster, its
writer and one reader; writes through the cluster endpoint, reads through the reader endpoint;
a failover under a stream of commits that loses none; a snapshot shared with another account and
restored there; stop, start; deleting the instances, then the cluster with a final snapshot.

Chapters of one story on one cluster (two PostgreSQL servers, three while the restored one runs):
the module runs in order on one xdist worker (``--dist loadscope``)."""

from __future__ import annotations

import threading
import time

import botocore.exceptions
import psycopg
import pytest

from regionbox.engines import kinds
from tests.services.rds.helpers import PASSWORD, wait_cluster, wait_status, wait_until

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")
OTHER_ACCOUNT = "222233334444"


@pytest.fixture(scope="module")
def cloud(regionbox_session):
    regionbox_session.reset()
    yield regionbox_session
    regionbox_session.reset()


@pytest.fixture(scope="module")
def rds(cloud):
    return cloud.client("rds")


def error_of(call, **params) -> tuple[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def connect(address: str, dbname: str = "shop", port: int = 5432) -> psycopg.Connection:
    return psycopg.connect(host=address, port=port, user="app", password=PASSWORD, dbname=dbname, autocommit=True,
                           connect_timeout=5)


def rows(conn: psycopg.Connection, query: str) -> list | None:
    """The rows of a query on a reader, None while the table has not reached it."""
    try:
        return conn.execute(query).fetchall()
    except psycopg.errors.UndefinedTable:
        return None


@pytest.fixture(scope="module")
def cluster(rds):
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="tuned", DBParameterGroupFamily=
                                          f"aurora-postgresql{kinds.postgres_version().split('.')[0]}", Description="tuned")
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="tuned", Parameters=[
        {"ParameterName": "work_mem", "ParameterValue": "8192", "ApplyMethod": "immediate"}])
    created = rds.create_db_cluster(DBClusterIdentifier="aurora", Engine="aurora-postgresql", MasterUsername="app",
                                    MasterUserPassword=PASSWORD, DatabaseName="shop", DBClusterParameterGroupName="tuned",
                                    DeletionProtection=True)["DBCluster"]
    assert created["Status"] == "creating"
    wait_cluster(rds, "aurora")
    for name in ("aurora-1", "aurora-2"):
        rds.create_db_instance(DBInstanceIdentifier=name, DBClusterIdentifier="aurora", Engine="aurora-postgresql",
                               DBInstanceClass="db.r6g.large")
    for name in ("aurora-1", "aurora-2"):
        wait_status(rds, name)
    return wait_cluster(rds, "aurora")


def test_the_cluster_has_a_writer_a_reader_and_two_endpoints(rds, cluster):
    assert cluster["Engine"] == "aurora-postgresql" and cluster["DBClusterParameterGroup"] == "tuned"
    assert cluster["DbClusterResourceId"].startswith("cluster-") and cluster["DatabaseName"] == "shop"
    assert cluster["Endpoint"].startswith("127.") and cluster["ReaderEndpoint"].startswith("127.")
    assert cluster["Endpoint"] != cluster["ReaderEndpoint"]
    assert [(m["DBInstanceIdentifier"], m["IsClusterWriter"]) for m in cluster["DBClusterMembers"]] == \
        [("aurora-1", True), ("aurora-2", False)]
    instance = rds.describe_db_instances(DBInstanceIdentifier="aurora-2")["DBInstances"][0]
    assert instance["DBClusterIdentifier"] == "aurora" and instance["Engine"] == "aurora-postgresql"
    filtered = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": ["aurora"]}])["DBInstances"]
    assert sorted(i["DBInstanceIdentifier"] for i in filtered) == ["aurora-1", "aurora-2"]
    rds.add_tags_to_resource(ResourceName=cluster["DBClusterArn"], Tags=[{"Key": "team", "Value": "shop"}])
    assert rds.list_tags_for_resource(ResourceName=cluster["DBClusterArn"])["TagList"] == [{"Key": "team", "Value": "shop"}]
    assert rds.describe_db_clusters(DBClusterIdentifier=cluster["DBClusterArn"])["DBClusters"][0]["TagList"] == \
        [{"Key": "team", "Value": "shop"}]


def test_writes_go_through_the_writer_endpoint_and_reads_through_the_reader_endpoint(cluster):
    with connect(cluster["Endpoint"]) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        conn.execute("CREATE TABLE orders (id int PRIMARY KEY, item text)")
        conn.execute("INSERT INTO orders VALUES (1, 'book')")
    with connect(cluster["ReaderEndpoint"]) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        wait_until(lambda: rows(conn, "SELECT count(*) FROM orders") == [(1,)], what="the row on the reader")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO orders VALUES (2, 'pen')")


def test_the_cluster_parameter_group_is_on_every_member(rds, cluster):
    for address in (cluster["Endpoint"], cluster["ReaderEndpoint"]):
        with connect(address) as conn:
            assert conn.execute("SHOW work_mem").fetchone() == ("8MB",)
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="tuned", Parameters=[
        {"ParameterName": "work_mem", "ParameterValue": "16384", "ApplyMethod": "immediate"}])
    with connect(cluster["Endpoint"]) as conn:
        wait_until(lambda: conn.execute("SHOW work_mem").fetchone() == ("16MB",), what="the new work_mem")
    parameters = rds.describe_db_cluster_parameters(DBClusterParameterGroupName="tuned", Source="user")["Parameters"]
    assert [(p["ParameterName"], p["ParameterValue"]) for p in parameters] == [("work_mem", "16384")]
    defaults = rds.describe_engine_default_cluster_parameters(DBParameterGroupFamily="aurora-postgresql" +
                                                              kinds.postgres_version().split(".")[0])["EngineDefaults"]
    assert any(p["ParameterName"] == "autovacuum" for p in defaults["Parameters"]) and "Marker" in defaults
    assert error_of(rds.describe_db_cluster_parameters, DBClusterParameterGroupName="nope") == \
        ("DBClusterParameterGroupNotFound", "DBClusterParameterGroup not found: nope")
    assert error_of(rds.delete_db_cluster_parameter_group, DBClusterParameterGroupName="tuned")[0] == "InvalidDBParameterGroupState"
    copied = rds.copy_db_cluster_parameter_group(SourceDBClusterParameterGroupIdentifier="tuned",
                                                 TargetDBClusterParameterGroupIdentifier="tuned-copy",
                                                 TargetDBClusterParameterGroupDescription="copy")["DBClusterParameterGroup"]
    assert copied["DBClusterParameterGroupArn"].endswith(":cluster-pg:tuned-copy")
    rds.reset_db_cluster_parameter_group(DBClusterParameterGroupName="tuned-copy", ResetAllParameters=True)
    assert rds.describe_db_cluster_parameters(DBClusterParameterGroupName="tuned-copy", Source="user")["Parameters"] == []
    rds.delete_db_cluster_parameter_group(DBClusterParameterGroupName="tuned-copy")
    names = [g["DBClusterParameterGroupName"] for g in rds.describe_db_cluster_parameter_groups()["DBClusterParameterGroups"]]
    assert "tuned" in names and "tuned-copy" not in names


def test_a_static_cluster_parameter_waits_for_reboot_db_cluster(rds, cluster):
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="tuned", Parameters=[
        {"ParameterName": "max_files_per_process", "ParameterValue": "900", "ApplyMethod": "pending-reboot"}])
    wait_until(lambda: {m["DBClusterParameterGroupStatus"] for m in
                        rds.describe_db_clusters(DBClusterIdentifier="aurora")["DBClusters"][0]["DBClusterMembers"]} ==
               {"pending-reboot"}, what="pending-reboot on every member")
    assert rds.reboot_db_cluster(DBClusterIdentifier="aurora")["DBCluster"]["Status"] == "rebooting"
    after = wait_cluster(rds, "aurora")
    assert {m["DBClusterParameterGroupStatus"] for m in after["DBClusterMembers"]} == {"in-sync"}
    for address in (cluster["Endpoint"], cluster["ReaderEndpoint"]):
        with connect(address) as conn:
            assert conn.execute("SHOW max_files_per_process").fetchone() == ("900",)


def test_errors_in_aws_words(rds, cluster):
    assert error_of(rds.describe_db_clusters, DBClusterIdentifier="nope") == ("DBClusterNotFoundFault", "DBCluster nope not found.")
    assert error_of(rds.create_db_cluster, DBClusterIdentifier="aurora", Engine="aurora-postgresql", MasterUsername="app",
                    MasterUserPassword=PASSWORD) == ("DBClusterAlreadyExistsFault", "DB Cluster already exists")
    assert error_of(rds.delete_db_cluster, DBClusterIdentifier="aurora", SkipFinalSnapshot=True) == \
        ("InvalidParameterCombination", "Cannot delete protected Cluster, please disable deletion protection and try again.")
    rds.modify_db_cluster(DBClusterIdentifier="aurora", DeletionProtection=False)
    assert error_of(rds.delete_db_cluster, DBClusterIdentifier="aurora", SkipFinalSnapshot=True) == \
        ("InvalidDBClusterStateFault", "Cluster cannot be deleted, it still contains DB instances in non-deleting state.")
    code, message = error_of(rds.create_db_instance, DBInstanceIdentifier="aurora-x", DBClusterIdentifier="aurora",
                             Engine="postgres", DBInstanceClass="db.r6g.large")
    assert code == "InvalidParameterCombination" and "doesn't match the engine name of your DB cluster" in message
    assert error_of(rds.create_db_instance, DBInstanceIdentifier="x", DBClusterIdentifier="nope", Engine="aurora-postgresql",
                    DBInstanceClass="db.r6g.large")[0] == "DBClusterNotFoundFault"
    assert error_of(rds.failover_db_cluster, DBClusterIdentifier="aurora", TargetDBInstanceIdentifier="aurora-1")[0] == \
        "InvalidDBInstanceState"
    assert error_of(rds.stop_db_instance, DBInstanceIdentifier="aurora-2") == \
        ("InvalidParameterCombination", "aurora-postgresql DB instances are not eligible for stopping and starting.")
    assert error_of(rds.modify_db_instance, DBInstanceIdentifier="aurora-2", MultiAZ=True)[0] == "InvalidParameterCombination"
    assert error_of(rds.create_db_instance_read_replica, DBInstanceIdentifier="r", SourceDBInstanceIdentifier="aurora-1")[0] == \
        "InvalidParameterCombination"


def test_a_failover_under_a_stream_of_commits_loses_none(rds, cluster):
    committed: list[int] = []
    stop = threading.Event()
    first_write_after: list[float] = []

    def writer() -> None:
        n, conn = 1000, None
        while not stop.is_set():
            try:
                if conn is None:
                    conn = connect(cluster["Endpoint"])
                n += 1  # a commit whose answer was lost may be there or not: the next one takes a new id
                conn.execute("INSERT INTO orders VALUES (%s, 'x')", (n,))
                committed.append(n)
            except psycopg.Error:
                conn = None
                time.sleep(0.02)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        wait_until(lambda: len(committed) > 20, what="commits before the failover")
        started = time.monotonic()
        before = len(committed)
        answer = rds.failover_db_cluster(DBClusterIdentifier="aurora", TargetDBInstanceIdentifier="aurora-2")["DBCluster"]
        assert answer["Status"] == "failing-over"
        after = wait_cluster(rds, "aurora")
        writers = {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in after["DBClusterMembers"]}
        assert writers == {"aurora-1": False, "aurora-2": True}
        wait_until(lambda: len(committed) > before + 20, what="commits after the failover")
        first_write_after.append(time.monotonic() - started)
    finally:
        stop.set()
        thread.join()
    print(f"failover -> writes flowing again through the writer endpoint: {first_write_after[0]:.2f} s")
    with connect(cluster["Endpoint"]) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        stored = {row[0] for row in conn.execute("SELECT id FROM orders WHERE id >= 1000")}
    assert set(committed) <= stored  # every acknowledged commit is on the new writer
    # The old writer follows the new one as a reader; the reader endpoint reaches it.
    wait_status(rds, "aurora-1")
    with connect(cluster["ReaderEndpoint"]) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        wait_until(lambda: conn.execute("SELECT count(*) FROM orders WHERE id >= 1000").fetchone()[0] >= len(committed),
                   what="the old writer caught up")
    messages = [e["Message"] for e in rds.describe_events(SourceType="db-cluster", SourceIdentifier="aurora")["Events"]]
    assert "Completed failover to DB instance: aurora-2" in messages


def test_an_outage_of_the_writers_zone_promotes_the_reader_and_the_old_writer_rejoins(cloud, rds, cluster):
    before = {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in wait_cluster(rds, "aurora")["DBClusterMembers"]}
    writer = next(name for name, is_writer in before.items() if is_writer)
    reader = next(name for name, is_writer in before.items() if not is_writer)
    zone = rds.describe_db_instances(DBInstanceIdentifier=writer)["DBInstances"][0]["AvailabilityZone"]
    cloud.post(f"/_regionbox/az/{zone}/outage")
    try:
        wait_until(lambda: {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in
                            rds.describe_db_clusters(DBClusterIdentifier="aurora")["DBClusters"][0]["DBClusterMembers"]}[reader],
                   what="the reader promoted")
        wait_cluster(rds, "aurora")

        def write() -> bool:
            try:
                with connect(cluster["Endpoint"]) as conn:
                    conn.execute("INSERT INTO orders VALUES (5000, 'after the outage')")
                return True
            except psycopg.Error:
                return False
        wait_until(write, what="a write through the writer endpoint")
    finally:
        cloud.post(f"/_regionbox/az/{zone}/restore")
    wait_until(lambda: rds.describe_db_instances(DBInstanceIdentifier=writer)["DBInstances"][0]["DBInstanceStatus"] == "available",
               what="the old writer back", timeout=120)
    with connect(rds.describe_db_instances(DBInstanceIdentifier=writer)["DBInstances"][0]["Endpoint"]["Address"]) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        wait_until(lambda: rows(conn, "SELECT item FROM orders WHERE id = 5000") == [("after the outage",)],
                   what="the old writer streaming from the new one")


def test_a_custom_endpoint_reaches_the_members_it_selects(rds, cluster):
    members = {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in wait_cluster(rds, "aurora")["DBClusterMembers"]}
    writer = next(name for name, is_writer in members.items() if is_writer)
    created = rds.create_db_cluster_endpoint(DBClusterIdentifier="aurora", DBClusterEndpointIdentifier="pinned",
                                             EndpointType="ANY", StaticMembers=[writer])
    assert created["EndpointType"] == "CUSTOM" and created["CustomEndpointType"] == "ANY" and created["StaticMembers"] == [writer]
    with connect(created["Endpoint"]) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
    rds.modify_db_cluster_endpoint(DBClusterEndpointIdentifier="pinned", EndpointType="READER", StaticMembers=[])
    with connect(created["Endpoint"]) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
    listed = rds.describe_db_cluster_endpoints(DBClusterIdentifier="aurora")["DBClusterEndpoints"]
    assert sorted(e["EndpointType"] for e in listed) == ["CUSTOM", "READER", "WRITER"]
    assert rds.describe_db_clusters(DBClusterIdentifier="aurora")["DBClusters"][0]["CustomEndpoints"] == [created["Endpoint"]]
    assert error_of(rds.create_db_cluster_endpoint, DBClusterIdentifier="aurora", DBClusterEndpointIdentifier="pinned",
                    EndpointType="ANY") == ("DBClusterEndpointAlreadyExistsFault", "DBClusterEndpoint pinned already exists.")
    assert rds.delete_db_cluster_endpoint(DBClusterEndpointIdentifier="pinned")["Status"] == "deleting"
    assert error_of(rds.delete_db_cluster_endpoint, DBClusterEndpointIdentifier="pinned") == \
        ("DBClusterEndpointNotFoundFault", "DBClusterEndpoint pinned not found.")
    with pytest.raises(psycopg.OperationalError):
        connect(created["Endpoint"])


def test_a_snapshot_shared_with_another_account_is_restored_there(cloud, rds, cluster):
    rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="aurora-snap", DBClusterIdentifier="aurora")
    wait_until(lambda: rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="aurora-snap")["DBClusterSnapshots"][0]
               ["Status"] == "available", what="the snapshot")
    snapshot = rds.describe_db_cluster_snapshots(DBClusterIdentifier="aurora")["DBClusterSnapshots"][0]
    assert snapshot["Engine"] == "aurora-postgresql" and snapshot["SnapshotType"] == "manual"
    other = cloud.client("rds", account=OTHER_ACCOUNT)
    restore = dict(DBClusterIdentifier="restored", SnapshotIdentifier=snapshot["DBClusterSnapshotArn"], Engine="aurora-postgresql")
    assert error_of(other.restore_db_cluster_from_snapshot, **restore)[0] == "DBClusterSnapshotNotFoundFault"
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="aurora-snap", AttributeName="restore",
                                             ValuesToAdd=[OTHER_ACCOUNT])
    attributes = rds.describe_db_cluster_snapshot_attributes(DBClusterSnapshotIdentifier="aurora-snap")
    assert attributes["DBClusterSnapshotAttributesResult"]["DBClusterSnapshotAttributes"] == \
        [{"AttributeName": "restore", "AttributeValues": [OTHER_ACCOUNT]}]
    shared = other.describe_db_cluster_snapshots(SnapshotType="shared", IncludeShared=True)["DBClusterSnapshots"]
    assert [s["DBClusterSnapshotArn"] for s in shared] == [snapshot["DBClusterSnapshotArn"]]
    other.restore_db_cluster_from_snapshot(**restore)
    restored = wait_cluster(other, "restored")
    assert restored["MasterUsername"] == "app" and restored["DBClusterMembers"] == []
    other.create_db_instance(DBInstanceIdentifier="restored-1", DBClusterIdentifier="restored", Engine="aurora-postgresql",
                             DBInstanceClass="db.r6g.large")
    wait_status(other, "restored-1")
    with connect(restored["Endpoint"]) as conn:
        assert conn.execute("SELECT item FROM orders WHERE id = 1").fetchone() == ("book",)
    other.delete_db_instance(DBInstanceIdentifier="restored-1")
    wait_until(lambda: not other.describe_db_instances()["DBInstances"], what="the restored instance gone")
    other.delete_db_cluster(DBClusterIdentifier="restored", SkipFinalSnapshot=True)
    wait_until(lambda: not other.describe_db_clusters()["DBClusters"], what="the restored cluster gone")
    copied = rds.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier="aurora-snap",
                                          TargetDBClusterSnapshotIdentifier="aurora-snap-copy")["DBClusterSnapshot"]
    assert copied["SourceDBClusterSnapshotArn"] == snapshot["DBClusterSnapshotArn"]
    assert error_of(rds.create_db_cluster_snapshot, DBClusterSnapshotIdentifier="aurora-snap", DBClusterIdentifier="aurora")[0] == \
        "DBClusterSnapshotAlreadyExistsFault"
    wait_until(lambda: rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="aurora-snap-copy")["DBClusterSnapshots"][0]
               ["Status"] == "available", what="the copy")
    rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier="aurora-snap-copy")
    assert error_of(rds.delete_db_cluster_snapshot, DBClusterSnapshotIdentifier="aurora-snap-copy") == \
        ("DBClusterSnapshotNotFoundFault", "DBClusterSnapshot aurora-snap-copy not found.")


def test_stop_and_start_the_cluster(rds, cluster):
    assert rds.stop_db_cluster(DBClusterIdentifier="aurora")["DBCluster"]["Status"] == "stopping"
    wait_cluster(rds, "aurora", "stopped")
    assert wait_status(rds, "aurora-1", "stopped")["DBInstanceStatus"] == "stopped"
    with pytest.raises(psycopg.OperationalError):
        connect(cluster["Endpoint"])
    assert error_of(rds.failover_db_cluster, DBClusterIdentifier="aurora")[0] == "InvalidDBClusterStateFault"
    rds.start_db_cluster(DBClusterIdentifier="aurora")
    wait_cluster(rds, "aurora")
    with connect(cluster["Endpoint"]) as conn:
        assert conn.execute("SELECT item FROM orders WHERE id = 1").fetchone() == ("book",)
    with connect(cluster["ReaderEndpoint"]) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)


def test_deleting_the_instances_then_the_cluster_leaves_a_final_snapshot(rds, cluster):
    # The writer goes first: the reader is promoted, and the data stays with the cluster.
    writer = next(m["DBInstanceIdentifier"] for m in wait_cluster(rds, "aurora")["DBClusterMembers"] if m["IsClusterWriter"])
    rds.delete_db_instance(DBInstanceIdentifier=writer)
    wait_until(lambda: len(rds.describe_db_clusters(DBClusterIdentifier="aurora")["DBClusters"][0]["DBClusterMembers"]) == 1,
               what="one member left")
    remaining = rds.describe_db_clusters(DBClusterIdentifier="aurora")["DBClusters"][0]["DBClusterMembers"][0]
    assert remaining["IsClusterWriter"] is True
    with connect(cluster["Endpoint"]) as conn:
        wait_until(lambda: conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,), what="the promoted writer")
        conn.execute("INSERT INTO orders VALUES (2, 'pen')")
    rds.delete_db_instance(DBInstanceIdentifier=remaining["DBInstanceIdentifier"])
    wait_until(lambda: not rds.describe_db_instances()["DBInstances"], what="no instance left")
    assert error_of(rds.delete_db_cluster, DBClusterIdentifier="aurora") == \
        ("InvalidParameterCombination", "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
    assert rds.delete_db_cluster(DBClusterIdentifier="aurora", FinalDBSnapshotIdentifier="aurora-final")["DBCluster"]["Status"] == \
        "deleting"
    wait_until(lambda: not rds.describe_db_clusters()["DBClusters"], what="the cluster gone")
    final = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="aurora-final")["DBClusterSnapshots"][0]
    assert final["Status"] == "available" and final["DBClusterIdentifier"] == "aurora"
