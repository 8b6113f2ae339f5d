"""Listeners: Create/Describe/Modify/DeleteListener, and the actions listeners and rules take.

A listener is a port on every node of its load balancer (nodes.py opens them). Its default
actions are also its default rule, as DescribeRules shows on AWS: the rule with priority
"default" that no condition guards and that cannot be deleted.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from regionbox.core import ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.elbv2 import ssl_policies
from regionbox.services.elbv2.health import Health
from regionbox.services.elbv2.load_balancers import page_of
from regionbox.services.elbv2.models import Elbv2State, Listener, Rule

if TYPE_CHECKING:
    from regionbox.services.elbv2.nodes import Nodes

MAX_LISTENERS = 50
STATUS_CODE = re.compile(r"[245]\d\d")


def check_actions(state: Elbv2State, scope: Scope, actions: list[dict]) -> list[dict]:
    """Actions as AWS accepts them: one final action (forward, fixed-response or redirect), every
    target group known; the shapes kept as given, with the forward's ForwardConfig filled in."""
    if not actions:
        raise invalid("At least one action must be specified")
    shaped = []
    for order, action in enumerate(sorted(actions, key=lambda a: a.get("Order", 0)), start=1):
        kind = action["Type"]
        out: dict[str, Any] = {"Type": kind, "Order": action.get("Order", order)}
        if kind == "forward":
            groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
            if action.get("TargetGroupArn"):
                if groups and [g["TargetGroupArn"] for g in groups] != [action["TargetGroupArn"]]:
                    raise ServiceError("InvalidLoadBalancerAction",
                                       "You cannot specify both a target group ARN and a forward config with different target groups")
                groups = groups or [{"TargetGroupArn": action["TargetGroupArn"]}]
            if not groups:
                raise ServiceError("InvalidLoadBalancerAction", "A target group ARN must be specified for a forward action")
            for group in groups:
                state.target_group(scope, group["TargetGroupArn"])
                if not 0 <= group.get("Weight", 1) <= 999:
                    raise invalid("Target group weight must be between 0 and 999")
            stickiness = (action.get("ForwardConfig") or {}).get("TargetGroupStickinessConfig") or {"Enabled": False}
            if stickiness.get("Enabled") and not 1 <= stickiness.get("DurationSeconds", 0) <= 604800:
                raise invalid("Target group stickiness duration must be between 1 and 604800 seconds")
            config = {"TargetGroups": [{"TargetGroupArn": g["TargetGroupArn"], "Weight": g.get("Weight", 1)} for g in groups],
                      "TargetGroupStickinessConfig": stickiness}
            if len(groups) == 1:
                out["TargetGroupArn"] = groups[0]["TargetGroupArn"]
            out["ForwardConfig"] = config
        elif kind == "fixed-response":
            config = action.get("FixedResponseConfig")
            if not config or not STATUS_CODE.fullmatch(config.get("StatusCode", "")):
                raise ServiceError("InvalidLoadBalancerAction",
                                   "A fixed-response action needs a FixedResponseConfig with a 2XX, 4XX or 5XX status code")
            if len(config.get("MessageBody", "")) > 1024:
                raise invalid("The fixed-response message body cannot be longer than 1024 characters")
            out["FixedResponseConfig"] = dict(config)
        elif kind == "redirect":
            config = action.get("RedirectConfig")
            if not config or config.get("StatusCode") not in ("HTTP_301", "HTTP_302"):
                raise ServiceError("InvalidLoadBalancerAction",
                                   "A redirect action needs a RedirectConfig with status code HTTP_301 or HTTP_302")
            out["RedirectConfig"] = {"Protocol": "#{protocol}", "Port": "#{port}", "Host": "#{host}",
                                     "Path": "/#{path}", "Query": "#{query}", **config}
        else:
            raise ServiceError("InvalidLoadBalancerAction",
                               f"Action type '{kind}' is not supported by regionbox; use forward, fixed-response or redirect")
        shaped.append(out)
    if len(shaped) > 1:
        raise ServiceError("TooManyActions", "A rule or listener can have only one forward, fixed-response or redirect action")
    return shaped


def describe_listener(listener: Listener) -> dict[str, Any]:
    described = {"ListenerArn": listener.arn, "LoadBalancerArn": listener.lb_arn, "Port": listener.port,
                 "Protocol": listener.protocol, "DefaultActions": listener.default_actions}
    if listener.protocol == "HTTPS":
        described.update(Certificates=[{"CertificateArn": listener.certificates[0]}], SslPolicy=listener.ssl_policy,
                         MutualAuthentication=mutual_out(listener.mutual_authentication))
    return described


def mutual_out(mutual: dict | None) -> dict[str, Any]:
    if not mutual or mutual.get("Mode", "off") == "off":
        return {"Mode": "off"}
    return {"Mode": mutual["Mode"], "TrustStoreArn": mutual["TrustStoreArn"],
            "IgnoreClientCertificateExpiry": bool(mutual.get("IgnoreClientCertificateExpiry", False)),
            "TrustStoreAssociationStatus": "active",
            "AdvertiseTrustStoreCaNames": mutual.get("AdvertiseTrustStoreCaNames", "off")}


