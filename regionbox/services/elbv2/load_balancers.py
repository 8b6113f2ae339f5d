"""Load balancers: CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer, their attributes,
security groups, subnets (SetSubnets) and IP address type.

An application load balancer lives in the subnets it is given (at least two AZs, one subnet per
AZ, as AWS insists) and gets a node per AZ, each on its own loopback address, plus the address
its DNS name stands for, on which the nodes that serve share the connections, as the DNS answers
of an ALB's name leave out a node that is down (nodes.py).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.elbv2.models import HOSTED_ZONES, Elbv2State, LoadBalancer, chosen

if TYPE_CHECKING:
    from regionbox.services.elbv2.health import Health
    from regionbox.services.elbv2.nodes import Nodes

PAGES = PageRule(token="Marker", size="PageSize", default=400, minimum=1, maximum=400,
                 out_of_range=lambda n: invalid("Page size must be between 1 and 400"),
                 bad_token=lambda t: invalid("Invalid marker"))


def page_of(paginator: Paginator, found: list, params: dict, member: str, describe: Callable[[Any], dict],
            query: Any) -> dict[str, Any]:
    """A Describe* answer: one page of ``found`` described under ``member``, and NextMarker when more follow."""
    page, marker = paginator.paginate(found, params, PAGES, query=query)
    result: dict[str, Any] = {member: [describe(item) for item in page]}
    if marker:
        result["NextMarker"] = marker
    return result

# What DescribeLoadBalancerAttributes answers for a new application load balancer.
DEFAULT_ATTRIBUTES = {
    "access_logs.s3.enabled": "false", "access_logs.s3.bucket": "", "access_logs.s3.prefix": "",
    "connection_logs.s3.enabled": "false", "connection_logs.s3.bucket": "", "connection_logs.s3.prefix": "",
    "health_check_logs.s3.enabled": "false", "health_check_logs.s3.bucket": "", "health_check_logs.s3.prefix": "",
    "deletion_protection.enabled": "false", "idle_timeout.timeout_seconds": "60", "client_keep_alive.seconds": "3600",
    "routing.http.desync_mitigation_mode": "defensive", "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false", "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false", "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true", "waf.fail_open.enabled": "false", "load_balancing.cross_zone.enabled": "true",
    "zonal_shift.config.enabled": "false",
}
BOOLEAN = ("true", "false")
CHOICES = {"routing.http.desync_mitigation_mode": ("monitor", "defensive", "strictest"),
           "routing.http.xff_header_processing.mode": ("append", "preserve", "remove")}
RANGES = {"idle_timeout.timeout_seconds": (1, 4000), "client_keep_alive.seconds": (60, 604800)}


def check_name(kind: str, name: str) -> None:
    """AWS's rules for load balancer and target group names (kind: "load balancer" / "target group")."""
    label = kind[0].upper() + kind[1:]
    if len(name) > 32:
        raise invalid(f"{label} name '{name}' cannot be longer than '32' characters")
    if not re.fullmatch(r"[A-Za-z0-9-]+", name):
        raise invalid(f"{label} name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)")
    if name.startswith("-") or name.endswith("-"):
        raise invalid(f"{label} name '{name}' cannot begin or end with '-' character")
    if kind == "load balancer" and name.startswith("internal-"):
        raise invalid(f"Load balancer name '{name}' cannot begin with 'internal-'")


def check_attributes(given: list[dict], known: dict[str, str], *, choices: dict, ranges: dict) -> dict[str, str]:
    """The Key/Value pairs of a Modify*Attributes call, checked against what the resource has."""
    changes: dict[str, str] = {}
    for attribute in given:
        key, value = attribute.get("Key", ""), attribute.get("Value", "")
        if key not in known:
            raise invalid(f"Attribute key '{key}' is not recognized")
        if key.endswith(".enabled") and value not in BOOLEAN and known[key] in BOOLEAN:
            raise invalid(f"Attribute '{key}' can only be set to 'true' or 'false'")
        if key in choices and value not in choices[key]:
            raise invalid(f"Attribute '{key}' must be one of {', '.join(choices[key])}")
        if key in ranges:
            low, high = ranges[key]
            if not value.isdigit() or not low <= int(value) <= high:
                raise invalid(f"'{key}' must be a number between {low} and {high}")
        changes[key] = value
    return changes


