"""Sticky sessions as a browser sees them: requests.Session keeps the AWSALB / AWSALBAPP-0
cookies and stays on one target; when that target fails its health checks the client is moved
to a healthy one and stuck there."""

from __future__ import annotations

import requests

from tests.services.elbv2.helpers import eventually, health_states, load_balancer, register, wait_healthy, weighted_forward


def sticky(elb, tg_arn: str, **attributes: str) -> None:
    elb.modify_target_group_attributes(TargetGroupArn=tg_arn, Attributes=[
        {"Key": "stickiness.enabled", "Value": "true"}, *({"Key": k, "Value": v} for k, v in attributes.items())])


def test_lb_cookie_keeps_a_session_on_one_target_and_moves_it_when_the_target_fails(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "sticky")
    tg_arn = made["tg"]["TargetGroupArn"]
    sticky(elb, tg_arn, **{"stickiness.type": "lb_cookie", "stickiness.lb_cookie.duration_seconds": "3600"})
    register(elb, tg_arn, *targets)
    wait_healthy(elb, tg_arn, *targets)
    with requests.Session() as alice, requests.Session() as bob:
        first = alice.get(made["url"], timeout=10)
        cookie = next(c for c in alice.cookies if c.name == "AWSALB")
        assert cookie.path == "/" and cookie.expires is not None
        assert "SameSite=None; Secure" in first.headers["Set-Cookie"]  # AWSALBCORS
        pinned = first.json()["target"]
        assert {alice.get(made["url"], timeout=10).json()["target"] for _ in range(1000)} == {pinned}
        bob_first = bob.get(made["url"], timeout=10).json()["target"]
        assert bob_first != pinned  # round robin placed the second client on the other target
        # Alice's target fails its health checks: she is moved and stuck to the other one.
        dead = next(t for t in targets if t.name == pinned)
        dead.health_status = 503
        eventually(lambda: health_states(elb, tg_arn)[f"127.0.0.1:{dead.port}"] == "unhealthy", what="unhealthy")
        moved = {alice.get(made["url"], timeout=10).json()["target"] for _ in range(20)}
        assert moved == {bob_first}
        # ... and stays there when her old target comes back.
        dead.health_status = 200
        wait_healthy(elb, tg_arn, dead)
        assert {alice.get(made["url"], timeout=10).json()["target"] for _ in range(20)} == {bob_first}
    # Without the cookie, requests spread again.
    assert {requests.get(made["url"], timeout=10).json()["target"] for _ in range(4)} == {"a", "b"}


def test_app_cookie_follows_the_applications_cookie(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "appcookie")
    tg_arn = made["tg"]["TargetGroupArn"]
    sticky(elb, tg_arn, **{"stickiness.type": "app_cookie", "stickiness.app_cookie.cookie_name": "APPSESSION",
                           "stickiness.app_cookie.duration_seconds": "600"})
    register(elb, tg_arn, *targets)
    wait_healthy(elb, tg_arn, *targets)
    with requests.Session() as session:
        # Before the application sets its cookie the load balancer sets none, and requests spread.
        assert {session.get(made["url"] + "/page", timeout=10).json()["target"] for _ in range(4)} == {"a", "b"}
        assert "AWSALBAPP-0" not in session.cookies
        login = session.get(made["url"] + "/login", timeout=10)
        pinned = login.json()["target"]
        assert session.cookies["APPSESSION"] == pinned and "AWSALBAPP-0" in session.cookies
        assert {session.get(made["url"] + "/page", timeout=10).json()["target"] for _ in range(200)} == {pinned}
        dead = next(t for t in targets if t.name == pinned)
        dead.health_status = 500
        eventually(lambda: health_states(elb, tg_arn)[f"127.0.0.1:{dead.port}"] == "unhealthy", what="unhealthy")
        other = {session.get(made["url"] + "/page", timeout=10).json()["target"] for _ in range(10)}
        assert other == {"b" if pinned == "a" else "a"}


def test_cookies_of_another_target_group_or_forged_ones_are_ignored(cloud, targets):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud, "forged")
    tg_arn = made["tg"]["TargetGroupArn"]
    sticky(elb, tg_arn)
    register(elb, tg_arn, *targets)
    wait_healthy(elb, tg_arn, *targets)
    seen = {requests.get(made["url"], cookies={"AWSALB": "forged.value"}, timeout=10).json()["target"] for _ in range(4)}
    assert seen == {"a", "b"}


def test_group_stickiness_keeps_a_client_on_one_target_group_of_a_weighted_forward(cloud, targets):
    made = load_balancer(cloud, "groups")
    weighted_forward(cloud, made, *targets, (1, 1), TargetGroupStickinessConfig={"Enabled": True, "DurationSeconds": 300})
    with requests.Session() as session:
        first = session.get(made["url"], timeout=10).json()["target"]
        assert "AWSALBTG" in session.cookies
        assert {session.get(made["url"], timeout=10).json()["target"] for _ in range(20)} == {first}
    assert {requests.get(made["url"], timeout=10).json()["target"] for _ in range(4)} == {"a", "b"}
