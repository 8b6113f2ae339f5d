"""The agent's parts on their own: what it sees of a host (each connection and process reported once),
its on-disk buffer (numbered batches that survive a restart), and SigV4 as botocore computes it."""

from __future__ import annotations

import os
import socket

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from regionbox.config import AwsCredentials
from regionbox.discovery_agent.host import Host
from regionbox.discovery_agent.sockets import Sockets
from regionbox.discovery_agent.spool import Spool
from regionbox.discovery_agent.transport import sign
from tests.services.discovery.hosts import loopback_works

ADDRESS = "127.77.2.1"


def test_a_connection_and_a_process_are_reported_once_and_a_new_connection_again():
    if not loopback_works(ADDRESS):
        return
    host = Host("parts-1", (ADDRESS,), owner_interval=0)
    listener = socket.socket()
    listener.bind((ADDRESS, 0))
    listener.listen()
    client = socket.socket()
    client.bind((ADDRESS, 0))
    client.connect(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        first = host.activity()
        connections = [r for r in first if r["kind"] == "connection"]
        # This process owns both ends: one outbound record and one inbound record.
        assert sorted(r["direction"] for r in connections) == ["inbound", "outbound"]
        inbound = next(r for r in connections if r["direction"] == "inbound")
        assert inbound["localPort"] == listener.getsockname()[1] and inbound["process"]["name"]
        assert [r for r in first if r["kind"] == "process"]
        again = host.activity()
        assert [r for r in again if r["kind"] in ("connection", "process")] == []
        assert [r["kind"] for r in host.activity(every_process=True)] == ["process"]
        second = socket.socket()
        second.bind((ADDRESS, 0))
        second.connect(listener.getsockname())
        extra, _ = listener.accept()
        assert len([r for r in host.activity() if r["kind"] == "connection"]) == 2
        second.close()
        extra.close()
        configuration = host.configuration()
        assert configuration["hostName"] == "parts-1" and configuration["interfaces"][0]["ipAddress"] == ADDRESS
        assert configuration["numCpus"] >= 1 and configuration["totalRamKb"] > 0
        sample = host.sample()
        assert 0.0 <= sample["cpu"] <= 100.0 and sample["freeRamKb"] > 0
    finally:
        for s in (client, accepted, listener):
            s.close()


def test_the_spool_keeps_numbered_batches_across_restarts(tmp_path):
    spool = Spool(tmp_path)
    spool.seal([{"kind": "sample", "ts": 1.0}])
    spool.seal([])  # nothing collected: nothing written
    spool.seal([{"kind": "sample", "ts": 2.0}])
    batch, files, records = spool.pending()
    assert (batch, len(files), [r["ts"] for r in records]) == (1, 2, [1.0, 2.0])
    spool.done(files[:1])
    again = Spool(tmp_path)  # the agent restarted
    again.seal([{"kind": "sample", "ts": 3.0}])
    batch, files, records = again.pending()
    assert (batch, [r["ts"] for r in records]) == (2, [2.0, 3.0])
    again.done(files)
    restarted = Spool(tmp_path)
    restarted.seal([{"kind": "sample", "ts": 4.0}])
    assert restarted.pending()[0] == 3  # numbers only grow, even with the buffer empty


def test_the_agents_signature_is_sigv4_as_botocore_makes_it():
    credentials = AwsCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", "ap-northeast-1")
    body = b'{"agentId":"o-1"}'
    headers = sign("POST", "127.0.0.1:4566", "/_discovery/agent/heartbeat", body, credentials, "ap-northeast-1")
    request = AWSRequest("POST", "http://127.0.0.1:4566/_discovery/agent/heartbeat", data=body,
                         headers={"X-Amz-Date": headers["x-amz-date"],
                                  "X-Amz-Content-SHA256": headers["x-amz-content-sha256"]})
    auth = SigV4Auth(Credentials(credentials.access_key_id, credentials.secret_access_key), "discovery", "ap-northeast-1")
    auth._timestamp = lambda: headers["x-amz-date"]  # noqa: SLF001 - the same moment for both signers
    request.context["timestamp"] = headers["x-amz-date"]
    auth.add_auth(request)
    expected = request.headers["Authorization"]
    assert headers["authorization"].split("Signature=")[1] == expected.split("Signature=")[1]


def test_the_kernels_two_socket_tables_agree_and_owners_are_found():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        netlink, text = Sockets(scan_interval=0), Sockets(scan_interval=0)
        text.netlink = False

        def decoded(table):
            return {(table.decode(local), table.decode(remote), listening) for local, remote, listening, _ in table.read()}
        mine = {(("127.0.0.1", listener.getsockname()[1]), ("0.0.0.0", 0), True),
                (client.getsockname(), client.getpeername(), False)}
        assert mine <= decoded(netlink) and mine <= decoded(text)
        found = [s for s in netlink.read() if netlink.decode(s[0]) == client.getsockname()]
        assert netlink.owners([found[0][3]]) == {found[0][3]: os.getpid()}
    finally:
        for s in (client, accepted, listener):
            s.close()


def test_a_whole_host_as_an_agent_sees_it_without_overrides():
    host = Host(owner_interval=0)
    configuration = host.configuration()
    assert configuration["hostName"] == socket.gethostname()
    assert "127.0.0.1" in {i["ipAddress"] for i in configuration["interfaces"]}
    assert all(i["macAddress"] is not None for i in configuration["interfaces"])
    first = host.activity()
    assert os.getpid() in {r["pid"] for r in first if r["kind"] == "process"}
    assert os.getpid() not in {r["pid"] for r in host.activity() if r["kind"] == "process"}  # reported once


def test_a_batch_the_service_refuses_is_set_aside_and_the_rest_goes_on(tmp_path):
    from regionbox.discovery_agent.agent import Agent, Intervals
    from regionbox.discovery_agent.transport import IngestError

    class Service:
        """Takes every report but the one with a record of an unknown shape."""

        def __init__(self) -> None:
            self.batches = []

        def call(self, action: str, document: dict) -> dict:
            if action == "register":
                return {"agentId": "o-00000000000000001", "collectionStatus": "STARTED"}
            if any(r.get("ts") == "bad" for r in document.get("records", [])):
                raise IngestError(400, "InvalidParameterValueException", "The report request is malformed")
            self.batches.append([r["ts"] for r in document["records"]])
            return {}

    service = Service()
    agent = Agent(service, tmp_path, Host("parts-2", ("127.77.2.2",)), Intervals())
    agent.spool.seal([{"kind": "sample", "ts": 1.0}])
    agent.spool.seal([{"kind": "sample", "ts": "bad"}])
    agent.spool.seal([{"kind": "sample", "ts": 3.0}])
    agent.upload()  # refused together, then sent one by one: only the bad one is set aside
    assert service.batches == [[1.0], [3.0]] and agent.spool.files() == []
    assert [p.name for p in agent.spool.rejected.iterdir()] == ["000000000001.json"]
