"""Requests through a load balancer's nodes: routing by rules, the proxy's headers and errors,
real health checks moving targets between states, and an AZ outage while requests flow."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from tests.services.elbv2.helpers import eventually, health_states, load_balancer, register, wait_healthy, weighted_forward


def test_round_robin_over_healthy_targets_with_forwarded_headers(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud)
    tg_arn = made["tg"]["TargetGroupArn"]
    register(elb, tg_arn, *targets)
    wait_healthy(elb, tg_arn, *targets)
    with requests.Session() as session:
        answers = [session.get(made["url"] + f"/item/{i}?q=1", timeout=10) for i in range(20)]
    assert [a.json()["target"] for a in answers].count("a") == 10
    first = answers[0].json()
    assert first["path"] == "/item/0?q=1"
    headers = {name.lower(): value for name, value in first["headers"].items()}
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http" and headers["x-forwarded-port"] == "80"
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    assert answers[0].headers["Server"] == "BaseHTTP/0.6 Python/" + answers[0].headers["Server"].split("Python/")[1]
    # X-Forwarded-For from the client is kept and the client's address appended; bodies go through.
    posted = requests.post(made["url"] + "/orders", data=b"x" * 100_000, headers={"X-Forwarded-For": "203.0.113.7"}, timeout=10)
    assert len(posted.json()["body"]) == 100_000
    assert posted.json()["headers"]["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"


def test_health_checks_move_a_target_through_its_states(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "health")
    tg_arn = made["tg"]["TargetGroupArn"]
    a, b = targets
    register(elb, tg_arn, a, b)
    key_a = f"127.0.0.1:{a.port}"
    first = elb.describe_target_health(TargetGroupArn=tg_arn, Targets=[{"Id": "127.0.0.1", "Port": a.port}])
    assert first["TargetHealthDescriptions"][0]["TargetHealth"] in (
        {"State": "initial", "Reason": "Elb.RegistrationInProgress", "Description": "Target registration is in progress"},
        {"State": "healthy"})
    wait_healthy(elb, tg_arn, a, b)
    a.health_status = 500
    eventually(lambda: health_states(elb, tg_arn)[key_a] == "unhealthy", what="a unhealthy")
    health = elb.describe_target_health(TargetGroupArn=tg_arn, Targets=[{"Id": "127.0.0.1", "Port": a.port}])
    assert health["TargetHealthDescriptions"][0]["TargetHealth"] == {
        "State": "unhealthy", "Reason": "Target.ResponseCodeMismatch", "Description": "Health checks failed with these codes: [500]"}
    # Only the healthy target gets requests now.
    assert {requests.get(made["url"], timeout=10).json()["target"] for _ in range(6)} == {"b"}
    a.health_status = 200
    wait_healthy(elb, tg_arn, a)
    # A target that stops listening fails with Target.FailedHealthChecks.
    b.close()
    key_b = f"127.0.0.1:{b.port}"
    eventually(lambda: health_states(elb, tg_arn)[key_b] == "unhealthy", what="b unhealthy")
    health = elb.describe_target_health(TargetGroupArn=tg_arn, Targets=[{"Id": "127.0.0.1", "Port": b.port}])
    assert health["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"] == "Target.FailedHealthChecks"
    assert {requests.get(made["url"], timeout=10).json()["target"] for _ in range(6)} == {"a"}


def test_deregistered_target_drains(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "drain")
    tg_arn = made["tg"]["TargetGroupArn"]
    register(elb, tg_arn, *targets)
    wait_healthy(elb, tg_arn, *targets)
    elb.deregister_targets(TargetGroupArn=tg_arn, Targets=[{"Id": "127.0.0.1", "Port": targets[0].port}])
    assert health_states(elb, tg_arn)[f"127.0.0.1:{targets[0].port}"] == "draining"
    assert {requests.get(made["url"], timeout=10).json()["target"] for _ in range(6)} == {"b"}


def test_no_target_is_503_and_a_dead_target_is_502(cloud):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "empty")
    answer = requests.get(made["url"], timeout=10)
    assert answer.status_code == 503 and "<title>503 Service Temporarily Unavailable</title>" in answer.text
    assert answer.headers["Server"] == "awselb/2.0"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    elb.register_targets(TargetGroupArn=made["tg"]["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": dead_port}])
    # Its only target is unhealthy, so the load balancer fails open, and the target refuses: 502,
    # and the client's kept-alive connection goes on (its next request gets its own answer).
    with requests.Session() as session:
        for _ in range(2):
            answer = session.get(made["url"], timeout=10)
            assert answer.status_code == 502 and "<title>502 Bad Gateway</title>" in answer.text
        posted = session.post(made["url"], data=b"z" * 70_000, timeout=10)
        assert posted.status_code == 502


def test_rules_route_by_path_host_header_and_method(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "routes")
    a, b = targets
    vpc = made["lb"]["VpcId"]
    api = elb.create_target_group(Name="api-tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip", HealthCheckPath="/health",
                                  HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)["TargetGroups"][0]
    register(elb, made["tg"]["TargetGroupArn"], a)
    register(elb, api["TargetGroupArn"], b)
    listener = made["listener"]["ListenerArn"]
    forward_api = [{"Type": "forward", "TargetGroupArn": api["TargetGroupArn"]}]
    elb.create_rule(ListenerArn=listener, Priority=10, Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}], Actions=forward_api)
    elb.create_rule(ListenerArn=listener, Priority=20, Conditions=[{"Field": "host-header", "Values": ["*.example.com"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "ContentType": "text/plain",
                                                                                 "MessageBody": "hello from the host rule"}}])
    elb.create_rule(ListenerArn=listener, Priority=30, Conditions=[
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["y*"]}},
        {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}}], Actions=forward_api)
    elb.create_rule(ListenerArn=listener, Priority=40, Conditions=[{"Field": "path-pattern", "Values": ["/old"]}],
                    Actions=[{"Type": "redirect", "RedirectConfig": {"Path": "/new", "Query": "from=#{path}", "StatusCode": "HTTP_301"}}])
    elb.create_rule(ListenerArn=listener, Priority=50, Conditions=[
        {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "beta", "Value": "on"}]}},
        {"Field": "source-ip", "SourceIpConfig": {"Values": ["127.0.0.0/8"]}}], Actions=forward_api)
    url = made["url"]
    assert requests.get(url + "/api/users", timeout=10).json()["target"] == "b"
    assert requests.get(url + "/API/users", timeout=10).json()["target"] == "a"  # path patterns are case-sensitive
    hosted = requests.get(url + "/", headers={"Host": "Shop.Example.com"}, timeout=10)
    assert (hosted.status_code, hosted.text, hosted.headers["Content-Type"]) == (200, "hello from the host rule", "text/plain")
    assert requests.get(url + "/", headers={"X-Canary": "yes"}, timeout=10).json()["target"] == "b"
    assert requests.post(url + "/", headers={"X-Canary": "yes"}, timeout=10).json()["target"] == "a"
    moved = requests.get(url + "/old", allow_redirects=False, timeout=10)
    host = made["lb"]["DNSName"]
    assert (moved.status_code, moved.headers["Location"]) == (301, f"http://{host}/new?from=old")
    assert requests.get(url + "/?beta=on", timeout=10).json()["target"] == "b"
    assert requests.get(url + "/?beta=off", timeout=10).json()["target"] == "a"


def test_weighted_forward_splits_requests(cloud, targets):
    made = load_balancer(cloud, "weights")
    weighted_forward(cloud, made, *targets, (3, 1))
    seen = [requests.get(made["url"], timeout=10).json()["target"] for _ in range(40)]
    assert (seen.count("a"), seen.count("b")) == (30, 10)


def test_zone_outage_stops_that_zones_node_and_the_name_keeps_serving(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "zones")
    tg_arn = made["tg"]["TargetGroupArn"]
    register(elb, tg_arn, *targets)
    wait_healthy(elb, tg_arn, *targets)
    down = made["lb"]["AvailabilityZones"][0]["ZoneName"]
    nodes = {listener.zone: listener.endpoint for listener in cloud.cloud.listeners.of("elbv2")}
    assert set(nodes) == {zone["ZoneName"] for zone in made["lb"]["AvailabilityZones"]}
    answered: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            try:
                answered.append(requests.get(made["url"], timeout=10).status_code)
            except requests.ConnectionError:
                answered.append(0)  # a request the dying node was holding

    flowing = threading.Thread(target=traffic)
    flowing.start()
    try:
        eventually(lambda: len(answered) > 20, what="requests before the outage")
        cloud.post(f"/_regionbox/az/{down}/outage")
        # The zone's node is gone; every new connection to the DNS name reaches the other one.
        with pytest.raises(OSError):
            socket.create_connection(nodes[down], timeout=5).close()
        after = len(answered)
        eventually(lambda: len(answered) > after + 20, what="requests during the outage")
        assert answered[after + 1:] == [200] * len(answered[after + 1:])
    finally:
        stop.set()
        flowing.join()
        cloud.post(f"/_regionbox/az/{down}/restore")
    socket.create_connection(nodes[down], timeout=5).close()
    assert requests.get(made["url"], timeout=10).status_code == 200


def test_bodies_stream_both_ways_and_a_slow_target_is_504(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "bodies")
    tg_arn = made["tg"]["TargetGroupArn"]
    register(elb, tg_arn, targets[0])
    wait_healthy(elb, tg_arn, targets[0])
    # A chunked upload (a generator body) reaches the target whole; a chunked answer comes back whole.
    sent = requests.post(made["url"] + "/upload", data=(part for part in (b"a" * 1000, b"b" * 1000)), timeout=10)
    assert sent.json()["body"] == "a" * 1000 + "b" * 1000
    assert requests.get(made["url"] + "/stream", timeout=10).text == "one,two,three"
    with requests.Session() as session:  # HEAD: the length of a body that is not sent, and the connection stays usable
        assert session.head(made["url"] + "/", timeout=10).headers["Content-Length"] == "123"
        assert session.get(made["url"] + "/after-head", timeout=10).json()["path"] == "/after-head"
    elb.modify_load_balancer_attributes(LoadBalancerArn=made["lb"]["LoadBalancerArn"],
                                        Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "1"}])
    slow = requests.get(made["url"] + "/slow", timeout=10)
    assert slow.status_code == 504 and "<title>504 Gateway Time-out</title>" in slow.text


def test_least_outstanding_requests_avoids_the_busy_target(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "lor")
    tg_arn = made["tg"]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg_arn, Attributes=[
        {"Key": "load_balancing.algorithm.type", "Value": "least_outstanding_requests"}])
    register(elb, tg_arn, *targets)
    wait_healthy(elb, tg_arn, *targets)
    slow: list[str] = []
    busy = threading.Thread(target=lambda: slow.append(requests.get(made["url"] + "/slow", timeout=10).json()["target"]))
    busy.start()
    try:
        working = eventually(lambda: next((t.name for t in targets if t.busy), None), what="the slow request in flight")
        # While one target answers the slow request, every other request goes to the other one.
        idle = {requests.get(made["url"], timeout=10).json()["target"] for _ in range(6)}
    finally:
        busy.join()
    assert slow == [working] and idle == {"a", "b"} - {working}


def test_https_listener_under_the_local_ca_and_a_redirect_from_http(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "tls")
    lb_arn, tg_arn, dns = made["lb"]["LoadBalancerArn"], made["tg"]["TargetGroupArn"], made["lb"]["DNSName"]
    register(elb, tg_arn, targets[0])
    forward = [{"Type": "forward", "TargetGroupArn": tg_arn}]
    with pytest.raises(elb.exceptions.CertificateNotFoundException):
        elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=443, DefaultActions=forward)
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0b9c3a5e-1111-2222-3333-444455556666"
    listener = elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=443, DefaultActions=forward,
                                   Certificates=[{"CertificateArn": certificate}])["Listeners"][0]
    assert (listener["SslPolicy"], listener["Certificates"]) == ("ELBSecurityPolicy-2016-08", [{"CertificateArn": certificate}])
    elb.modify_listener(ListenerArn=made["listener"]["ListenerArn"], DefaultActions=[{"Type": "redirect", "RedirectConfig": {
        "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    moved = requests.get(f"http://{dns}/cart?item=1", allow_redirects=False, timeout=10)
    assert (moved.status_code, moved.headers["Location"]) == (301, f"https://{dns}/cart?item=1")
    ca = str(cloud.cloud.ca.ensure())
    answer = requests.get(f"http://{dns}/cart?item=1", verify=ca, timeout=10).json()  # follows the redirect
    assert answer["path"] == "/cart?item=1"
    assert answer["headers"]["x-forwarded-proto"] == "https" and answer["headers"]["x-forwarded-port"] == "443"
    assert elb.describe_listener_certificates(ListenerArn=listener["ListenerArn"])["Certificates"] == [
        {"CertificateArn": certificate, "IsDefault": True}]