def check_ip_address_type(kind: str, scheme: str) -> str:
    """ipv4 only: dualstack needs subnets with IPv6 CIDR blocks, which regionbox's EC2 never gives
    a subnet, so AWS's own refusal is the answer."""
    if kind not in ("ipv4", "dualstack", "dualstack-without-public-ipv4"):
        raise invalid(f"IP address type '{kind}' is not valid")
    if kind == "dualstack-without-public-ipv4" and scheme != "internet-facing":
        raise ServiceError("InvalidConfigurationRequest",
                           "IP address type 'dualstack-without-public-ipv4' is only for internet-facing load balancers")
    if kind != "ipv4":
        raise invalid("You must specify subnets with an associated IPv6 CIDR block.")
    return kind


def dns_name(lb: LoadBalancer) -> str:
    """The name a client connects to: an address, as ElastiCache gives its endpoints (no DNS
    server is needed; AWS's ``<name>-<id>.<region>.elb.amazonaws.com`` resolves to the nodes'
    addresses, this is the one address all the serving nodes listen on)."""
    return lb.dns_address


def describe_load_balancer(lb: LoadBalancer, region: str) -> dict[str, Any]:
    return {
        "LoadBalancerArn": lb.arn, "DNSName": dns_name(lb), "CanonicalHostedZoneId": HOSTED_ZONES.get(region, "Z35SXDOTRQ7X7K"),
        "CreatedTime": clock.from_epoch(lb.created), "LoadBalancerName": lb.name, "Scheme": lb.scheme, "VpcId": lb.vpc_id,
        "State": {"Code": lb.state}, "Type": "application",
        "AvailabilityZones": [{"ZoneName": zone["ZoneName"], "SubnetId": zone["SubnetId"], "LoadBalancerAddresses": []}
                              for zone in lb.zones],
        "SecurityGroups": list(lb.security_groups), "IpAddressType": lb.ip_address_type,
    }


def attributes_out(attributes: dict[str, str]) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in attributes.items()]


