"""A DAX cluster outlives regionbox: after kill -9 the clusters, their nodes and addresses are
all there and the nodes listen again (the TLS cluster under the local CA, on 9111); `regionbox
status` lists each node with its state; the AWS CLI drives the control plane as against AWS."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from regionbox.testing import CloudProcess
from tests.services.dax.helpers import ACCOUNT, accepts, available, dax_role
from tests.services.test_cli_aws import aws


@pytest.fixture
def process(tmp_path):
    running = CloudProcess(state_dir=tmp_path / "state").start()
    yield running
    running.stop()


def tls_handshake(address: str, port: int, ca: Path) -> str:
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = False  # the node's certificate names its IP addresses; checked below
    with socket.create_connection((address, port), timeout=5) as raw:
        with context.wrap_socket(raw) as tls:
            names = [value for kind, value in tls.getpeercert()["subjectAltName"] if kind == "IP Address"]
            assert address in names
            return tls.version()


def test_clusters_and_their_nodes_survive_kill_9(process):
    dax = process.client("dax", account=ACCOUNT)
    role = dax_role(process)
    dax.create_cluster(ClusterName="plain", NodeType="dax.r5.large", ReplicationFactor=2, IamRoleArn=role)
    dax.create_cluster(ClusterName="secure", NodeType="dax.r5.large", ReplicationFactor=1, IamRoleArn=role,
                       ClusterEndpointEncryptionType="TLS", SSESpecification={"Enabled": True})
    plain, secure = available(dax, "plain"), available(dax, "secure")
    assert secure["ClusterEndpointEncryptionType"] == "TLS" and secure["SSEDescription"] == {"Status": "ENABLED"}
    discovery = secure["ClusterDiscoveryEndpoint"]
    assert discovery["Port"] == 9111 and discovery["URL"] == f"daxs://{discovery['Address']}"
    ca = process.state_dir / "tls" / "ca.pem"
    node = secure["Nodes"][0]["Endpoint"]
    assert node["Port"] == 9111 and tls_handshake(node["Address"], 9111, ca)
    assert tls_handshake(discovery["Address"], 9111, ca)

    status = subprocess.run([sys.executable, "-m", "regionbox", "status", "--endpoint", process.endpoint],
                            capture_output=True, text=True, timeout=60)
    assert "dax plain/plain-a" in status.stdout and "available primary" in status.stdout

    process.kill9()
    process.start()
    dax = process.client("dax", account=ACCOUNT)
    again = available(dax, "plain")
    assert [(n["NodeId"], n["Endpoint"], n["AvailabilityZone"]) for n in again["Nodes"]] == [
        (n["NodeId"], n["Endpoint"], n["AvailabilityZone"]) for n in plain["Nodes"]]
    assert again["ClusterDiscoveryEndpoint"] == plain["ClusterDiscoveryEndpoint"]
    assert all(accepts(n["Endpoint"]["Address"], n["Endpoint"]["Port"]) for n in again["Nodes"])
    assert tls_handshake(node["Address"], 9111, ca)
    assert dax.list_tags(ResourceName=again["ClusterArn"])["Tags"] == []


def test_the_aws_cli_creates_describes_and_deletes_a_cluster(cloud):
    role = dax_role(cloud)
    created = json.loads(aws(cloud, "dax", "create-cluster", "--cluster-name", "cli", "--node-type", "dax.r5.large",
                             "--replication-factor", "3", "--iam-role-arn", role, "--subnet-group-name", "default",
                             "--sse-specification", "Enabled=true").stdout)["Cluster"]
    assert created["Status"] == "creating" and created["SSEDescription"] == {"Status": "ENABLED"}
    cluster = available(cloud.client("dax", account=ACCOUNT), "cli")
    listed = json.loads(aws(cloud, "dax", "describe-clusters", "--cluster-names", "cli").stdout)["Clusters"][0]
    assert listed["ClusterDiscoveryEndpoint"] == cluster["ClusterDiscoveryEndpoint"]
    assert len(listed["Nodes"]) == 3
    defaults = json.loads(aws(cloud, "dax", "describe-default-parameters").stdout)["Parameters"]
    assert [p["ParameterName"] for p in defaults] == ["query-ttl-millis", "record-ttl-millis"]
    missing = aws(cloud, "dax", "describe-clusters", "--cluster-names", "ghost", check=False)
    assert missing.returncode != 0
    assert "An error occurred (ClusterNotFoundFault) when calling the DescribeClusters operation: Cluster ghost not " \
           "found." in missing.stderr
    deleted = json.loads(aws(cloud, "dax", "delete-cluster", "--cluster-name", "cli").stdout)["Cluster"]
    assert deleted["Status"] == "deleting"


def test_every_operation_of_the_model_is_served(cloud):
    coverage = cloud.get("/_regionbox/coverage")["services"]["dax"]
    assert len(coverage["implemented"]) == 21 and coverage["not_implemented"] == {}
