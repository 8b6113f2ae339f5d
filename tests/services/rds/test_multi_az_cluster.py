"""A Multi-AZ DB cluster (engine postgres with DBClusterInstanceClass): RDS makes its writer and
two readers in three AZs; its endpoints come back after kill -9 of regionbox with every committed
row; deleting the cluster deletes its instances."""

from __future__ import annotations

import pytest

from regionbox.engines import kinds
from regionbox.testing import CloudProcess
from tests.services.rds.helpers import wait_cluster, wait_until
from tests.services.rds.test_aurora import connect, error_of, rows

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")


def test_a_multi_az_db_cluster_survives_kill_9_of_regionbox(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        rds = process.client("rds")
        assert error_of(rds.create_db_cluster, DBClusterIdentifier="maz", Engine="postgres", MasterUsername="app",
                        MasterUserPassword="s3cret-Passw0rd", AllocatedStorage=100, StorageType="io1", Iops=1000)[0] == \
            "InvalidParameterCombination"
        rds.create_db_cluster(DBClusterIdentifier="maz", Engine="postgres", MasterUsername="app", MasterUserPassword="s3cret-Passw0rd",
                              DatabaseName="shop", DBClusterInstanceClass="db.m6gd.large", AllocatedStorage=100, StorageType="io1",
                              Iops=1000)
        cluster = wait_cluster(rds, "maz")
        members = {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in cluster["DBClusterMembers"]}
        assert members == {"maz-instance-1": True, "maz-instance-2": False, "maz-instance-3": False}
        instances = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": ["maz"]}])["DBInstances"]
        assert len({i["AvailabilityZone"] for i in instances}) == 3 and cluster["MultiAZ"] is True
        assert cluster["DBClusterInstanceClass"] == "db.m6gd.large" and cluster["StorageType"] == "io1"
        assert error_of(rds.delete_db_instance, DBInstanceIdentifier="maz-instance-2", SkipFinalSnapshot=True)[0] == \
            "InvalidParameterCombination"
        assert error_of(rds.create_db_instance, DBInstanceIdentifier="maz-instance-4", DBClusterIdentifier="maz",
                        Engine="postgres", DBInstanceClass="db.m6gd.large") == \
            ("InvalidParameterCombination", "Cannot add a DB instance to a Multi-AZ DB cluster.")
        with connect(cluster["Endpoint"]) as conn:
            conn.execute("CREATE TABLE kept (n int)")
            conn.execute("INSERT INTO kept SELECT generate_series(1, 100)")
        process.kill9()
        process.start()
        rds = process.client("rds")
        cluster = wait_cluster(rds, "maz")
        with connect(cluster["Endpoint"]) as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (100,)
            conn.execute("INSERT INTO kept SELECT generate_series(101, 200)")
        for _ in range(2):  # both readers, one connection after the other
            with connect(cluster["ReaderEndpoint"]) as conn:
                assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
                wait_until(lambda: rows(conn, "SELECT count(*) FROM kept") == [(200,)], what="the rows on the reader")
        rds.delete_db_cluster(DBClusterIdentifier="maz", SkipFinalSnapshot=True)
        wait_until(lambda: not rds.describe_db_clusters()["DBClusters"] and not rds.describe_db_instances()["DBInstances"],
                   what="the cluster and its instances gone", timeout=120)
    finally:
        process.cleanup()