def _tls(protocol: str, params: dict, certificates: list[str], ssl_policy: str | None) -> tuple[list[str], str | None]:
    """An HTTPS listener's certificates and security policy, as AWS requires them."""
    if protocol != "HTTPS":
        return [], None
    given = [c["CertificateArn"] for c in params.get("Certificates") or [] if c.get("CertificateArn")]
    certificates = given + [arn for arn in certificates if arn not in given] if given else certificates
    if not certificates:
        raise ServiceError("CertificateNotFound", "A certificate must be specified for HTTPS listeners")
    return certificates, ssl_policies.check_policy(params.get("SslPolicy") or ssl_policy or ssl_policies.DEFAULT_POLICY)


def _mutual(state: Elbv2State, scope: Scope, protocol: str, params: dict, current: dict | None) -> dict | None:
    """An HTTPS listener's MutualAuthentication: off, or verify with a trust store of the account."""
    given = params.get("MutualAuthentication")
    if given is None:
        return current if protocol == "HTTPS" else None
    mode = given.get("Mode", "off")
    if mode == "off":
        return None
    if protocol != "HTTPS":
        raise ServiceError("InvalidConfigurationRequest", "Mutual authentication is supported on HTTPS listeners only")
    if mode == "passthrough":
        # Passthrough hands the target a certificate the node never verified, which Python's TLS
        # cannot accept from a client; verify mode is served.
        raise ServiceError("InvalidConfigurationRequest",
                           "Mutual authentication mode 'passthrough' is not served by regionbox; use 'verify'")
    if mode != "verify":
        raise invalid(f"Mutual authentication mode '{mode}' is not valid; use off, passthrough or verify")
    if not given.get("TrustStoreArn"):
        raise invalid("A trust store ARN must be specified for mutual authentication in verify mode")
    state.trust_store(scope, given["TrustStoreArn"])
    return {"Mode": "verify", "TrustStoreArn": given["TrustStoreArn"],
            "IgnoreClientCertificateExpiry": bool(given.get("IgnoreClientCertificateExpiry", False)),
            "AdvertiseTrustStoreCaNames": given.get("AdvertiseTrustStoreCaNames", "off")}


