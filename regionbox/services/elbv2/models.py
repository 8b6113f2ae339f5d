"""ELBv2's state: load balancers, target groups, listeners and rules, as documents keyed by ARN.

Nested parts (subnets, actions, conditions, targets) are kept as the dicts of the wire shape
(``Actions``, ``Conditions``, ``TargetDescription``), so describing a resource is mostly handing
them back. Target health is not stored: AWS starts every target's checks again after a restart
of a load balancer node too, and it lives in ``health.py``.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope, Store

LOAD_BALANCERS = "elbv2.load_balancers"
TARGET_GROUPS = "elbv2.target_groups"
LISTENERS = "elbv2.listeners"
RULES = "elbv2.rules"
TRUST_STORES = "elbv2.trust_stores"

# Route 53 hosted zone of each region's ALB DNS names (CanonicalHostedZoneId), from AWS's list.
HOSTED_ZONES = {
    "us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5", "ap-northeast-1": "Z14GRHDCWA56QT", "ap-northeast-2": "ZWKZPGTI48KDX",
    "ap-northeast-3": "Z5LXEXXYW11ES", "ap-southeast-1": "Z1LMS91P8CMLE5", "ap-southeast-2": "Z1GM3OXH4ZPM65",
    "ap-south-1": "ZP97RAFLXTNZK", "eu-west-1": "Z32O12XQLNTSW2", "eu-west-2": "ZHURV8PSTC4K8",
    "eu-central-1": "Z215JYRZR1TBD5", "eu-north-1": "Z23TAZ7KAD4O6R", "ca-central-1": "ZQSVJUPU6J1EY",
    "sa-east-1": "Z2P70J7HTTTPLU", "eu-west-3": "Z3Q77PNBQS71R4",
}


@dataclass
class LoadBalancer:
    arn: str
    name: str
    lb_id: str  # the hex id in the ARN and the DNS name
    scheme: str
    vpc_id: str
    created: float
    zones: list[dict] = field(default_factory=list)  # [{"ZoneName", "SubnetId"}]
    security_groups: list[str] = field(default_factory=list)
    ip_address_type: str = "ipv4"
    state: str = "provisioning"  # provisioning -> active
    # The DNS name's address (a stable endpoint that follows the serving nodes) and one node
    # address per AZ; each listener opens its port on all of them.
    dns_address: str = ""
    nodes: dict[str, str] = field(default_factory=dict)  # zone -> node address
    attributes: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    # The LCU reservation: {"units", "state" (pending | provisioned), "modified", "day", "decreases"}
    capacity: dict = field(default_factory=dict)


@dataclass
class TargetGroup:
    arn: str
    name: str
    protocol: str
    port: int
    vpc_id: str
    target_type: str  # instance | ip
    protocol_version: str = "HTTP1"
    health_check: dict[str, Any] = field(default_factory=dict)  # the HealthCheck* members and Matcher
    attributes: dict[str, str] = field(default_factory=dict)
    targets: list[dict] = field(default_factory=list)  # [{"Id", "Port", "AvailabilityZone"?}]
    tags: dict[str, str] = field(default_factory=dict)
    ip_address_type: str = "ipv4"


@dataclass
class Listener:
    arn: str
    lb_arn: str
    port: int
    protocol: str
    default_actions: list[dict] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    # HTTPS: the certificate ARNs the user gave (the first is the default) and the security policy.
    # Nodes serve a certificate of the local CA for their addresses whatever the ARNs name, as
    # regionbox serves no ACM: clients trust `regionbox ca-cert`.
    certificates: list[str] = field(default_factory=list)
    ssl_policy: str | None = None
    # HTTPS: MutualAuthentication as given ({"Mode": "verify", "TrustStoreArn", ...}); None: off.
    mutual_authentication: dict | None = None
    attributes: dict[str, str] = field(default_factory=dict)  # ModifyListenerAttributes' keys and values


@dataclass
class Rule:
    arn: str
    listener_arn: str
    priority: str  # "1".."50000", or "default"
    conditions: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def is_default(self) -> bool:
        return self.priority == "default"


class Elbv2State:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.load_balancers = store.collection(LOAD_BALANCERS, LoadBalancer)
        self.target_groups = store.collection(TARGET_GROUPS, TargetGroup)
        self.listeners = store.collection(LISTENERS, Listener)
        self.rules = store.collection(RULES, Rule)
        self.trust_stores = store.collection(TRUST_STORES, TrustStore)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.store.transaction():
            yield

    def load_balancer(self, scope: Scope, arn: str) -> LoadBalancer:
        return _found(self.load_balancers.get(scope, arn), "LoadBalancerNotFound", "load balancers")

    def target_group(self, scope: Scope, arn: str) -> TargetGroup:
        return _found(self.target_groups.get(scope, arn), "TargetGroupNotFound", "target groups")

    def listener(self, scope: Scope, arn: str) -> Listener:
        return _found(self.listeners.get(scope, arn), "ListenerNotFound", "listeners")

    def rule(self, scope: Scope, arn: str) -> Rule:
        return _found(self.rules.get(scope, arn), "RuleNotFound", "rules")

    def trust_store(self, scope: Scope, arn: str) -> "TrustStore":
        found = self.trust_stores.get(scope, arn)
        if found is None:
            raise ServiceError("TrustStoreNotFound", f"Trust store '{arn}' not found")
        return found

    def listeners_of(self, scope: Scope, lb_arn: str) -> list[Listener]:
        return [item for item in self.listeners.values(scope) if item.lb_arn == lb_arn]

    def rules_of(self, scope: Scope, listener_arn: str) -> list[Rule]:
        """A listener's rules in evaluation order: by priority, the default rule last."""
        rules = [rule for rule in self.rules.values(scope) if rule.listener_arn == listener_arn]
        return sorted(rules, key=lambda rule: (rule.is_default, int(rule.priority) if not rule.is_default else 0))

    def target_group_users(self, scope: Scope, tg_arn: str) -> list[str]:
        """The load balancers whose listeners or rules forward to the target group."""
        users = []
        for listener in self.listeners.values(scope):
            actions = [*listener.default_actions]
            for rule in self.rules_of(scope, listener.arn):
                actions.extend(rule.actions)
            if tg_arn in forwarded_groups(actions) and listener.lb_arn not in users:
                users.append(listener.lb_arn)
        return users


