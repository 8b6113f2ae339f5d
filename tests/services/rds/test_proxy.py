"""RDS Proxy in front of a real PostgreSQL instance, the user's story: create the proxy, find it has
no target, register the instance, reach the database through the proxy's endpoint with psycopg,
require TLS, run out of the pool's connections, be dropped when idle, add an endpoint, take the
target away and delete the proxy. One instance for the module, chapters in order."""

from __future__ import annotations

import socket
import struct

import botocore.exceptions

import psycopg
import pytest

from regionbox.engines import kinds
from tests.services.rds.helpers import PASSWORD, create, error_of, rds_role, wait_until

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")


@pytest.fixture(scope="module")
def instance(rds):
    return create(rds, "behind", DBName="shop", BackupRetentionPeriod=0)


@pytest.fixture(scope="module")
def setup(shared_cloud):
    ec2, iam = shared_cloud.client("ec2"), shared_cloud.client("iam")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]]
    return {"subnets": subnets, "role": rds_role(iam, "proxy-role")}


def through(address: str, **extra) -> psycopg.Connection:
    return psycopg.connect(host=address, port=5432, user="app", password=PASSWORD, dbname="shop", autocommit=True,
                           connect_timeout=10, **extra)


def proxy_available(rds, name: str = "front") -> dict:
    return wait_until(lambda: next((p for p in rds.describe_db_proxies(DBProxyName=name)["DBProxies"]
                                    if p["Status"] == "available"), None), timeout=60, what=f"proxy {name} available")


def test_a_proxy_without_a_target_refuses_clients_in_postgresqls_words(rds, instance, setup):
    created = rds.create_db_proxy(DBProxyName="front", EngineFamily="POSTGRESQL", RoleArn=setup["role"],
                                  VpcSubnetIds=setup["subnets"], Auth=[{"AuthScheme": "SECRETS", "IAMAuth": "DISABLED",
                                  "SecretArn": "arn:aws:secretsmanager:us-east-1:000000000000:secret:app-AbCdEf"}])["DBProxy"]
    assert created["Status"] == "creating" and created["EngineFamily"] == "POSTGRESQL" and created["IdleClientTimeout"] == 1800
    proxy = proxy_available(rds)
    assert proxy["Endpoint"].startswith("127.") and proxy["DBProxyArn"].split(":")[5] == "db-proxy"
    [group] = rds.describe_db_proxy_target_groups(DBProxyName="front")["TargetGroups"]
    assert group["TargetGroupName"] == "default" and group["IsDefault"] is True
    assert group["ConnectionPoolConfig"]["MaxConnectionsPercent"] == 100
    assert rds.describe_db_proxy_targets(DBProxyName="front")["Targets"] == []
    with pytest.raises(psycopg.OperationalError, match="has no available target"):
        through(proxy["Endpoint"])
    assert error_of(rds.create_db_proxy, DBProxyName="front", EngineFamily="POSTGRESQL", RoleArn=setup["role"],
                    VpcSubnetIds=setup["subnets"])[0] == "DBProxyAlreadyExistsFault"
    assert error_of(rds.create_db_proxy, DBProxyName="my", EngineFamily="MYSQL", RoleArn=setup["role"],
                    VpcSubnetIds=setup["subnets"])[0] == "InvalidParameterValue"
    assert error_of(rds.create_db_proxy, DBProxyName="lone", EngineFamily="POSTGRESQL", RoleArn=setup["role"],
                    VpcSubnetIds=setup["subnets"][:1])[0] == "InvalidParameterValue"
    assert error_of(rds.create_db_proxy, DBProxyName="norole", EngineFamily="POSTGRESQL", VpcSubnetIds=setup["subnets"],
                    RoleArn=setup["role"].replace("proxy-role", "missing"))[0] == "InvalidParameterValue"


def test_the_instance_is_reached_through_the_proxy(rds, instance):
    registered = rds.register_db_proxy_targets(DBProxyName="front", DBInstanceIdentifiers=["behind"])["DBProxyTargets"]
    assert registered[0]["RdsResourceId"] == "behind" and registered[0]["TargetHealth"]["State"] == "REGISTERING"
    [target] = rds.describe_db_proxy_targets(DBProxyName="front")["Targets"]
    assert target["TargetHealth"] == {"State": "AVAILABLE"} and target["Endpoint"] == instance["Endpoint"]["Address"]
    assert error_of(rds.register_db_proxy_targets, DBProxyName="front", DBInstanceIdentifiers=["behind"])[0] == \
        "DBProxyTargetAlreadyRegisteredFault"
    assert error_of(rds.register_db_proxy_targets, DBProxyName="front", DBInstanceIdentifiers=["nope"])[0] == "DBInstanceNotFound"
    proxy = rds.describe_db_proxies(DBProxyName="front")["DBProxies"][0]
    with through(proxy["Endpoint"]) as conn:
        conn.execute("CREATE TABLE visits (n int)")
        conn.execute("INSERT INTO visits VALUES (1)")
        # The session is the instance's server's: its address is the instance's endpoint.
        assert conn.execute("SELECT host(inet_server_addr()), count(*) FROM visits GROUP BY 1").fetchone() == \
            (instance["Endpoint"]["Address"], 1)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(host=proxy["Endpoint"], port=5432, user="app", password="wrong-password", dbname="shop",
                        connect_timeout=10)


