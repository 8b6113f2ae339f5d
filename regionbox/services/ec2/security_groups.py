"""Security groups and their rules: Create/Describe/DeleteSecurityGroup, Authorize/Revoke
SecurityGroupIngress/Egress, DescribeSecurityGroupRules.

Rules are kept one per peer (``sgr-`` ids, as AWS has them since 2021) and grouped by protocol
and ports into ``IpPermissions`` when a group is described. A group made by a call gets the one
rule every new group has: all traffic out to 0.0.0.0/0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from regionbox.core.arns import arn
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.services.ec2 import cidrs, filters
from regionbox.services.ec2.common import Describer, existing, not_found, page
from regionbox.services.ec2.default_vpc import DefaultNetwork
from regionbox.services.ec2.network import new_rule, new_security_group
from regionbox.services.ec2.state import Ec2State, SecurityGroup, SecurityGroupRule
from regionbox.services.ec2.tags import from_specifications, tag_list, with_tags

# Protocol names and numbers EC2 accepts, as it stores them.
_PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp", "1": "icmp",
              "icmpv6": "icmpv6", "58": "icmpv6", "-1": "-1", "all": "-1"}
_WITH_PORTS = ("tcp", "udp", "icmp", "icmpv6")


def _protocol(value: Any) -> str:
    text = str(value).lower() if value is not None else ""
    if text in _PROTOCOLS:
        return _PROTOCOLS[text]
    if text.isdigit() and 0 <= int(text) <= 255:
        return str(int(text))
    raise invalid(f"Invalid value '{value}' for IP protocol. Unknown protocol.")


def _ports(protocol: str, from_port: int | None, to_port: int | None) -> tuple[int, int]:
    if protocol in ("tcp", "udp"):
        if from_port is None or to_port is None:
            raise ServiceError("InvalidParameterValue",
                               "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange")
        if not 0 <= from_port <= to_port <= 65535:
            raise invalid(f"Invalid TCP/UDP port range {from_port}-{to_port}: ports are "
                          "0 to 65535 and the from port may not exceed the to port.")
        return from_port, to_port
    if protocol in ("icmp", "icmpv6"):
        # For ICMP the "ports" are the type and the code; -1 is any.
        icmp_type = -1 if from_port is None else from_port
        code = -1 if to_port is None else to_port
        if not (-1 <= icmp_type <= 255 and -1 <= code <= 255):
            raise invalid(f"Invalid ICMP type {icmp_type} or code {code}.")
        return icmp_type, code
    return -1, -1  # every other protocol has no ports: all of it


def _rule_text(rule: SecurityGroupRule) -> str:
    """How EC2 names a rule in InvalidPermission.Duplicate."""
    name = "ALL" if rule.protocol == "-1" else rule.protocol.upper()
    if rule.protocol in ("tcp", "udp"):
        name += f", from port: {rule.from_port}, to port: {rule.to_port}"
    elif rule.protocol in ("icmp", "icmpv6"):
        name += f", type: {rule.from_port}, code: {rule.to_port}"
    return f"peer: {rule.peer()}, {name}, ALLOW"


def group_arn(scope: Scope, group_id: str) -> str:
    return arn("ec2", scope[1], scope[0], f"security-group/{group_id}")


def permissions(rules: list[SecurityGroupRule]) -> list[dict]:
    """Rules grouped as IpPermissions: one per protocol and port range, with its peers."""
    grouped: dict[tuple, dict] = {}
    for rule in rules:
        key = (rule.protocol, rule.from_port, rule.to_port)
        permission = grouped.get(key)
        if permission is None:
            permission = grouped[key] = {"IpProtocol": rule.protocol, "IpRanges": [], "Ipv6Ranges": [],
                                         "PrefixListIds": [], "UserIdGroupPairs": []}
            if rule.protocol in _WITH_PORTS:
                permission.update(FromPort=rule.from_port, ToPort=rule.to_port)
        described = {"Description": rule.description} if rule.description else {}
        if rule.cidr_ipv4:
            permission["IpRanges"].append({"CidrIp": rule.cidr_ipv4, **described})
        elif rule.cidr_ipv6:
            permission["Ipv6Ranges"].append({"CidrIpv6": rule.cidr_ipv6, **described})
        elif rule.prefix_list_id:
            permission["PrefixListIds"].append({"PrefixListId": rule.prefix_list_id, **described})
        else:
            permission["UserIdGroupPairs"].append({"UserId": rule.referenced_user_id, "GroupId": rule.referenced_group_id,
                                                   **described})
    return list(grouped.values())


def _peer(rule: SecurityGroupRule) -> dict:
    if rule.cidr_ipv4:
        return {"CidrIpv4": rule.cidr_ipv4}
    if rule.cidr_ipv6:
        return {"CidrIpv6": rule.cidr_ipv6}
    if rule.prefix_list_id:
        return {"PrefixListId": rule.prefix_list_id}
    return {"ReferencedGroupInfo": {"GroupId": rule.referenced_group_id, "UserId": rule.referenced_user_id}}


def rule_shape(rule: SecurityGroupRule, scope: Scope) -> dict:
    shape = {"SecurityGroupRuleId": rule.rule_id, "GroupId": rule.group_id, "GroupOwnerId": scope[0],
             "IsEgress": rule.is_egress, "IpProtocol": rule.protocol, "FromPort": rule.from_port,
             "ToPort": rule.to_port, **_peer(rule), "Tags": tag_list(rule.tags),
             "SecurityGroupRuleArn": arn("ec2", scope[1], scope[0], f"security-group-rule/{rule.rule_id}")}
    if rule.description:
        shape["Description"] = rule.description
    return shape


def _revoked_shape(rule: SecurityGroupRule) -> dict:
    peer = _peer(rule)
    if "ReferencedGroupInfo" in peer:
        peer = {"ReferencedGroupId": rule.referenced_group_id}
    shape = {"SecurityGroupRuleId": rule.rule_id, "GroupId": rule.group_id, "IsEgress": rule.is_egress,
             "IpProtocol": rule.protocol, "FromPort": rule.from_port, "ToPort": rule.to_port, **peer}
    if rule.description:
        shape["Description"] = rule.description
    return shape


@dataclass
class SecurityGroups:
    state: Ec2State
    defaults: DefaultNetwork
    describer: Describer

    # -- finding groups ---------------------------------------------------------------------------

    def _by_name(self, scope: Scope, name: str) -> SecurityGroup:
        """A group named without its id is looked for in the default VPC, as EC2 does."""
        vpc = self.state.default_vpc(scope)
        if vpc is None:
            raise ServiceError("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for "
                                                    "EC2-Classic and default VPC.")
        group = next((g for g in self.state.groups_of(scope, vpc.vpc_id) if g.group_name == name), None)
        if group is None:
            raise ServiceError("InvalidGroup.NotFound", f"The security group '{name}' does not exist in default VPC "
                                                        f"'{vpc.vpc_id}'")
        return group

    def _target(self, scope: Scope, params: dict) -> SecurityGroup:
        if params.get("GroupId"):
            return existing(self.state, "sg", scope, params["GroupId"])
        if params.get("GroupName"):
            return self._by_name(scope, params["GroupName"])
        raise ServiceError("MissingParameter", "The request must contain the parameter groupName or groupId")

    def shape(self, group: SecurityGroup, scope: Scope) -> dict:
        rules = self.state.rules_of(scope, group.group_id)
        return with_tags({
            "GroupId": group.group_id,
            "GroupName": group.group_name,
            "Description": group.description,
            "VpcId": group.vpc_id,
            "OwnerId": scope[0],
            "SecurityGroupArn": group_arn(scope, group.group_id),
            "IpPermissions": permissions([r for r in rules if not r.is_egress]),
            "IpPermissionsEgress": permissions([r for r in rules if r.is_egress]),
        }, group.tags)

    # -- groups -----------------------------------------------------------------------------------
    def create_security_group(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        name, description = params.get("GroupName") or "", params.get("Description") or ""
        if name.lower().startswith("sg-"):
            raise invalid("Group names may not be in the format sg-*.")
        if name == "default":
            raise invalid("Cannot use reserved security group name: default")
        for parameter, value in (("GroupName", name), ("GroupDescription", description)):
            if len(value) > 255:
                raise invalid(f"Value ({value}) for parameter {parameter} is invalid. "
                              "Length exceeds maximum of 255 characters.")
        if params.get("VpcId"):
            vpc = existing(self.state, "vpc", scope, params["VpcId"])
        else:
            vpc = self.state.default_vpc(scope)
            if vpc is None:
                raise ServiceError("VPCIdNotSpecified", "No default VPC for this user")
        if any(g.group_name == name for g in self.state.groups_of(scope, vpc.vpc_id)):
            raise ServiceError("InvalidGroup.Duplicate", f"The security group '{name}' already exists for VPC "
                                                         f"'{vpc.vpc_id}'")
        tags = from_specifications(params, "security-group")
        with self.state.store.transaction():
            group = new_security_group(self.state, scope, vpc.vpc_id, name, description, tags)
        output = {"GroupId": group.group_id, "SecurityGroupArn": group_arn(scope, group.group_id)}
        return with_tags(output, group.tags)

    def describe_security_groups(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        groups = self.state.security_groups.values(scope)
        if params.get("GroupNames"):
            named = {self._by_name(scope, name).group_id for name in params["GroupNames"]}
            groups = [g for g in groups if g.group_id in named]
        found, token = self.describer.select(groups, params, ids="GroupIds", kind="sg", fields=self._fields(scope))
        return page({"SecurityGroups": [self.shape(g, scope) for g in found]}, token)

    def _fields(self, scope: Scope) -> filters.Fields:
        def of(egress: bool, value: Callable[[SecurityGroupRule], Any]) -> Callable[[SecurityGroup], list]:
            return lambda g: [value(r) for r in self.state.rules_of(scope, g.group_id) if r.is_egress == egress]

        fields: filters.Fields = {
            "group-id": lambda g: g.group_id,
            "group-name": lambda g: g.group_name,
            "description": lambda g: g.description,
            "vpc-id": lambda g: g.vpc_id,
            "owner-id": lambda g: scope[0],
        }
        for prefix, egress in (("ip-permission.", False), ("egress.ip-permission.", True)):
            fields.update({
                prefix + "cidr": of(egress, lambda r: r.cidr_ipv4 or None),
                prefix + "ipv6-cidr": of(egress, lambda r: r.cidr_ipv6 or None),
                prefix + "prefix-list-id": of(egress, lambda r: r.prefix_list_id or None),
                prefix + "group-id": of(egress, lambda r: r.referenced_group_id or None),
                prefix + "user-id": of(egress, lambda r: r.referenced_user_id or None),
                prefix + "protocol": of(egress, lambda r: r.protocol),
                prefix + "from-port": of(egress, lambda r: r.from_port),
                prefix + "to-port": of(egress, lambda r: r.to_port),
            })
        return fields

    def delete_security_group(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        group = self._target(scope, params)
        if group.group_name == "default":
            raise ServiceError("CannotDelete", f'the specified group: "{group.group_id}" name: "default" cannot be '
                                               "deleted by a user")
        if any(r.referenced_group_id == group.group_id and r.group_id != group.group_id
               for r in self.state.security_group_rules.values(scope)):
            raise ServiceError("DependencyViolation", f"resource {group.group_id} has a dependent object")
        with self.state.store.transaction():
            for rule in self.state.rules_of(scope, group.group_id):
                self.state.security_group_rules.delete(scope, rule.rule_id)
            self.state.security_groups.delete(scope, group.group_id)
        return {"Return": True, "GroupId": group.group_id}

    # -- rules ------------------------------------------------------------------------------------
    def _requested(self, scope: Scope, group: SecurityGroup, params: dict, egress: bool) -> list[SecurityGroupRule]:
        """The rules a call's IpPermissions (or its older flat parameters) stand for."""
        requested = params.get("IpPermissions")
        if not requested:
            flat: dict[str, Any] = {"IpProtocol": params.get("IpProtocol") or "-1",
                                    "FromPort": params.get("FromPort"), "ToPort": params.get("ToPort")}
            if params.get("CidrIp"):
                flat["IpRanges"] = [{"CidrIp": params["CidrIp"]}]
            if params.get("SourceSecurityGroupName"):
                flat["UserIdGroupPairs"] = [{"GroupName": params["SourceSecurityGroupName"],
                                             "UserId": params.get("SourceSecurityGroupOwnerId")}]
            requested = [flat]
        rules = []
        for permission in requested:
            protocol = _protocol(permission.get("IpProtocol"))
            from_port, to_port = _ports(protocol, permission.get("FromPort"), permission.get("ToPort"))

            def rule(description: str | None = None, **peer: str) -> None:
                rules.append(new_rule(group.group_id, egress, protocol, from_port, to_port,
                                      description=description or "", **peer))

            for entry in permission.get("IpRanges") or []:
                rule(entry.get("Description"), cidr_ipv4=cidrs.rule_peer(entry.get("CidrIp") or ""))
            for entry in permission.get("Ipv6Ranges") or []:
                rule(entry.get("Description"), cidr_ipv6=cidrs.rule_peer(entry.get("CidrIpv6") or "", version=6))
            for entry in permission.get("PrefixListIds") or []:
                rule(entry.get("Description"), prefix_list_id=entry.get("PrefixListId") or "")
            for pair in permission.get("UserIdGroupPairs") or []:
                user = pair.get("UserId") or scope[0]
                referenced = pair.get("GroupId")
                if user == scope[0]:
                    # A group of this account: it must exist (a name means one in the same VPC).
                    if referenced:
                        referenced = existing(self.state, "sg", scope, referenced).group_id
                    else:
                        referenced = next((g.group_id for g in self.state.groups_of(scope, group.vpc_id)
                                           if g.group_name == pair.get("GroupName")), None)
                        if referenced is None:
                            raise not_found("sg", pair.get("GroupName"))
                elif not referenced:
                    raise invalid("A group of another account is named by its id.")
                rule(pair.get("Description"), referenced_group_id=referenced, referenced_user_id=user)
            if not any(permission.get(k) for k in ("IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs")):
                raise ServiceError("MissingParameter", "The request must contain a source or destination for each rule: "
                                                       "IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs")
        return rules

    def _authorize(self, ctx: RequestContext, params: dict, egress: bool) -> dict:
        scope = self.defaults.prepare(ctx, params)
        group = existing(self.state, "sg", scope, params.get("GroupId")) if egress else self._target(scope, params)
        rules = self._requested(scope, group, params, egress)
        present = {r.key() for r in self.state.rules_of(scope, group.group_id)}
        for rule in rules:
            if rule.key() in present:
                raise ServiceError("InvalidPermission.Duplicate", f'the specified rule "{_rule_text(rule)}" already exists')
            present.add(rule.key())
        tags = from_specifications(params, "security-group-rule")
        with self.state.store.transaction():
            for rule in rules:
                rule.tags = dict(tags)
                self.state.security_group_rules.put(scope, rule.rule_id, rule)
        return {"Return": True, "SecurityGroupRules": [rule_shape(r, scope) for r in rules]}

    def authorize_security_group_ingress(self, ctx: RequestContext, params: dict) -> dict:
        return self._authorize(ctx, params, egress=False)

    def authorize_security_group_egress(self, ctx: RequestContext, params: dict) -> dict:
        return self._authorize(ctx, params, egress=True)

    def _revoke(self, ctx: RequestContext, params: dict, egress: bool) -> dict:
        scope = self.defaults.prepare(ctx, params)
        group = existing(self.state, "sg", scope, params.get("GroupId")) if egress else self._target(scope, params)
        rules = [r for r in self.state.rules_of(scope, group.group_id) if r.is_egress == egress]
        unknown: list[SecurityGroupRule] = []
        if params.get("SecurityGroupRuleIds"):
            by_id = {r.rule_id: r for r in rules}
            for rule_id in params["SecurityGroupRuleIds"]:
                if rule_id not in by_id:
                    raise not_found("sgr", rule_id)
            revoked = [by_id[rule_id] for rule_id in params["SecurityGroupRuleIds"]]
        else:
            by_key = {r.key(): r for r in rules}
            revoked = []
            for rule in self._requested(scope, group, params, egress):
                if rule.key() in by_key:
                    revoked.append(by_key[rule.key()])
                else:
                    unknown.append(rule)
            # Nothing matched at all is an error; some unknown rules are reported back.
            if not revoked:
                raise ServiceError("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
        with self.state.store.transaction():
            for rule in revoked:
                self.state.security_group_rules.delete(scope, rule.rule_id)
        output: dict = {"Return": True, "RevokedSecurityGroupRules": [_revoked_shape(r) for r in revoked]}
        if unknown:
            output["UnknownIpPermissions"] = permissions(unknown)
        return output

    def revoke_security_group_ingress(self, ctx: RequestContext, params: dict) -> dict:
        return self._revoke(ctx, params, egress=False)

    def revoke_security_group_egress(self, ctx: RequestContext, params: dict) -> dict:
        return self._revoke(ctx, params, egress=True)

    def describe_security_group_rules(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        fields: filters.Fields = {"group-id": lambda r: r.group_id, "security-group-rule-id": lambda r: r.rule_id}
        found, token = self.describer.select(self.state.security_group_rules.values(scope), params,
                                             ids="SecurityGroupRuleIds", kind="sgr", fields=fields)
        return page({"SecurityGroupRules": [rule_shape(r, scope) for r in found]}, token)

