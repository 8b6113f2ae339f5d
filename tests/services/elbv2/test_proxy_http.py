"""HTTP/1.1 as the load balancer's nodes speak it, byte by byte over raw sockets: pipelining,
HTTP/1.0 clients, Expect: 100-continue, bodies that end with the connection, large bodies,
requests refused with 400, the idle timeout, and routing that follows rule changes at once."""

from __future__ import annotations

import json
import socket

import requests

from tests.services.elbv2.helpers import load_balancer, register, wait_healthy


def connect(made: dict) -> socket.socket:
    return socket.create_connection((made["lb"]["DNSName"], 80), timeout=30)


def read_response(reader) -> tuple[int, dict[str, str], bytes]:
    """One response from a socket's file: status, headers (lower-case names), body (by Content-Length,
    chunks, or until the connection closes)."""
    status = int(reader.readline().split(b" ", 2)[1])
    headers: dict[str, str] = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = reader.read(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        body = b""
        while size := int(reader.readline().split(b";")[0], 16):
            body += reader.read(size)
            reader.readline()
        reader.readline()
    else:
        body = reader.read()
    return status, headers, body


def closing_exchange(made: dict, raw: bytes) -> tuple[int, dict[str, str], bytes, bytes]:
    """``raw`` sent on a new connection: the one response, and what came after it until the node
    closed the connection (b"" when it closed right after)."""
    with connect(made) as sock, sock.makefile("rb") as reader:
        sock.sendall(raw)
        return (*read_response(reader), reader.read())


def ready(cloud, targets, name: str) -> dict:
    made = load_balancer(cloud, name)
    register(cloud.client("elbv2"), made["tg"]["TargetGroupArn"], targets[0])
    wait_healthy(cloud.client("elbv2"), made["tg"]["TargetGroupArn"], targets[0])
    return made


def test_pipelined_requests_are_answered_in_order_on_one_connection(cloud, targets):
    made = ready(cloud, targets, "pipeline")
    host = made["lb"]["DNSName"]
    with connect(made) as sock, sock.makefile("rb") as reader:
        sock.sendall(b"".join(f"GET /{n} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() for n in ("one", "two", "three")) +
                     f"POST /four HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\n\r\nbody".encode())
        answers = [read_response(reader) for _ in range(4)]
    assert [status for status, _, _ in answers] == [200] * 4
    bodies = [json.loads(body) for _, _, body in answers]
    assert [b["path"] for b in bodies] == ["/one", "/two", "/three", "/four"]
    assert bodies[3]["body"] == "body"


def test_http_1_0_clients_and_expect_100_continue(cloud, targets):
    made = ready(cloud, targets, "old-clients")
    host = made["lb"]["DNSName"]
    # HTTP/1.0 without keep-alive: one answer, then the node closes the connection.
    status, headers, body, after = closing_exchange(made, f"GET /old HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
    assert (status, headers["connection"], after) == (200, "close", b"") and b'"/old"' in body
    # HTTP/1.0 with keep-alive: the connection stays for the next request.
    with connect(made) as sock, sock.makefile("rb") as reader:
        for path in ("/kept-1", "/kept-2"):
            sock.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n".encode())
            status, headers, body = read_response(reader)
            assert status == 200 and headers["connection"] == "keep-alive" and path.encode() in body
    # Expect: 100-continue: the node says continue, then the body reaches the target.
    with connect(made) as sock, sock.makefile("rb") as reader:
        sock.sendall(f"PUT /upload HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n".encode())
        assert reader.readline() == b"HTTP/1.1 100 Continue\r\n" and reader.readline() == b"\r\n"
        sock.sendall(b"hello")
        status, _, body = read_response(reader)
        assert status == 200 and b'"body": "hello"' in body


def test_bodies_that_end_with_the_connection_and_large_bodies(cloud, targets):
    made = ready(cloud, targets, "bodies-2")
    host = made["lb"]["DNSName"]
    status, headers, body, after = closing_exchange(made, f"GET /until-close HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    # The target's body ends when it closes: so does the client's connection.
    assert (status, headers["connection"], body, after) == (200, "close", b"the end is the close", b"")
    size = 5 * 1024 * 1024 + 7
    with requests.get(made["url"] + f"/big/{size}", stream=True, timeout=30) as answer:
        got = b"".join(answer.iter_content(256 * 1024))
    assert len(got) == size and got[:65536] == b"\0" * 65536 and got[-7:] == bytes([size // 65536 % 251]) * 7
    posted = requests.post(made["url"] + "/orders", data=b"y" * (3 * 1024 * 1024), timeout=30)
    assert len(posted.json()["body"]) == 3 * 1024 * 1024


def test_requests_it_cannot_parse_get_400(cloud, targets):
    made = ready(cloud, targets, "bad-requests")
    host = made["lb"]["DNSName"]
    for bad in (b"NONSENSE\r\n\r\n",
                b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
                b"GET / HTTP/1.1\r\n folded: header\r\n\r\n",
                # Both framings at once, the request smuggling pattern: refused, never guessed.
                f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".encode(),
                f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4, 5\r\n\r\nbody".encode()):
        status, headers, body, after = closing_exchange(made, bad)
        assert (status, headers["server"], after) == (400, "awselb/2.0", b""), bad  # and the connection is closed
        assert b"<title>400 Bad Request</title>" in body
    assert targets[0].requests == 0
    # A chunked body whose chunk size is not a number: the node cuts the connection (its head has gone on).
    with connect(made) as sock, sock.makefile("rb") as reader:
        sock.sendall(f"POST /cut HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n".encode())
        try:
            assert reader.read() == b""
        except ConnectionResetError:
            pass  # cut off with a reset: as good


def test_fixed_response_to_head_has_no_body_and_the_connection_goes_on(cloud, targets):
    made = ready(cloud, targets, "head-fixed")
    elb = cloud.client("elbv2")
    elb.create_rule(ListenerArn=made["listener"]["ListenerArn"], Priority=1,
                    Conditions=[{"Field": "path-pattern", "Values": ["/fixed"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418", "MessageBody": "teapot"}}])
    host = made["lb"]["DNSName"]
    with connect(made) as sock, sock.makefile("rb") as reader:
        sock.sendall(f"HEAD /fixed HTTP/1.1\r\nHost: {host}\r\n\r\nGET /fixed HTTP/1.1\r\nHost: {host}\r\n\r\n"
                     f"POST /fixed HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\n\r\nabc"
                     f"GET /after HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        status, lines = int(reader.readline().split(b" ")[1]), []
        while (line := reader.readline()) != b"\r\n":
            lines.append(line.lower())
        assert status == 418 and b"content-length: 6\r\n" in lines  # the length of what a GET gets; no body
        assert read_response(reader)[::2] == (418, b"teapot")
        assert read_response(reader)[::2] == (418, b"teapot")  # its body read and dropped
        status, _, body = read_response(reader)
        assert status == 200 and b'"/after"' in body
    # Thousands of pipelined requests the node answers itself, sent at once: answered in a loop.
    with connect(made) as sock, sock.makefile("rb") as reader:
        sock.sendall(f"GET /fixed HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() * 5000)
        assert [read_response(reader)[::2] for _ in range(5000)] == [(418, b"teapot")] * 5000


def test_idle_client_connections_are_closed_after_the_idle_timeout(cloud, targets):
    made = ready(cloud, targets, "idle")
    cloud.client("elbv2").modify_load_balancer_attributes(
        LoadBalancerArn=made["lb"]["LoadBalancerArn"], Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "1"}])
    with connect(made) as sock, sock.makefile("rb") as reader:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {made['lb']['DNSName']}\r\n\r\n".encode())
        assert read_response(reader)[0] == 200
        assert reader.read() == b""  # closed by the node (the socket's own timeout is 30 s)


def test_rule_changes_route_the_next_request(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "reroute")
    a, b = targets
    other = elb.create_target_group(Name="other", Protocol="HTTP", Port=80, VpcId=made["lb"]["VpcId"], TargetType="ip",
                                    HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                    HealthyThresholdCount=2)["TargetGroups"][0]
    register(elb, made["tg"]["TargetGroupArn"], a)
    register(elb, other["TargetGroupArn"], b)
    with requests.Session() as session:  # one kept-alive connection to one node throughout
        assert session.get(made["url"] + "/x", timeout=10).json()["target"] == "a"
        rule = elb.create_rule(ListenerArn=made["listener"]["ListenerArn"], Priority=5,
                               Conditions=[{"Field": "path-pattern", "Values": ["/x"]}],
                               Actions=[{"Type": "forward", "TargetGroupArn": other["TargetGroupArn"]}])["Rules"][0]
        assert session.get(made["url"] + "/x", timeout=10).json()["target"] == "b"
        elb.modify_rule(RuleArn=rule["RuleArn"], Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
            "StatusCode": "200", "MessageBody": "changed"}}])
        assert session.get(made["url"] + "/x", timeout=10).text == "changed"
        elb.delete_rule(RuleArn=rule["RuleArn"])
        assert session.get(made["url"] + "/x", timeout=10).json()["target"] == "a"
        elb.modify_listener(ListenerArn=made["listener"]["ListenerArn"], DefaultActions=[
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "MessageBody": "maintenance"}}])
        answer = session.get(made["url"] + "/x", timeout=10)
        assert (answer.status_code, answer.text) == (503, "maintenance")


def test_a_slow_reader_of_a_large_answer_leaves_the_target_connection_usable(cloud, targets):
    """A client reading slowly (a small receive buffer) gets a large answer whole while the node
    holds the target back, and the target's connection serves the next requests after it."""
    made = ready(cloud, targets, "slow-reader")
    host = made["lb"]["DNSName"]
    size = 8 * 1024 * 1024
    with connect(made) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.sendall(f"GET /big/{size} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        with sock.makefile("rb") as reader:
            received = len(read_response(reader)[2])
    assert received == size
    for _ in range(3):
        assert requests.get(made["url"] + "/next", timeout=10).json()["path"] == "/next"
