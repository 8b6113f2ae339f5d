"""The user's story from the issue, typed into the AWS CLI, then curl through the DNS name."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.services.elbv2.helpers import Target, eventually
from tests.services.test_cli_aws import aws


def cli(cloud, *args: str) -> dict:
    output = aws(cloud, *args).stdout
    return json.loads(output) if output.strip() else {}


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_cli_load_balancer_reaches_the_targets(cloud):
    subnets = cli(cloud, "ec2", "describe-subnets", "--filters", "Name=default-for-az,Values=true")["Subnets"]
    lb = cli(cloud, "elbv2", "create-load-balancer", "--name", "cli-web", "--type", "application",
             "--subnets", subnets[0]["SubnetId"], subnets[1]["SubnetId"])["LoadBalancers"][0]
    tg = cli(cloud, "elbv2", "create-target-group", "--name", "cli-tg", "--protocol", "HTTP", "--port", "8080",
             "--target-type", "ip", "--vpc-id", lb["VpcId"], "--health-check-path", "/health",
             "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
             "--healthy-threshold-count", "2")["TargetGroups"][0]
    a, b = Target("a"), Target("b")
    try:
        cli(cloud, "elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"],
            "--targets", f"Id=127.0.0.1,Port={a.port}", f"Id=127.0.0.1,Port={b.port}")
        cli(cloud, "elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP",
            "--port", "80", "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
        cli(cloud, "elbv2", "modify-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"],
            "--attributes", "Key=stickiness.enabled,Value=true", "Key=stickiness.type,Value=lb_cookie")
        aws(cloud, "elbv2", "wait", "target-in-service", "--target-group-arn", tg["TargetGroupArn"])
        health = cli(cloud, "elbv2", "describe-target-health", "--target-group-arn", tg["TargetGroupArn"])
        assert {d["TargetHealth"]["State"] for d in health["TargetHealthDescriptions"]} == {"healthy"}

        def curl(*extra: str) -> str:
            return subprocess.run(["curl", "-s", "--max-time", "10", *extra, f"http://{lb['DNSName']}/"],
                                  capture_output=True, text=True, check=True).stdout

        assert eventually(lambda: {json.loads(curl())["target"] for _ in range(4)} == {"a", "b"}, what="both targets")
        headers = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", f"http://{lb['DNSName']}/"],
                                 capture_output=True, text=True, check=True).stdout
        assert "AWSALB=" in headers and "AWSALBCORS=" in headers
    finally:
        a.close()
        b.close()
