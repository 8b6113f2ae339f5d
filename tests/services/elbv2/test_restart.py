"""A real `regionbox up` process: load balancers come back after kill -9 on the same address,
and SIGTERM still stops the cloud after load balancer nodes opened and closed."""

from __future__ import annotations

import signal
import socket
import ssl

import pytest

import requests

from regionbox.core.tls import ca_directory
from regionbox.testing import CloudProcess
from tests.services.elbv2.helpers import Target, default_subnets, eventually, register


def _load_balancer(cloud, name: str, tg_arn: str | None = None) -> dict:
    elb = cloud.client("elbv2")
    lb = elb.create_load_balancer(Name=name, Subnets=default_subnets(cloud.client("ec2"))[:2])["LoadBalancers"][0]
    action = ({"Type": "forward", "TargetGroupArn": tg_arn} if tg_arn else
              {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": name}})
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[action])
    return lb


def test_load_balancers_come_back_after_kill_9_and_sigterm_stops_the_cloud():
    cloud = CloudProcess().start()
    target = Target("a")
    try:
        elb = cloud.client("elbv2")
        first = _load_balancer(cloud, "first")
        tg = elb.create_target_group(Name="tg", Protocol="HTTP", Port=80, VpcId=first["VpcId"], TargetType="ip",
                                     HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                     HealthyThresholdCount=2)["TargetGroups"][0]
        register(elb, tg["TargetGroupArn"], target)
        second = _load_balancer(cloud, "second", tg["TargetGroupArn"])
        elb.create_listener(LoadBalancerArn=second["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                            Certificates=[{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}],
                            SslPolicy="ELBSecurityPolicy-TLS13-1-3-2021-06",
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        assert requests.get(f"http://{second['DNSName']}/", timeout=10).json()["target"] == "a"
        cloud.kill9()
        cloud.start()
        # Same DNS name, same listener, same targets, health checked again.
        assert eventually(lambda: requests.get(f"http://{second['DNSName']}/", timeout=10).json()["target"] == "a",
                          what="the load balancer back")
        assert requests.get(f"http://{first['DNSName']}/", timeout=10).text == "first"
        ca = ca_directory(cloud.state_dir) / "ca.pem"
        assert requests.get(f"https://{second['DNSName']}/", verify=str(ca), timeout=10).json()["target"] == "a"
        tls12 = ssl.create_default_context(cafile=str(ca))
        tls12.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises(ssl.SSLError):  # the listener's security policy (TLS 1.3 only) came back too
            with socket.create_connection((second["DNSName"], 443), timeout=10) as raw:
                tls12.wrap_socket(raw, server_hostname=second["DNSName"])
        # Nodes opened and closed out of order must not leave the cloud deaf to SIGTERM.
        elb.delete_load_balancer(LoadBalancerArn=first["LoadBalancerArn"])
        cloud.process.send_signal(signal.SIGTERM)
        assert cloud.process.wait(30) == 0
        cloud.process = None
    finally:
        target.close()
        cloud.cleanup()
