"""Targets for load balancer tests: small HTTP servers in the test process, and the steps every
test takes (a load balancer in two default subnets, a target group, a listener)."""

from __future__ import annotations

import http.server
import json
import functools
import threading
import time

from tests.services.elasticache import redis_helpers


class Target:
    """An HTTP server on 127.0.0.1 answering its name and what it was sent; /health answers
    ``health_status`` (set it to 500 to fail health checks)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.health_status = 200
        self.requests = 0
        self.busy = 0  # /slow requests being answered
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def log_message(self, *args) -> None:
                pass

            def _answer(self) -> None:
                if self.path.startswith("/slow"):
                    target.busy += 1
                    time.sleep(3)
                    target.busy -= 1
                if self.path.startswith("/stream"):
                    return self._stream()
                if self.path.startswith("/until-close"):  # no length, no chunks: the body ends with the connection
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"the end is the close")
                    self.close_connection = True
                    return
                if self.path.startswith("/big/"):  # /big/<bytes>: a large body to stream
                    size = int(self.path.split("/")[2])
                    self.send_response(200)
                    self.send_header("Content-Length", str(size))
                    self.end_headers()
                    for start in range(0, size, 65536):
                        self.wfile.write(bytes([start // 65536 % 251]) * min(65536, size - start))
                    return
                if self.headers.get("Transfer-Encoding") == "chunked":
                    body = b""
                    while size := int(self.rfile.readline().split(b";")[0], 16):
                        body += self.rfile.read(size)
                        self.rfile.readline()
                    self.rfile.readline()
                else:
                    length = int(self.headers.get("Content-Length") or 0)
                    body = self.rfile.read(length) if length else b""
                if self.path.startswith("/health"):
                    status, payload = target.health_status, b"ok"
                else:
                    target.requests += 1
                    status = 200
                    payload = json.dumps({"target": target.name, "path": self.path, "method": self.command,
                                          "body": body.decode(), "headers": dict(self.headers.items())}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if self.path.startswith("/login"):
                    self.send_header("Set-Cookie", f"APPSESSION={target.name}; Path=/")
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self) -> None:
                """Three chunks of a chunked response, the last after a pause."""
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for part in (b"one,", b"two,", b"three"):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            def do_HEAD(self) -> None:  # noqa: N802 - a Content-Length, and no body
                self.send_response(200)
                self.send_header("Content-Length", "123")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815 - http.server's naming

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# Health checks take two probes 5 s apart to pass and two to fail: give them time on a busy machine.
eventually = functools.partial(redis_helpers.eventually, timeout=60)


def default_subnets(ec2) -> list[str]:
    return [subnet["SubnetId"] for subnet in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]]


def load_balancer(cloud, name: str = "web", **health) -> dict:
    """A load balancer in the first two default subnets, an ip target group with fast health
    checks (``health`` overrides them) and an HTTP listener on port 80 forwarding to it."""
    ec2, elb = cloud.client("ec2"), cloud.client("elbv2")
    subnets = sorted(default_subnets(ec2))[:2]
    lb = elb.create_load_balancer(Name=name, Subnets=subnets, Type="application")["LoadBalancers"][0]
    vpc = lb["VpcId"]
    settings = {"HealthCheckPath": "/health", "HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 2,
                "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2, **health}
    tg = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                 **settings)["TargetGroups"][0]
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])["Listeners"][0]
    return {"lb": lb, "tg": tg, "listener": listener, "url": f"http://{lb['DNSName']}"}


def health_states(elb, tg_arn: str) -> dict[str, str]:
    described = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return {f"{d['Target']['Id']}:{d['Target']['Port']}": d["TargetHealth"]["State"] for d in described}


def register(elb, tg_arn: str, *targets: Target) -> None:
    elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": "127.0.0.1", "Port": t.port} for t in targets])


def wait_healthy(elb, tg_arn: str, *targets: Target) -> None:
    wanted = {f"127.0.0.1:{t.port}" for t in targets}
    eventually(lambda: all(health_states(elb, tg_arn).get(key) == "healthy" for key in wanted), what="healthy targets")


def weighted_forward(cloud, made: dict, a: Target, b: Target, weights: tuple[int, int], **config) -> None:
    """The listener forwards to two groups by weight: the load balancer's own group (target a)
    and a "green" one (target b); ``config`` adds to the ForwardConfig (TargetGroupStickinessConfig)."""
    elb = cloud.client("elbv2")
    green = elb.create_target_group(Name="green", Protocol="HTTP", Port=80, VpcId=made["lb"]["VpcId"],
                                    TargetType="ip")["TargetGroups"][0]
    register(elb, made["tg"]["TargetGroupArn"], a)
    register(elb, green["TargetGroupArn"], b)
    groups = [{"TargetGroupArn": made["tg"]["TargetGroupArn"], "Weight": weights[0]},
              {"TargetGroupArn": green["TargetGroupArn"], "Weight": weights[1]}]
    elb.modify_listener(ListenerArn=made["listener"]["ListenerArn"],
                        DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": groups, **config}}])
