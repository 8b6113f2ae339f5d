"""Target groups: Create/Describe/Modify/DeleteTargetGroup, their attributes, Register and
DeregisterTargets, DescribeTargetHealth.

Targets are local processes: an ``ip`` target is an address and port (``Id=127.0.0.1,Port=8081``);
an ``instance`` target stands for an instance by the address its process listens on, as there are
no EC2 instances here. Health comes from real probes (health.py).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from regionbox.core import ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.services.elbv2.health import Health
from regionbox.services.elbv2.load_balancers import attributes_out, check_attributes, check_name, page_of
from regionbox.services.elbv2.models import Elbv2State, TargetGroup, by_names

DEFAULT_ATTRIBUTES = {
    "deregistration_delay.timeout_seconds": "300", "stickiness.enabled": "false", "stickiness.type": "lb_cookie",
    "stickiness.lb_cookie.duration_seconds": "86400", "stickiness.app_cookie.cookie_name": "",
    "stickiness.app_cookie.duration_seconds": "86400", "slow_start.duration_seconds": "0",
    "load_balancing.algorithm.type": "round_robin", "load_balancing.algorithm.anomaly_mitigation": "off",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
}
CHOICES = {"stickiness.type": ("lb_cookie", "app_cookie"),
           "load_balancing.algorithm.type": ("round_robin", "least_outstanding_requests", "weighted_random"),
           "load_balancing.algorithm.anomaly_mitigation": ("on", "off"),
           "load_balancing.cross_zone.enabled": ("true", "false", "use_load_balancer_configuration")}
RANGES = {"deregistration_delay.timeout_seconds": (0, 3600), "stickiness.lb_cookie.duration_seconds": (1, 604800),
          "stickiness.app_cookie.duration_seconds": (1, 604800), "slow_start.duration_seconds": (0, 900)}
# Health check settings: input member -> (default, low, high).
HEALTH_NUMBERS = {"HealthCheckIntervalSeconds": (30, 5, 300), "HealthCheckTimeoutSeconds": (5, 2, 120),
                  "HealthyThresholdCount": (5, 2, 10), "UnhealthyThresholdCount": (2, 2, 10)}
MATCHER = re.compile(r"\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*")


def _health_check(params: dict, current: dict[str, Any]) -> dict[str, Any]:
    """The health check settings after applying ``params`` to ``current`` (AWS's ranges and rules)."""
    settings = dict(current)
    for member, (default, low, high) in HEALTH_NUMBERS.items():
        value = params.get(member, settings.get(member, default))
        if not low <= value <= high:
            raise invalid(f"{member} must be between {low} and {high}")
        settings[member] = value
    for member in ("HealthCheckProtocol", "HealthCheckPort", "HealthCheckPath", "HealthCheckEnabled"):
        if member in params:
            settings[member] = params[member]
    settings.setdefault("HealthCheckProtocol", "HTTP")
    settings.setdefault("HealthCheckPort", "traffic-port")
    settings.setdefault("HealthCheckPath", "/")
    settings.setdefault("HealthCheckEnabled", True)
    if settings["HealthCheckTimeoutSeconds"] >= settings["HealthCheckIntervalSeconds"]:
        raise invalid("Health check interval must be greater than the timeout.")
    if not str(settings["HealthCheckPath"]).startswith("/"):
        raise invalid("Health check path must begin with a '/' character")
    port = str(settings["HealthCheckPort"])
    if port != "traffic-port" and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise invalid("Health check port must be 'traffic-port' or a number between 1 and 65535")
    matcher = params.get("Matcher") or settings.get("Matcher") or {"HttpCode": "200"}
    code = matcher.get("HttpCode", "")
    if matcher.get("GrpcCode") or not MATCHER.fullmatch(code) or any(
            not 200 <= int(number) <= 499 for number in re.split(r"[-,]", code)):
        raise invalid(f"Health check matcher HTTP code '{code}' must be within '200-499'")
    settings["Matcher"] = {"HttpCode": code}
    return settings


def describe_target_group(tg: TargetGroup, lb_arns: list[str]) -> dict[str, Any]:
    return {"TargetGroupArn": tg.arn, "TargetGroupName": tg.name, "Protocol": tg.protocol, "Port": tg.port,
            "VpcId": tg.vpc_id, **tg.health_check, "LoadBalancerArns": lb_arns, "TargetType": tg.target_type,
            "ProtocolVersion": tg.protocol_version, "IpAddressType": tg.ip_address_type}


def _address(target_id: str) -> bool:
    try:
        ipaddress.IPv4Address(target_id)
    except ValueError:
        return False
    return True


class TargetGroups:
    """Target groups, their attributes and targets."""

    def __init__(self, state: Elbv2State, health: Health, ec2, paginator: Paginator) -> None:
        self.state = state
        self.health = health
        self.ec2 = ec2
        self.paginator = paginator

    def _describe(self, ctx: RequestContext, tg: TargetGroup) -> dict[str, Any]:
        return describe_target_group(tg, self.state.target_group_users(ctx.scope, tg.arn))

    # -- CreateTargetGroup ----------------------------------------------------------------------------
    def create_target_group(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        check_name("target group", name)
        target_type = params.get("TargetType", "instance")
        if target_type not in ("instance", "ip"):
            raise ServiceError("InvalidConfigurationRequest",
                               f"Target type '{target_type}' is not supported by regionbox; use 'ip' or 'instance'")
        protocol = params.get("Protocol")
        if protocol is None or params.get("Port") is None or params.get("VpcId") is None:
            raise invalid("A protocol, port, and VPC ID must be specified")
        if protocol != "HTTP":
            raise ServiceError("UnsupportedProtocol", f"Protocol '{protocol}' is not supported by regionbox's "
                                                      "application load balancers; use 'HTTP'")
        vpc_id = params["VpcId"]
        if self.ec2().vpc(ctx.account_id, ctx.region, vpc_id) is None:
            raise invalid(f"The VPC ID '{vpc_id}' is not found")
        health_check = _health_check(params, {})
        for existing in self.state.target_groups.values(ctx.scope):
            if existing.name == name:
                if existing.port == params["Port"] and existing.vpc_id == vpc_id and existing.target_type == target_type:
                    return {"TargetGroups": [self._describe(ctx, existing)]}
                raise ServiceError("DuplicateTargetGroupName",
                                   f"A target group with the same name '{name}' exists, but with different settings")
        tg = TargetGroup(arn=ctx.arn("elasticloadbalancing", f"targetgroup/{name}/{ids.hex_id(length=16)}"), name=name,
                         protocol=protocol, port=params["Port"], vpc_id=vpc_id, target_type=target_type,
                         protocol_version=params.get("ProtocolVersion", "HTTP1"), health_check=health_check,
                         attributes=dict(DEFAULT_ATTRIBUTES), ip_address_type=params.get("IpAddressType", "ipv4"),
                         tags={tag["Key"]: tag.get("Value", "") for tag in params.get("Tags") or []})
        self.state.target_groups.put(ctx.scope, tg.arn, tg)
        return {"TargetGroups": [self._describe(ctx, tg)]}

    # -- DescribeTargetGroups ---------------------------------------------------------------------------
    def describe_target_groups(self, ctx: RequestContext, params: dict) -> dict:
        arns, names, lb_arn = params.get("TargetGroupArns"), params.get("Names"), params.get("LoadBalancerArn")
        if sum(bool(x) for x in (arns, names, lb_arn)) > 1:
            raise invalid("Target group names, target group ARNs, and a load balancer ARN cannot be specified at the same time")
        everything = self.state.target_groups.values(ctx.scope)
        if arns:
            found = [self.state.target_group(ctx.scope, arn) for arn in arns]
        elif names:
            found = by_names(everything, names, "TargetGroupNotFound", "Target groups")
        elif lb_arn:
            self.state.load_balancer(ctx.scope, lb_arn)
            found = [tg for tg in everything if lb_arn in self.state.target_group_users(ctx.scope, tg.arn)]
        else:
            found = everything
        return page_of(self.paginator, found, params, "TargetGroups", lambda tg: self._describe(ctx, tg), [arns, names, lb_arn])

    # -- ModifyTargetGroup / DeleteTargetGroup ----------------------------------------------------------
    def modify_target_group(self, ctx: RequestContext, params: dict) -> dict:
        tg = self.state.target_group(ctx.scope, params["TargetGroupArn"])
        tg.health_check = _health_check(params, tg.health_check)
        self.state.target_groups.put(ctx.scope, tg.arn, tg)
        self.health.sync(ctx.scope, tg.arn)
        return {"TargetGroups": [self._describe(ctx, tg)]}

    def delete_target_group(self, ctx: RequestContext, params: dict) -> dict:
        arn = params["TargetGroupArn"]
        if self.state.target_groups.get(ctx.scope, arn) is None:
            return {}
        if self.state.target_group_users(ctx.scope, arn):
            raise ServiceError("ResourceInUse", f"Target group '{arn}' is currently in use by a listener or a rule")
        self.state.target_groups.delete(ctx.scope, arn)
        self.health.forget(ctx.scope, arn)
        return {}

    # -- attributes -----------------------------------------------------------------------------------
    def describe_target_group_attributes(self, ctx: RequestContext, params: dict) -> dict:
        tg = self.state.target_group(ctx.scope, params["TargetGroupArn"])
        return {"Attributes": attributes_out(tg.attributes)}

    def modify_target_group_attributes(self, ctx: RequestContext, params: dict) -> dict:
        tg = self.state.target_group(ctx.scope, params["TargetGroupArn"])
        changes = check_attributes(params["Attributes"], tg.attributes, choices=CHOICES, ranges=RANGES)
        merged = {**tg.attributes, **changes}
        cookie = merged["stickiness.app_cookie.cookie_name"]
        if merged["stickiness.enabled"] == "true" and merged["stickiness.type"] == "app_cookie" and not cookie:
            raise invalid("The 'stickiness.app_cookie.cookie_name' attribute must be specified when the stickiness "
                          "type is 'app_cookie'")
        if cookie and (cookie.upper().startswith("AWSALB") or not re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}", cookie)):
            raise invalid(f"The app cookie name '{cookie}' is not valid: it cannot start with 'AWSALB', 'AWSALBAPP' or "
                          "'AWSALBTG', and must be a valid cookie name")
        tg.attributes = merged
        self.state.target_groups.put(ctx.scope, tg.arn, tg)
        return {"Attributes": attributes_out(tg.attributes)}

    # -- targets ----------------------------------------------------------------------------------------
    def _targets(self, tg: TargetGroup, given: list[dict]) -> list[dict]:
        targets = []
        for target in given:
            target_id = target["Id"]
            if not _address(target_id):
                code = "Instance" if tg.target_type == "instance" else "IP address"
                raise ServiceError("InvalidTarget", f"The following targets are not valid: '{target_id}' "
                                   f"(regionbox's {code} targets are the IPv4 address of a local process)")
            port = target.get("Port", tg.port)
            if not 1 <= port <= 65535:
                raise invalid(f"Port '{port}' must be between 1 and 65535")
            shaped = {"Id": target_id, "Port": port}
            if target.get("AvailabilityZone"):
                shaped["AvailabilityZone"] = target["AvailabilityZone"]
            targets.append(shaped)
        return targets

    def register_targets(self, ctx: RequestContext, params: dict) -> dict:
        tg = self.state.target_group(ctx.scope, params["TargetGroupArn"])
        known = {(t["Id"], t["Port"]) for t in tg.targets}
        for target in self._targets(tg, params["Targets"]):
            if (target["Id"], target["Port"]) not in known:
                tg.targets.append(target)
                known.add((target["Id"], target["Port"]))
        self.state.target_groups.put(ctx.scope, tg.arn, tg)
        self.health.sync(ctx.scope, tg.arn)
        return {}

    def deregister_targets(self, ctx: RequestContext, params: dict) -> dict:
        tg = self.state.target_group(ctx.scope, params["TargetGroupArn"])
        leaving = {(t["Id"], t["Port"]) for t in self._targets(tg, params["Targets"])}
        registered = {(t["Id"], t["Port"]) for t in tg.targets}
        unknown = sorted(leaving - registered)
        if unknown:
            raise ServiceError("InvalidTarget", f"The following targets are not registered in target group '{tg.arn}': "
                               + ", ".join(f"'{target_id}:{port}'" for target_id, port in unknown))
        tg.targets = [t for t in tg.targets if (t["Id"], t["Port"]) not in leaving]
        self.state.target_groups.put(ctx.scope, tg.arn, tg)
        self.health.drain(ctx.scope, tg, sorted(leaving))
        return {}

    def describe_target_health(self, ctx: RequestContext, params: dict) -> dict:
        tg = self.state.target_group(ctx.scope, params["TargetGroupArn"])
        asked = params.get("Targets")
        targets = self._targets(tg, asked) if asked else [*tg.targets, *self.health.draining(ctx.scope, tg.arn)]
        port = tg.health_check.get("HealthCheckPort", "traffic-port")
        descriptions = []
        for target in targets:
            health = self.health.of(ctx.scope, tg, target)
            descriptions.append({"Target": target, "HealthCheckPort": str(target["Port"]) if port == "traffic-port" else port,
                                 "TargetHealth": health})
        return {"TargetHealthDescriptions": descriptions}