def test_a_proxy_that_requires_tls_refuses_clients_in_the_clear(rds):
    proxy = rds.modify_db_proxy(DBProxyName="front", RequireTLS=True)["DBProxy"]
    assert proxy["RequireTLS"] is True
    with pytest.raises(psycopg.OperationalError, match="requires TLS"):
        through(proxy["Endpoint"], sslmode="disable")
    with through(proxy["Endpoint"], sslmode="require") as conn:
        assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone() == (True,)
    rds.modify_db_proxy(DBProxyName="front", RequireTLS=False)


def test_the_pool_caps_the_database_connections_the_proxy_holds(rds):
    endpoint = rds.describe_db_proxies(DBProxyName="front")["DBProxies"][0]["Endpoint"]
    # By default all of max_connections (100): clients at once each get theirs.
    clients = [through(endpoint) for _ in range(3)]
    assert [c.execute("SELECT 1").fetchone() for c in clients] == [(1,)] * 3
    for client in clients:
        client.close()
    # 1 % of max_connections (100) is one connection; a second client waits a second, then is refused.
    group = rds.modify_db_proxy_target_group(DBProxyName="front", TargetGroupName="default", ConnectionPoolConfig={
        "MaxConnectionsPercent": 1, "MaxIdleConnectionsPercent": 0, "ConnectionBorrowTimeout": 1})["DBProxyTargetGroup"]
    assert group["ConnectionPoolConfig"]["MaxConnectionsPercent"] == 1
    with through(endpoint) as first:
        with pytest.raises(psycopg.OperationalError, match="Timed-out waiting to acquire database connection"):
            through(endpoint)
        first.execute("SELECT 1")
    with through(endpoint) as second:  # the first one's connection is free again
        assert second.execute("SELECT 1").fetchone() == (1,)
    assert error_of(rds.modify_db_proxy_target_group, DBProxyName="front", TargetGroupName="default",
                    ConnectionPoolConfig={"MaxConnectionsPercent": 0})[0] == "InvalidParameterValue"
    rds.modify_db_proxy_target_group(DBProxyName="front", TargetGroupName="default",
                                     ConnectionPoolConfig={"MaxConnectionsPercent": 100, "ConnectionBorrowTimeout": 120})


def test_an_idle_client_is_disconnected_after_the_idle_timeout(rds):
    proxy = rds.modify_db_proxy(DBProxyName="front", IdleClientTimeout=1)["DBProxy"]
    with socket.create_connection((proxy["Endpoint"], 5432), timeout=60) as raw:
        raw.sendall(struct.pack("!II", 8, 80877103))  # SSLRequest: relayed to the server, which answers S
        assert raw.recv(1) == b"S"
        assert raw.recv(1) == b""  # then nothing more is said, and the proxy hangs up
    rds.modify_db_proxy(DBProxyName="front", IdleClientTimeout=1800)


def test_an_additional_endpoint_reaches_the_same_target(rds, setup):
    assert error_of(rds.create_db_proxy_endpoint, DBProxyName="front", DBProxyEndpointName="ro",
                    VpcSubnetIds=setup["subnets"], TargetRole="READ_ONLY")[0] == "InvalidParameterCombination"
    created = rds.create_db_proxy_endpoint(DBProxyName="front", DBProxyEndpointName="app-rw",
                                           VpcSubnetIds=setup["subnets"])["DBProxyEndpoint"]
    assert created["IsDefault"] is False and created["TargetRole"] == "READ_WRITE"
    endpoint = wait_until(lambda: next((e for e in rds.describe_db_proxy_endpoints(DBProxyEndpointName="app-rw")[
        "DBProxyEndpoints"] if e["Status"] == "available"), None), timeout=60, what="the endpoint available")
    listed = rds.describe_db_proxy_endpoints(DBProxyName="front")["DBProxyEndpoints"]
    assert [e["DBProxyEndpointName"] for e in listed] == ["default", "app-rw"] and listed[0]["IsDefault"] is True
    with through(endpoint["Endpoint"]) as conn:
        assert conn.execute("SELECT count(*) FROM visits").fetchone() == (1,)
    renamed = rds.modify_db_proxy_endpoint(DBProxyEndpointName="app-rw", NewDBProxyEndpointName="app")["DBProxyEndpoint"]
    assert renamed["DBProxyEndpointName"] == "app" and renamed["Endpoint"] == endpoint["Endpoint"]
    assert rds.delete_db_proxy_endpoint(DBProxyEndpointName="app")["DBProxyEndpoint"]["Status"] == "deleting"
    assert error_of(rds.describe_db_proxy_endpoints, DBProxyEndpointName="app")[0] == "DBProxyEndpointNotFoundFault"


def test_a_proxy_without_its_target_and_then_without_itself(rds):
    endpoint = rds.describe_db_proxies(DBProxyName="front")["DBProxies"][0]["Endpoint"]
    rds.deregister_db_proxy_targets(DBProxyName="front", DBInstanceIdentifiers=["behind"])
    assert rds.describe_db_proxy_targets(DBProxyName="front")["Targets"] == []
    assert error_of(rds.deregister_db_proxy_targets, DBProxyName="front", DBInstanceIdentifiers=["behind"])[0] == \
        "DBProxyTargetNotFoundFault"
    assert rds.delete_db_proxy(DBProxyName="front")["DBProxy"]["Status"] == "deleting"

    def gone():
        try:
            rds.describe_db_proxies(DBProxyName="front")
        except botocore.exceptions.ClientError as error:
            return error.response["Error"]["Code"] == "DBProxyNotFoundFault"
        return False
    wait_until(gone, timeout=60, what="the proxy deleted")
    with pytest.raises(OSError):
        socket.create_connection((endpoint, 5432), timeout=5).close()
