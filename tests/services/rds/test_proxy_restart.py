"""kill -9 of regionbox with an RDS Proxy in front of an instance: the restarted cloud listens on
the proxy's endpoint again, and clients reach the instance through it as before."""

from __future__ import annotations

import psycopg
import pytest

from regionbox.engines import kinds
from regionbox.testing import CloudProcess
from tests.services.rds.helpers import PASSWORD, create, rds_role, wait_status, wait_until

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")


def query_through(address: str):
    try:
        with psycopg.connect(host=address, port=5432, user="app", password=PASSWORD, dbname="postgres", autocommit=True,
                             connect_timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM kept").fetchone()
    except psycopg.OperationalError:
        return None


def test_a_proxy_serves_again_after_kill_9_of_regionbox(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        rds, ec2, iam = process.client("rds"), process.client("ec2"), process.client("iam")
        create(rds, "durable", BackupRetentionPeriod=0)
        subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]]
        role = rds_role(iam, "proxy-role")
        endpoint = rds.create_db_proxy(DBProxyName="front", EngineFamily="POSTGRESQL", RoleArn=role,
                                       VpcSubnetIds=subnets)["DBProxy"]["Endpoint"]
        rds.register_db_proxy_targets(DBProxyName="front", DBInstanceIdentifiers=["durable"])
        wait_until(lambda: rds.describe_db_proxies(DBProxyName="front")["DBProxies"][0]["Status"] == "available",
                   what="the proxy available")
        with psycopg.connect(host=endpoint, port=5432, user="app", password=PASSWORD, dbname="postgres", autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (n int)")
            conn.execute("INSERT INTO kept SELECT generate_series(1, 10)")
        process.kill9()
        process.start()
        rds = process.client("rds")
        wait_status(rds, "durable")
        assert wait_until(lambda: query_through(endpoint), timeout=60, what="the proxy serving again") == (10,)
        [target] = rds.describe_db_proxy_targets(DBProxyName="front")["Targets"]
        assert target["TargetHealth"]["State"] == "AVAILABLE"
    finally:
        process.cleanup()