class Listeners:
    """Create/Describe/Modify/DeleteListener, and an HTTPS listener's certificates."""

    def __init__(self, state: Elbv2State, nodes: "Nodes", health: Health, paginator: Paginator) -> None:
        self.state = state
        self.nodes = nodes
        self.health = health
        self.paginator = paginator

    @staticmethod
    def _protocol(params: dict) -> str:
        protocol = params.get("Protocol", "HTTP")
        if protocol not in ("HTTP", "HTTPS"):
            raise ServiceError("UnsupportedProtocol", f"Protocol '{protocol}' is not supported by application load balancers")
        return protocol

    async def create_listener(self, ctx: RequestContext, params: dict) -> dict:
        lb = self.state.load_balancer(ctx.scope, params["LoadBalancerArn"])
        protocol = self._protocol(params)
        port = params.get("Port", 80 if protocol == "HTTP" else 443)
        if not 1 <= port <= 65535:
            raise invalid("Port must be between 1 and 65535")
        certificates, ssl_policy = _tls(protocol, params, [], None)
        mutual = _mutual(self.state, ctx.scope, protocol, params, None)
        existing = self.state.listeners_of(ctx.scope, lb.arn)
        actions = check_actions(self.state, ctx.scope, params["DefaultActions"])
        for listener in existing:
            if listener.port == port:
                if listener.protocol == protocol and listener.default_actions == actions:
                    return {"Listeners": [describe_listener(listener)]}
                raise ServiceError("DuplicateListener", "A listener already exists on this port for this load balancer "
                                   f"'{lb.arn}'")
        if len(existing) >= MAX_LISTENERS:
            raise ServiceError("TooManyListeners", f"You've reached the limit on the number of listeners per load balancer "
                               f"('{MAX_LISTENERS}')")
        suffix = lb.arn.split(":loadbalancer/", 1)[1]
        listener = Listener(arn=ctx.arn("elasticloadbalancing", f"listener/{suffix}/{ids.hex_id(length=16)}"),
                            lb_arn=lb.arn, port=port, protocol=protocol, default_actions=actions,
                            tags={tag["Key"]: tag.get("Value", "") for tag in params.get("Tags") or []},
                            certificates=certificates, ssl_policy=ssl_policy, mutual_authentication=mutual)
        default_rule = Rule(arn=rule_arn(ctx, listener.arn), listener_arn=listener.arn, priority="default", actions=actions)
        # Before storing: a port another process holds fails the call, and nothing is left behind.
        await self.nodes.open(ctx.scope, lb, listener)
        with self.state.transaction():
            self.state.listeners.put(ctx.scope, listener.arn, listener)
            self.state.rules.put(ctx.scope, default_rule.arn, default_rule)
        self.health.sync_scope(ctx.scope)
        return {"Listeners": [describe_listener(listener)]}

    def describe_listeners(self, ctx: RequestContext, params: dict) -> dict:
        lb_arn, arns = params.get("LoadBalancerArn"), params.get("ListenerArns")
        if lb_arn and arns:
            raise invalid("Listener ARNs and a load balancer ARN cannot be specified at the same time")
        if arns:
            found = [self.state.listener(ctx.scope, arn) for arn in arns]
        elif lb_arn:
            self.state.load_balancer(ctx.scope, lb_arn)
            found = self.state.listeners_of(ctx.scope, lb_arn)
        else:
            raise invalid("You must specify either listener ARNs or a load balancer ARN")
        return page_of(self.paginator, found, params, "Listeners", describe_listener, [lb_arn, arns])

    async def modify_listener(self, ctx: RequestContext, params: dict) -> dict:
        listener = self.state.listener(ctx.scope, params["ListenerArn"])
        lb = self.state.load_balancer(ctx.scope, listener.lb_arn)
        protocol = self._protocol(params) if "Protocol" in params else listener.protocol
        certificates, ssl_policy = _tls(protocol, params, listener.certificates, listener.ssl_policy)
        actions = (check_actions(self.state, ctx.scope, params["DefaultActions"]) if params.get("DefaultActions")
                   else listener.default_actions)
        port = params.get("Port", listener.port)
        if port != listener.port and any(other.port == port for other in self.state.listeners_of(ctx.scope, lb.arn)):
            raise ServiceError("DuplicateListener", f"A listener already exists on this port for this load balancer '{lb.arn}'")
        mutual = _mutual(self.state, ctx.scope, protocol, params, listener.mutual_authentication)
        old_port = listener.port
        listener.port, listener.protocol, listener.default_actions = port, protocol, actions
        listener.certificates, listener.ssl_policy, listener.mutual_authentication = certificates, ssl_policy, mutual
        await self.nodes.refresh(ctx.scope, lb, listener, old_port)
        with self.state.transaction():
            self.state.listeners.put(ctx.scope, listener.arn, listener)
            for rule in self.state.rules_of(ctx.scope, listener.arn):
                if rule.is_default:
                    rule.actions = listener.default_actions
                    self.state.rules.put(ctx.scope, rule.arn, rule)
        self.health.sync_scope(ctx.scope)
        return {"Listeners": [describe_listener(listener)]}

    async def delete_listener(self, ctx: RequestContext, params: dict) -> dict:
        listener = self.state.listener(ctx.scope, params["ListenerArn"])
        with self.state.transaction():
            for rule in self.state.rules_of(ctx.scope, listener.arn):
                self.state.rules.delete(ctx.scope, rule.arn)
            self.state.listeners.delete(ctx.scope, listener.arn)
        lb = self.state.load_balancers.get(ctx.scope, listener.lb_arn)
        if lb is not None:
            await self.nodes.close(lb, listener.port)
        self.health.sync_scope(ctx.scope)
        return {}

    # -- an HTTPS listener's certificates (the first is the default one, set by Create/ModifyListener) --
    def describe_listener_certificates(self, ctx: RequestContext, params: dict) -> dict:
        listener = self.state.listener(ctx.scope, params["ListenerArn"])
        return {"Certificates": [{"CertificateArn": arn, "IsDefault": index == 0}
                                 for index, arn in enumerate(listener.certificates)]}

    def add_listener_certificates(self, ctx: RequestContext, params: dict) -> dict:
        listener = self.state.listener(ctx.scope, params["ListenerArn"])
        if listener.protocol != "HTTPS":
            raise ServiceError("IncompatibleProtocols", "Certificates can only be added to HTTPS listeners")
        added = [c["CertificateArn"] for c in params["Certificates"]]
        listener.certificates = listener.certificates + [arn for arn in added if arn not in listener.certificates]
        self.state.listeners.put(ctx.scope, listener.arn, listener)
        return {"Certificates": [{"CertificateArn": arn, "IsDefault": False} for arn in added]}

    def remove_listener_certificates(self, ctx: RequestContext, params: dict) -> dict:
        listener = self.state.listener(ctx.scope, params["ListenerArn"])
        removed = [c["CertificateArn"] for c in params["Certificates"]]
        if listener.certificates and listener.certificates[0] in removed:
            raise ServiceError("OperationNotPermitted", "The default certificate of a listener cannot be removed")
        listener.certificates = [arn for arn in listener.certificates if arn not in removed]
        self.state.listeners.put(ctx.scope, listener.arn, listener)
        return {}


def rule_arn(ctx: RequestContext, listener_arn: str) -> str:
    suffix = listener_arn.split(":listener/", 1)[1]
    return ctx.arn("elasticloadbalancing", f"listener-rule/{suffix}/{ids.hex_id(length=16)}")
