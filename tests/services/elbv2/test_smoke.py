import requests

from tests.services.elbv2.helpers import Target, load_balancer, register, wait_healthy


def test_requests_reach_the_targets_round_robin(cloud):
    elb = cloud.client("elbv2")
    made = load_balancer(cloud)
    a, b = Target("a"), Target("b")
    try:
        register(elb, made["tg"]["TargetGroupArn"], a, b)
        wait_healthy(elb, made["tg"]["TargetGroupArn"], a, b)
        seen = [requests.get(made["url"] + "/x", timeout=10).json()["target"] for _ in range(10)]
        assert sorted(set(seen)) == ["a", "b"]
    finally:
        a.close()
        b.close()
