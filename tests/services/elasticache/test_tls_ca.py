"""`regionbox elasticache ca-cert` prints the local CA, and a TLS client that trusts exactly that
PEM (and nothing else) verifies the nodes, hostname included; a client trusting another CA is refused."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys

import pytest
import redis

from regionbox.core.tls import LocalCA
from tests.services.elasticache.redis_helpers import ca_cert, create_group, describe, members


def tls_client(endpoint: dict, ca_file, **kwargs) -> redis.Redis:
    return redis.Redis(host=endpoint["Address"], port=endpoint["Port"], ssl=True, ssl_ca_certs=str(ca_file),
                       ssl_cert_reqs="required", ssl_check_hostname=True, socket_timeout=5, **kwargs)


def test_a_tls_client_verifies_the_nodes_with_the_printed_certificate(cloud, tmp_path):
    pem = ca_cert("--endpoint", cloud.endpoint)
    assert pem.startswith("-----BEGIN CERTIFICATE-----\n") and pem.rstrip().endswith("-----END CERTIFICATE-----")
    assert pem.count("BEGIN CERTIFICATE") == 1
    # `regionbox status` says where it is and how to print it.
    status = subprocess.run([sys.executable, "-m", "regionbox", "status", "--endpoint", cloud.endpoint], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "COLUMNS": "400"}).stdout  # a table row on one line
    assert "regionbox ca-cert" in status
    # The same certificate from the state directory, without asking the cloud.
    assert ca_cert("--state-dir", str(cloud.cloud.state_dir)) == pem
    ca_file = tmp_path / "regionbox-ca.pem"
    ca_file.write_text(pem)

    ec = cloud.client("elasticache")
    create_group(ec, "tls-ca", NumCacheClusters=2, TransitEncryptionEnabled=True, AuthToken="tls-ca-token-0123456789")
    group = describe(ec, "tls-ca")
    node_group = group["NodeGroups"][0]
    endpoints = [node_group["PrimaryEndpoint"], node_group["ReaderEndpoint"]] + [m["ReadEndpoint"] for m in members(group)]
    writer = tls_client(node_group["PrimaryEndpoint"], ca_file, password="tls-ca-token-0123456789")
    assert writer.set("secret", "kept")
    for endpoint in endpoints:
        assert tls_client(endpoint, ca_file, password="tls-ca-token-0123456789").ping()

    # Verification is real: a CA the nodes were not signed by is refused during the handshake.
    stranger = LocalCA(tmp_path / "stranger").ensure()
    with pytest.raises(redis.exceptions.ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        tls_client(node_group["PrimaryEndpoint"], stranger, password="tls-ca-token-0123456789").ping()
    # Plain ssl with the printed PEM as the only trust anchor works too (what redis-cli --cacert does).
    context = ssl.create_default_context(cafile=str(ca_file))
    address = node_group["PrimaryEndpoint"]["Address"]
    with socket.create_connection((address, node_group["PrimaryEndpoint"]["Port"]), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=address) as sock:
            assert sock.version() in ("TLSv1.2", "TLSv1.3")


def test_without_a_running_cloud_it_says_how_to_start_one():
    result = subprocess.run([sys.executable, "-m", "regionbox", "elasticache", "ca-cert", "--endpoint", "http://127.0.0.1:9"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "regionbox up" in result.stdout


def test_redis_cluster_over_tls_verifies_every_node_with_the_printed_certificate(cloud, tmp_path):
    from redis.cluster import RedisCluster

    ca_file = tmp_path / "regionbox-ca.pem"
    ca_file.write_text(ca_cert("--endpoint", cloud.endpoint))
    ec = cloud.client("elasticache")
    create_group(ec, "tls-shards", NumNodeGroups=2, ReplicasPerNodeGroup=1, ClusterMode="enabled", TransitEncryptionEnabled=True,
                 AuthToken="tls-shards-token-0123456")
    endpoint = describe(ec, "tls-shards")["ConfigurationEndpoint"]
    # Discovery through the configuration endpoint, then every node it names, all verified with hostnames.
    cluster = RedisCluster(host=endpoint["Address"], port=endpoint["Port"], ssl=True, ssl_ca_certs=str(ca_file),
                           ssl_cert_reqs="required", ssl_check_hostname=True, password="tls-shards-token-0123456",
                           socket_timeout=5)
    for i in range(100):
        cluster.set(f"k{i}", i)
    assert all(cluster.get(f"k{i}") == str(i).encode() for i in range(100))
    assert len(cluster.get_primaries()) == 2


def test_the_certificate_printed_before_the_first_start_is_the_one_the_cloud_uses(tmp_path):
    from regionbox.testing.process import CloudProcess

    state = tmp_path / "state"
    before = ca_cert("--state-dir", str(state))  # clients can be configured before the cloud ever runs
    process = CloudProcess(state_dir=state).start()
    try:
        assert ca_cert("--endpoint", process.endpoint) == before
        process.kill9()
        process.start()
        assert ca_cert("--endpoint", process.endpoint) == before  # the same across restarts
    finally:
        process.cleanup()
