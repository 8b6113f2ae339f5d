"""A server survives what AWS's would: an outage of one of its AZs leaves its endpoints in the
others serving (and the lost one comes back with the zone), and a kill -9 of regionbox loses no
server, user or key: the server is ONLINE again on the same addresses with the same host key."""

from __future__ import annotations

import json
import re
import socket
import urllib.request

import pytest

from regionbox.testing import CloudProcess
from tests.services.transfer.helpers import ACCOUNT, TRUST, ALL_S3, endpoints, key_pair, online, role, sftp, sftp_server


def _post(cloud, path: str) -> dict:
    request = urllib.request.Request(cloud.endpoint + path, data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _reachable(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=2) as sock:
            return sock.recv(64).startswith(b"SSH-2.0-AWS_SFTP")
    except OSError:
        return False


def test_an_az_outage_leaves_the_server_reachable_in_its_other_zones(cloud, tmp_path):
    transfer, s3 = cloud.client("transfer", account=ACCOUNT), cloud.client("s3", account=ACCOUNT)
    s3.create_bucket(Bucket="inbox")
    subnets = cloud.client("ec2", account=ACCOUNT).describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][:2]
    server_id = sftp_server(cloud, EndpointType="VPC", EndpointDetails={
        "VpcId": subnets[0]["VpcId"], "SubnetIds": [s["SubnetId"] for s in subnets]})
    key, public = key_pair(tmp_path)
    transfer.create_user(ServerId=server_id, UserName="ann", Role=role(cloud), HomeDirectory="/inbox",
                         SshPublicKeyBody=public)
    first, second = endpoints(cloud, server_id)
    assert {first.zone, second.zone} == {s["AvailabilityZone"] for s in subnets} and first.address != second.address
    local = tmp_path / "f.txt"
    local.write_bytes(b"before")
    assert sftp(key, "ann", first.address, first.sftp_port, f"put {local}\n").returncode == 0

    with socket.create_connection((first.address, first.sftp_port), timeout=5) as held:
        held.recv(64)
        _post(cloud, f"/_regionbox/az/{first.zone}/outage")
        held.settimeout(5)
        try:
            dropped = held.recv(64) == b""
        except OSError:
            dropped = True
        assert dropped  # the outage cut the open connection
    try:
        assert not _reachable(first.address, first.sftp_port)
        assert sftp(key, "ann", second.address, second.sftp_port, f"get f.txt {tmp_path}/back.txt\n").returncode == 0
        assert (tmp_path / "back.txt").read_bytes() == b"before"
        assert transfer.describe_server(ServerId=server_id)["Server"]["State"] == "ONLINE"
    finally:
        _post(cloud, f"/_regionbox/az/{first.zone}/restore")
    assert _reachable(first.address, first.sftp_port)


def test_stopping_a_server_closes_its_listeners(cloud):
    transfer = cloud.client("transfer", account=ACCOUNT)
    server_id = sftp_server(cloud)
    where = endpoints(cloud, server_id)
    assert all(_reachable(e.address, e.sftp_port) for e in where)
    transfer.stop_server(ServerId=server_id)
    transfer.get_waiter("server_offline").wait(ServerId=server_id, WaiterConfig={"Delay": 0.2})
    assert not any(_reachable(e.address, e.sftp_port) for e in where)
    transfer.start_server(ServerId=server_id)
    online(transfer, server_id)
    assert [(e.address, e.sftp_port) for e in endpoints(cloud, server_id)] == [(e.address, e.sftp_port) for e in where]
    assert all(_reachable(e.address, e.sftp_port) for e in where)


def _status_endpoints(process, server_id: str) -> list[tuple[str, int]]:
    """Where a server listens, read from `regionbox status`'s report."""
    line = process.get("/_regionbox/status")["engines"][f"transfer {server_id}"]
    return [(address, int(port)) for address, port in re.findall(r"(\d+\.\d+\.\d+\.\d+) sftp:(\d+)", line)]


@pytest.mark.timeout(300)
def test_servers_and_users_survive_kill_9(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        transfer, s3, iam = (process.client(name, account=ACCOUNT) for name in ("transfer", "s3", "iam"))
        s3.create_bucket(Bucket="inbox")
        arn = iam.create_role(RoleName="sftp", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        iam.put_role_policy(RoleName="sftp", PolicyName="s3", PolicyDocument=json.dumps(ALL_S3))
        server_id = transfer.create_server()["ServerId"]
        online(transfer, server_id)
        stopped = transfer.create_server()["ServerId"]
        online(transfer, stopped)
        transfer.stop_server(ServerId=stopped)
        transfer.get_waiter("server_offline").wait(ServerId=stopped, WaiterConfig={"Delay": 0.2})
        key, public = key_pair(tmp_path)
        transfer.create_user(ServerId=server_id, UserName="ann", Role=arn, HomeDirectory="/inbox", SshPublicKeyBody=public)
        fingerprint = transfer.describe_server(ServerId=server_id)["Server"]["HostKeyFingerprint"]
        before = _status_endpoints(process, server_id)
        local = tmp_path / "f.txt"
        local.write_bytes(b"acknowledged")
        assert sftp(key, "ann", *before[0], f"put {local}\n").returncode == 0

        process.kill9()
        process.start()
        transfer = process.client("transfer", account=ACCOUNT)
        server = online(transfer, server_id)
        assert server["HostKeyFingerprint"] == fingerprint and server["UserCount"] == 1
        assert transfer.describe_server(ServerId=stopped)["Server"]["State"] == "OFFLINE"
        assert _status_endpoints(process, server_id) == before
        result = sftp(key, "ann", *before[1], f"get f.txt {tmp_path}/back.txt\nls\n")
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "back.txt").read_bytes() == b"acknowledged"
    finally:
        process.cleanup()
