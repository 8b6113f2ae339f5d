"""Sticky sessions versus a shared session store, through an Availability Zone outage.

Two designs side by side, each two app servers (app.py) behind an Application Load Balancer:

- sticky: sessions live in the app server's memory; the target group's lb_cookie stickiness
  brings each user back to the server that logged them in;
- redis: sessions live in an ElastiCache Redis replication group (Multi-AZ, automatic failover,
  a TTL on every session); no stickiness, any server serves any user.

The script logs users in through each load balancer, switches off the AZ of the Redis primary
and of one app server of each design (``regionbox az outage``; the app servers there die with
it), waits for the load balancers' health checks to notice, and counts the sessions each design
lost. Run it against a running cloud (``regionbox up``):

    python examples/sessions/run.py [--users 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import requests

APP = Path(__file__).with_name("app.py")
FAST_HEALTH = {"HealthCheckPath": "/health", "HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 2,
               "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2}


def start_app(name: str, *store: str) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen([sys.executable, str(APP), "--name", name, *store], stdout=subprocess.PIPE, text=True)
    return process, int(process.stdout.readline())


def wait_for(what: str, condition, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError(f"timed out waiting for {what}")


class Design:
    """One load balancer, its target group and its two app servers (one per AZ)."""

    def __init__(self, elb, name: str, subnets: list[str], vpc: str, sticky: bool) -> None:
        self.elb = elb
        self.name = name
        self.lb = elb.create_load_balancer(Name=f"sessions-{name}", Subnets=subnets, Type="application")["LoadBalancers"][0]
        self.tg = elb.create_target_group(Name=f"sessions-{name}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                          **FAST_HEALTH)["TargetGroups"][0]
        if sticky:
            elb.modify_target_group_attributes(TargetGroupArn=self.tg["TargetGroupArn"], Attributes=[
                {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "lb_cookie"},
                {"Key": "stickiness.lb_cookie.duration_seconds", "Value": "86400"}])
        elb.create_listener(LoadBalancerArn=self.lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": self.tg["TargetGroupArn"]}])
        self.url = f"http://{self.lb['DNSName']}"
        self.servers: dict[str, tuple[subprocess.Popen, int]] = {}
        self.logins: dict[str, tuple[requests.Session, str]] = {}  # user -> (browser, server that logged them in)

    def add_servers(self, zones: list[str], *store: str) -> None:
        for zone in zones:
            self.servers[zone] = start_app(f"{self.name}-{zone}", *store)
        self.elb.register_targets(TargetGroupArn=self.tg["TargetGroupArn"],
                                  Targets=[{"Id": "127.0.0.1", "Port": port} for _, port in self.servers.values()])
        self.elb.get_waiter("target_in_service").wait(TargetGroupArn=self.tg["TargetGroupArn"],
                                                      WaiterConfig={"Delay": 1, "MaxAttempts": 120})

    def log_in(self, users: int) -> None:
        for index in range(users):
            browser = requests.Session()
            answer = browser.post(self.url + "/login", json={"user": f"user{index}"}, timeout=30)
            answer.raise_for_status()
            self.logins[f"user{index}"] = (browser, answer.json()["server"])

    def lose_zone(self, zone: str) -> None:
        """The app server in the zone dies with it."""
        process, _ = self.servers[zone]
        process.kill()
        process.wait()

    def wait_unhealthy(self, zone: str) -> None:
        port = self.servers[zone][1]
        wait_for(f"{self.name}'s server in {zone} to be unhealthy", lambda: any(
            d["Target"]["Port"] == port and d["TargetHealth"]["State"] == "unhealthy"
            for d in self.elb.describe_target_health(TargetGroupArn=self.tg["TargetGroupArn"])["TargetHealthDescriptions"]))

    def sessions_alive(self) -> int:
        alive = 0
        for user, (browser, _) in self.logins.items():
            answer = browser.get(self.url + "/me", timeout=30)
            alive += answer.status_code == 200 and answer.json().get("user") == user
        return alive

    def close(self) -> None:
        for process, _ in self.servers.values():
            process.kill()
            process.wait()
        self.elb.delete_load_balancer(LoadBalancerArn=self.lb["LoadBalancerArn"])
        self.elb.delete_target_group(TargetGroupArn=self.tg["TargetGroupArn"])


def regionbox(endpoint: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "regionbox", *args, "--endpoint", endpoint], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Sticky sessions versus ElastiCache sessions through an AZ outage.")
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://localhost:4566"))
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "ap-northeast-1"))
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    session = boto3.Session(aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "123456789012"),
                            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "x"), region_name=args.region)
    ec2, elb, ec = (session.client(name, endpoint_url=args.endpoint) for name in ("ec2", "elbv2", "elasticache"))
    say = (lambda *_: None) if args.json else print

    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][:2]
    zones = [subnet["AvailabilityZone"] for subnet in subnets]
    subnet_ids, vpc = [subnet["SubnetId"] for subnet in subnets], subnets[0]["VpcId"]
    say(f"app servers and load balancer nodes in {zones[0]} and {zones[1]}")

    say("creating the Redis replication group (Multi-AZ, primary in", zones[0] + ") ...")
    ec.create_replication_group(ReplicationGroupId="sessions", ReplicationGroupDescription="session store",
                                Engine="redis", CacheNodeType="cache.t4g.micro", NumCacheClusters=2,
                                AutomaticFailoverEnabled=True, MultiAZEnabled=True, PreferredCacheClusterAZs=zones)
    ec.get_waiter("replication_group_available").wait(ReplicationGroupId="sessions", WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    group = ec.describe_replication_groups(ReplicationGroupId="sessions")["ReplicationGroups"][0]
    primary = group["NodeGroups"][0]["PrimaryEndpoint"]
    outage = next(m["PreferredAvailabilityZone"] for m in group["NodeGroups"][0]["NodeGroupMembers"] if m["CurrentRole"] == "primary")

    sticky = Design(elb, "sticky", subnet_ids, vpc, sticky=True)
    shared = Design(elb, "redis", subnet_ids, vpc, sticky=False)
    designs = [sticky, shared]
    try:
        sticky.add_servers(zones, "--store", "memory")
        shared.add_servers(zones, "--store", "redis", "--redis-host", primary["Address"], "--redis-port", str(primary["Port"]))
        for design in designs:
            design.log_in(args.users)
            assert design.sessions_alive() == args.users, f"{design.name}: sessions missing before the outage"
        say(f"{args.users} users logged in through each load balancer; switching off {outage} ...")
        regionbox(args.endpoint, "az", "outage", outage)
        try:
            for design in designs:
                design.lose_zone(outage)
            for design in designs:
                design.wait_unhealthy(outage)
            dead = {design.name: f"{design.name}-{outage}" for design in designs}
            results = {}
            for design in designs:
                on_dead = sum(1 for _, server in design.logins.values() if server == dead[design.name])
                results[design.name] = {"users": args.users, "on_lost_server": on_dead,
                                        "sessions_lost": args.users - design.sessions_alive()}
        finally:
            regionbox(args.endpoint, "az", "restore", outage)
    finally:
        for design in designs:
            design.close()
        ec.delete_replication_group(ReplicationGroupId="sessions")
    if args.json:
        print(json.dumps(results))
        return
    print(f"\n{'design':<28}{'users':>6}{'on the lost server':>20}{'sessions lost':>15}")
    for name, label in (("sticky", "sticky sessions (lb_cookie)"), ("redis", "ElastiCache Redis, TTL")):
        row = results[name]
        print(f"{label:<28}{row['users']:>6}{row['on_lost_server']:>20}{row['sessions_lost']:>15}")


if __name__ == "__main__":
    main()
