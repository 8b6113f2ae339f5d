"""The service kit through real clients: registration tables, loading on first use, coverage,
streamed bodies, and data planes plugged in by a service (HTTP by host, WebSocket, TCP and HTTP
listeners placed in AZs that an outage switches off)."""

from __future__ import annotations

import gzip
import http.client
import json
import socket
import time
import tracemalloc
import urllib.request

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from click.testing import CliRunner

from regionbox.cli import main
from regionbox.core.registry import Entry
from regionbox.core.service import Service, ServiceDefinitionError
from regionbox.protocol.specs import service_model
from regionbox.services import SERVICES
from regionbox.testing import RunningCloud
from tests.core import kit_service


@pytest.fixture(scope="module")
def kit_cloud():
    running = RunningCloud(services={**SERVICES, "s3": kit_service.ENTRY}).start()
    yield running
    running.stop()


def s3_client(cloud):
    return boto3.client("s3", endpoint_url=cloud.endpoint, region_name="us-east-1", aws_access_key_id="123456789012",
                        aws_secret_access_key="x",
                        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                          request_checksum_calculation="when_required",
                                          response_checksum_validation="when_required"))


# -- registration ---------------------------------------------------------------------------------

def test_a_table_naming_an_operation_the_model_lacks_does_not_load():
    names = service_model("cloudtrail").operation_names
    with pytest.raises(ServiceDefinitionError, match="LookUpEvents"):
        Service("cloudtrail", {"LookUpEvents": lambda ctx, params: {}}).check_against(names)
    with pytest.raises(ServiceDefinitionError, match="both"):
        Service("cloudtrail", {"LookupEvents": lambda ctx, params: {}},
                not_implemented={"LookupEvents": "no"}).check_against(names)


def test_services_load_on_first_use(cloud):
    fresh = RunningCloud().start()
    try:
        states = fresh.get("/_regionbox/status")["services"]
        assert all(state.startswith("not loaded") for state in states.values()), states
        fresh.client("sts").get_caller_identity()
        states = fresh.get("/_regionbox/status")["services"]
        assert states["sts"] == "running" and states["elasticache"].startswith("not loaded")
        assert "elasticache" not in fresh.cloud.services.loaded
    finally:
        fresh.stop()


def test_a_service_that_fails_to_load_answers_503_and_the_rest_serve(tmp_path):
    broken = RunningCloud(services={**SERVICES, "s3": Entry("tests.core.no_such_module")}).start()
    try:
        with pytest.raises(ClientError) as caught:
            s3_client(broken).get_object(Bucket="b", Key="k")
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert broken.get("/_regionbox/status")["services"]["s3"].startswith("failed: ModuleNotFoundError")
        assert broken.client("sts").get_caller_identity()["Account"]
    finally:
        broken.stop()


def test_coverage_reports_every_operation_of_every_served_service(kit_cloud):
    report = kit_cloud.get("/_regionbox/coverage")["services"]
    assert set(report) == set(SERVICES) | {"s3"}
    for name, entry in report.items():
        assert sorted(entry["implemented"] + list(entry["not_implemented"])) == sorted(service_model(name).operation_names)
    assert "LookupEvents" in report["cloudtrail"]["implemented"]
    assert set(report["cloudtrail"]["not_implemented"]) == {  # what needs Organizations, Glue/Lake Formation, Bedrock
        "RegisterOrganizationDelegatedAdmin", "DeregisterOrganizationDelegatedAdmin", "EnableFederation",
        "DisableFederation", "GenerateQuery"}
    assert report["s3"]["not_implemented"]["DeleteObject"] == "the kit's test service keeps what it is given"
    assert report["s3"]["not_implemented"]["ListBuckets"] == "not built yet"


def test_an_operation_without_a_handler_answers_501_with_its_reason(kit_cloud):
    with pytest.raises(ClientError) as caught:
        s3_client(kit_cloud).delete_object(Bucket="b", Key="k")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["Error"]["Code"] == "NotImplemented"
    assert "DeleteObject" in error["Error"]["Message"] and "keeps what it is given" in error["Error"]["Message"]