def _found(resource, code: str, kind: str):
    if resource is None:
        raise ServiceError(code, f"One or more {kind} not found")
    return resource


def by_names(resources: list, names: list[str], code: str, kind: str) -> list:
    """The resources named, in the order asked, or AWS's error naming the missing ones
    ("Load balancers '[a, b]' not found")."""
    by_name = {resource.name: resource for resource in resources}
    missing = [name for name in names if name not in by_name]
    if missing:
        raise ServiceError(code, f"{kind} '[{', '.join(missing)}]' not found")
    return [by_name[name] for name in names]


def chosen(everything: list, arns: list[str] | None, names: list[str] | None, lookup, code: str, kind: str) -> list:
    """What a Describe* call names: the resources of ``arns`` (``lookup`` fails for one unknown), else
    of ``names``, else all of them."""
    if arns:
        return [lookup(arn) for arn in arns]
    if names:
        return by_names(everything, names, code, kind)
    return everything


def forwarded_groups(actions: list[dict]) -> list[str]:
    """Every target group ARN that these actions forward to (TargetGroupArn or ForwardConfig)."""
    arns: list[str] = []
    for action in actions:
        if action.get("Type") != "forward":
            continue
        if action.get("TargetGroupArn"):
            arns.append(action["TargetGroupArn"])
        for group in (action.get("ForwardConfig") or {}).get("TargetGroups", []):
            arns.append(group["TargetGroupArn"])
    return arns


@dataclass
class TrustStore:
    arn: str
    name: str
    bundle: str  # the CA certificates (PEM) as read from S3 when created or modified
    bundle_source: dict[str, str] = field(default_factory=dict)  # {"S3Bucket", "S3Key"[, "S3ObjectVersion"]}
    certificates: int = 0
    status: str = "ACTIVE"
    # revocation id -> {"RevocationId", "RevocationType", "NumberOfRevokedEntries", "S3Bucket", "S3Key", "crl" (PEM)}
    revocations: dict[str, dict] = field(default_factory=dict)
    next_revocation: int = 1
    tags: dict[str, str] = field(default_factory=dict)