class LoadBalancers:
    """Create/Describe/DeleteLoadBalancer, Describe/ModifyLoadBalancerAttributes, SetSecurityGroups,
    SetSubnets, SetIpAddressType."""

    def __init__(self, state: Elbv2State, nodes: "Nodes", health: "Health", ec2, paginator: Paginator) -> None:
        self.state = state
        self.nodes = nodes
        self.health = health
        self.ec2 = ec2  # () -> Ec2Api, loaded when first needed
        self.paginator = paginator

    # -- CreateLoadBalancer -------------------------------------------------------------------------
    async def create_load_balancer(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        check_name("load balancer", name)
        kind = params.get("Type", "application")
        if kind != "application":
            raise ServiceError("UnsupportedProtocol" if kind == "gateway" else "InvalidConfigurationRequest",
                               f"Load balancers of type '{kind}' are not supported by regionbox; only 'application'")
        if params.get("SubnetMappings") and params.get("Subnets"):
            raise invalid("You can specify subnets or subnet mappings, not both")
        subnet_ids = params.get("Subnets") or [m["SubnetId"] for m in params.get("SubnetMappings") or []]
        if not subnet_ids:
            raise invalid("At least two subnets in two different Availability Zones must be specified")
        zones = self._zones(ctx, subnet_ids)
        scheme = params.get("Scheme", "internet-facing")
        security_groups = self._security_groups(ctx, params.get("SecurityGroups") or [])
        tags = {tag["Key"]: tag.get("Value", "") for tag in params.get("Tags") or []}
        for existing in self.state.load_balancers.values(ctx.scope):
            if existing.name == name:
                # Same name and same settings: AWS answers the existing load balancer (idempotent create).
                if sorted(z["SubnetId"] for z in existing.zones) == sorted(z["SubnetId"] for z in zones) \
                        and existing.scheme == scheme:
                    return {"LoadBalancers": [describe_load_balancer(existing, ctx.region)]}
                raise ServiceError("DuplicateLoadBalancerName",
                                   f"A load balancer with the same name '{name}' exists, but with different settings")
        lb_id = ids.hex_id(length=16)
        lb = LoadBalancer(arn=ctx.arn("elasticloadbalancing", f"loadbalancer/app/{name}/{lb_id}"), name=name, lb_id=lb_id,
                          scheme=scheme, vpc_id=zones[0].pop("VpcId"), created=clock.epoch(),
                          zones=[{"ZoneName": z["ZoneName"], "SubnetId": z["SubnetId"]} for z in zones],
                          security_groups=security_groups,
                          ip_address_type=check_ip_address_type(params.get("IpAddressType", "ipv4"), scheme),
                          attributes=dict(DEFAULT_ATTRIBUTES), tags=tags)
        self.nodes.allocate(lb)
        self.state.load_balancers.put(ctx.scope, lb.arn, lb)
        self.nodes.provision(ctx.scope, lb)
        return {"LoadBalancers": [describe_load_balancer(lb, ctx.region)]}

    def _zones(self, ctx: RequestContext, subnet_ids: list[str]) -> list[dict]:
        ec2 = self.ec2()
        zones: list[dict] = []
        for subnet_id in subnet_ids:
            subnet = ec2.subnet(ctx.account_id, ctx.region, subnet_id)
            if subnet is None:
                raise ServiceError("SubnetNotFound", f"The subnet ID '{subnet_id}' is not valid")
            if any(zone["ZoneName"] == subnet.availability_zone for zone in zones):
                raise ServiceError("InvalidConfigurationRequest",
                                   "A load balancer cannot be attached to multiple subnets in the same Availability Zone")
            if zones and zones[0]["VpcId"] != subnet.vpc_id:
                raise ServiceError("InvalidSubnet", "All subnets must belong to the same VPC")
            zones.append({"ZoneName": subnet.availability_zone, "SubnetId": subnet.subnet_id, "VpcId": subnet.vpc_id})
        if len(zones) < 2:
            raise invalid("At least two subnets in two different Availability Zones must be specified")
        return zones

    def _security_groups(self, ctx: RequestContext, group_ids: list[str]) -> list[str]:
        ec2 = self.ec2()
        for group_id in group_ids:
            if ec2.security_group(ctx.account_id, ctx.region, group_id) is None:
                raise ServiceError("InvalidSecurityGroup", f"One or more security groups are invalid: '{group_id}'")
        return list(group_ids)

    # -- DescribeLoadBalancers ----------------------------------------------------------------------
    def describe_load_balancers(self, ctx: RequestContext, params: dict) -> dict:
        arns, names = params.get("LoadBalancerArns"), params.get("Names")
        if arns and names:
            raise invalid("Load balancer names and load balancer ARNs cannot be specified at the same time")
        found = chosen(self.state.load_balancers.values(ctx.scope), arns, names,
                       lambda arn: self.state.load_balancer(ctx.scope, arn), "LoadBalancerNotFound", "Load balancers")
        return page_of(self.paginator, found, params, "LoadBalancers", lambda lb: describe_load_balancer(lb, ctx.region), [arns, names])

    # -- DeleteLoadBalancer -------------------------------------------------------------------------
    async def delete_load_balancer(self, ctx: RequestContext, params: dict) -> dict:
        lb = self.state.load_balancers.get(ctx.scope, params["LoadBalancerArn"])
        if lb is None:
            return {}  # AWS: deleting a load balancer that is already gone succeeds
        if lb.attributes.get("deletion_protection.enabled") == "true":
            raise ServiceError("OperationNotPermitted",
                               f"Load balancer '{lb.arn}' cannot be deleted because deletion protection is enabled")
        listeners = self.state.listeners_of(ctx.scope, lb.arn)
        with self.state.transaction():
            for listener in listeners:
                for rule in self.state.rules_of(ctx.scope, listener.arn):
                    self.state.rules.delete(ctx.scope, rule.arn)
                self.state.listeners.delete(ctx.scope, listener.arn)
            self.state.load_balancers.delete(ctx.scope, lb.arn)
        await self.nodes.remove(lb)
        self.health.sync_scope(ctx.scope)
        return {}

    # -- attributes -----------------------------------------------------------------------------------
    def describe_load_balancer_attributes(self, ctx: RequestContext, params: dict) -> dict:
        lb = self.state.load_balancer(ctx.scope, params["LoadBalancerArn"])
        return {"Attributes": attributes_out(lb.attributes)}

    def modify_load_balancer_attributes(self, ctx: RequestContext, params: dict) -> dict:
        lb = self.state.load_balancer(ctx.scope, params["LoadBalancerArn"])
        changes = check_attributes(params["Attributes"], lb.attributes, choices=CHOICES, ranges=RANGES)
        if changes.get("access_logs.s3.enabled") == "true" and not (changes.get("access_logs.s3.bucket")
                                                                    or lb.attributes.get("access_logs.s3.bucket")):
            raise invalid("The value of 'access_logs.s3.bucket' cannot be empty when access logs are enabled")
        lb.attributes.update(changes)
        self.state.load_balancers.put(ctx.scope, lb.arn, lb)
        return {"Attributes": attributes_out(lb.attributes)}

    async def set_subnets(self, ctx: RequestContext, params: dict) -> dict:
        """The load balancer's AZs become the subnets': nodes of AZs left are stopped, nodes of new ones
        start on new addresses, every listener opens again on the new set."""
        lb = self.state.load_balancer(ctx.scope, params["LoadBalancerArn"])
        if params.get("SubnetMappings") and params.get("Subnets"):
            raise invalid("You can specify subnets or subnet mappings, not both")
        subnet_ids = params.get("Subnets") or [m["SubnetId"] for m in params.get("SubnetMappings") or []]
        zones = self._zones(ctx, subnet_ids)
        if zones[0]["VpcId"] != lb.vpc_id:
            raise ServiceError("InvalidSubnet", f"Subnets must belong to the load balancer's VPC '{lb.vpc_id}'")
        if params.get("IpAddressType"):
            lb.ip_address_type = check_ip_address_type(params["IpAddressType"], lb.scheme)
        await self.nodes.rezone(ctx.scope, lb, [{"ZoneName": z["ZoneName"], "SubnetId": z["SubnetId"]} for z in zones])
        self.state.load_balancers.put(ctx.scope, lb.arn, lb)
        described = describe_load_balancer(lb, ctx.region)
        return {"AvailabilityZones": described["AvailabilityZones"], "IpAddressType": lb.ip_address_type}

    def set_ip_address_type(self, ctx: RequestContext, params: dict) -> dict:
        lb = self.state.load_balancer(ctx.scope, params["LoadBalancerArn"])
        lb.ip_address_type = check_ip_address_type(params["IpAddressType"], lb.scheme)
        self.state.load_balancers.put(ctx.scope, lb.arn, lb)
        return {"IpAddressType": lb.ip_address_type}

    def set_security_groups(self, ctx: RequestContext, params: dict) -> dict:
        lb = self.state.load_balancer(ctx.scope, params["LoadBalancerArn"])
        lb.security_groups = self._security_groups(ctx, params["SecurityGroups"])
        self.state.load_balancers.put(ctx.scope, lb.arn, lb)
        return {"SecurityGroupIds": list(lb.security_groups)}