def test_status_operations_prints_the_registration_tables(kit_cloud):
    result = CliRunner().invoke(main, ["status", "--operations", "--service", "cloudtrail", "--endpoint", kit_cloud.endpoint],
                                terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "LookupEvents" in result.output and "implemented" in result.output
    assert "CreateTrail" in result.output and "not implemented" in result.output
    unknown = CliRunner().invoke(main, ["status", "--operations", "--service", "nope", "--endpoint", kit_cloud.endpoint])
    assert unknown.exit_code != 0 and "not a served service" in unknown.output


# -- bodies stream ----------------------------------------------------------------------------------

def test_a_streaming_payload_reaches_the_handler_in_chunks_and_comes_back_as_a_stream(kit_cloud, tmp_path):
    s3 = s3_client(kit_cloud)
    size = 64 * 1024 * 1024
    source = tmp_path / "big.bin"
    with open(source, "wb") as file:
        for i in range(size // (1024 * 1024)):
            file.write(bytes([i % 251]) * (1024 * 1024))
    state = kit_cloud.run(kit_cloud.cloud.services.ready("s3")).api  # loaded on the cloud's own loop
    tracemalloc.start()
    try:
        with open(source, "rb") as body:
            s3.put_object(Bucket="bucket", Key="big.bin", Body=body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Never the whole body in memory, on either side of the socket (client and server share this process).
    assert peak < 16 * 1024 * 1024, peak
    assert state.chunks > 100 and state.largest_chunk <= 1024 * 1024
    response = s3.get_object(Bucket="bucket", Key="big.bin")
    assert response["ContentLength"] == size
    received = 0
    for i, chunk in enumerate(response["Body"].iter_chunks(1024 * 1024)):
        assert chunk == bytes([i % 251]) * len(chunk)
        received += len(chunk)
    assert received == size


def test_a_gzip_bomb_is_refused_without_being_expanded(kit_cloud):
    bomb = gzip.compress(b"{" + b" " * (64 * 1024 * 1024) + b"}")  # 64 MiB of JSON in ~64 KiB
    connection = http.client.HTTPConnection("127.0.0.1", kit_cloud.config.port, timeout=30)
    connection.request("POST", "/", body=bomb, headers={
        "Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip",
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Authorization": "AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=x"})
    response = connection.getresponse()
    body = json.loads(response.read())
    assert response.status == 413 and body["__type"].endswith("RequestEntityTooLarge"), body


# -- data planes ------------------------------------------------------------------------------------

def test_plain_http_by_host_reaches_the_service_data_plane(kit_cloud):
    request = urllib.request.Request(kit_cloud.endpoint + "/anything", headers={"Host": "world.kit.localhost"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.read() == b"hello world"


def test_a_websocket_path_reaches_the_service(kit_cloud):
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{kit_cloud.config.port}/kit-ws", open_timeout=10) as websocket:
        websocket.send("ping")
        assert websocket.recv(timeout=10) == "echo: ping"
    with pytest.raises(Exception):
        with connect(f"ws://127.0.0.1:{kit_cloud.config.port}/no-such-ws", open_timeout=10):
            pass
    with pytest.raises(Exception):  # a page on another site may not open it (gateway/guard.py)
        with connect(f"ws://127.0.0.1:{kit_cloud.config.port}/kit-ws", origin="http://evil.example", open_timeout=10):
            pass


def _echo(address: str, port: int) -> bytes:
    with socket.create_connection((address, port), timeout=5) as sock:
        sock.sendall(b"hi\n")
        return sock.makefile("rb").readline()


def _get(address: str, port: int) -> bytes:
    with urllib.request.urlopen(f"http://{address}:{port}/", timeout=5) as response:
        return response.read()


def test_listeners_live_in_their_zone_and_an_outage_switches_them_off(kit_cloud):
    state = kit_cloud.cloud.services.api("s3")
    tcp, web = state.listeners["tcp"], state.listeners["http"]
    assert tcp.zone == "us-east-1a" and web.zone == "us-east-1b"
    if kit_cloud.cloud.addresses.enabled:
        assert tcp.address != "127.0.0.1" and (tcp.port, web.port) == (7000, 8080) and tcp.address != web.address
    assert _echo(*tcp.endpoint) == b"echo: hi\n"
    assert _get(*web.endpoint) == b"hello from " + web.address.encode()
    held = socket.create_connection(tcp.endpoint, timeout=5)
    try:
        kit_cloud.post("/_regionbox/az/us-east-1a/outage")
        with pytest.raises(OSError):
            _echo(*tcp.endpoint)
        try:  # the open connection died with its zone: closed, or reset
            held.sendall(b"still there?\n")
            assert held.makefile("rb").readline() == b""
        except ConnectionResetError:
            pass
        assert _get(*web.endpoint).startswith(b"hello")  # the other zone's listener serves on
    finally:
        held.close()
        kit_cloud.post("/_regionbox/az/us-east-1a/restore")
    deadline = time.time() + 10
    while True:
        try:
            assert _echo(*tcp.endpoint) == b"echo: hi\n"
            break
        except OSError:
            assert time.time() < deadline
            time.sleep(0.05)
    kit_cloud.post("/_regionbox/az/us-east-1b/outage")
    try:
        with pytest.raises(OSError):
            _get(*web.endpoint)
    finally:
        kit_cloud.post("/_regionbox/az/us-east-1b/restore")
    assert _get(*web.endpoint).startswith(b"hello")


def test_http_listeners_sharing_an_address_serve_it_until_their_zone_goes_down(kit_cloud):
    cloud = kit_cloud.cloud
    if not cloud.addresses.enabled:
        pytest.skip("needs loopback addresses beyond 127.0.0.1")

    def named(name: str):
        async def app(scope, receive, send) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": name.encode()})
        return app

    shared, _ = cloud.addresses.allocate(8090)
    opened = [kit_cloud.run(cloud.listeners.open_http(owner="kit-shared", zone=zone, port=8090, app=named(zone),
                                                       shared_address=shared))
              for zone in ("us-east-1c", "us-east-1d")]
    try:
        assert {_get(listener.address, 8090) for listener in opened} == {b"us-east-1c", b"us-east-1d"}
        # Fresh connections to the shared address are spread over both (the kernel hashes each one).
        assert {_get(shared, 8090) for _ in range(40)} == {b"us-east-1c", b"us-east-1d"}
        kit_cloud.post("/_regionbox/az/us-east-1c/outage")
        try:
            assert {_get(shared, 8090) for _ in range(20)} == {b"us-east-1d"}
        finally:
            kit_cloud.post("/_regionbox/az/us-east-1c/restore")
        assert {_get(shared, 8090) for _ in range(40)} == {b"us-east-1c", b"us-east-1d"}
    finally:
        kit_cloud.run(cloud.listeners.close_owner("kit-shared"))
        cloud.addresses.release(shared, 8090)


def test_tcp_listeners_sharing_an_address_serve_it_until_their_zone_goes_down(kit_cloud):
    cloud = kit_cloud.cloud
    if not cloud.addresses.enabled:
        pytest.skip("needs loopback addresses beyond 127.0.0.1")

    def named(name: str):
        async def handle(reader, writer) -> None:
            writer.write(name.encode())
            await writer.drain()
        return handle

    def read(address: str) -> bytes:
        with socket.create_connection((address, 8091), timeout=5) as sock:
            return sock.makefile("rb").read()

    shared, _ = cloud.addresses.allocate(8091)
    opened = [kit_cloud.run(cloud.listeners.open_tcp(owner="kit-shared-tcp", zone=zone, port=8091, handle=named(zone),
                                                      shared_address=shared))
              for zone in ("us-east-1c", "us-east-1d")]
    try:
        assert {read(listener.address) for listener in opened} == {b"us-east-1c", b"us-east-1d"}
        assert {read(shared) for _ in range(40)} == {b"us-east-1c", b"us-east-1d"}
        kit_cloud.post("/_regionbox/az/us-east-1c/outage")
        try:
            assert {read(shared) for _ in range(20)} == {b"us-east-1d"}
        finally:
            kit_cloud.post("/_regionbox/az/us-east-1c/restore")
        assert {read(shared) for _ in range(40)} == {b"us-east-1c", b"us-east-1d"}
    finally:
        kit_cloud.run(cloud.listeners.close_owner("kit-shared-tcp"))
        cloud.addresses.release(shared, 8091)


def test_a_websocket_reaches_the_service_by_host():
    entry = Entry("x", websocket_hosts=("*.realtime.localhost",), websocket_paths=("/ws",))
    assert entry.wants("api1.realtime.localhost:4566", "/graphql", websocket=True)
    assert entry.wants("127.0.0.1:4566", "/ws/x", websocket=True)
    assert not entry.wants("api1.other.localhost:4566", "/graphql", websocket=True)
    assert not entry.wants("api1.realtime.localhost:4566", "/graphql")  # plain HTTP by host is ``hosts``'
