"""DescribeNetworkAcls: each VPC's default network ACL, which every subnet of it is associated with.

Its rules are AWS's defaults: rule 100 allows all traffic, the catch-all ``*`` rule (32767)
denies it, inbound and outbound. Custom ACLs and entries are not built yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.core.context import RequestContext
from regionbox.core.store import Scope
from regionbox.services.ec2 import filters
from regionbox.services.ec2.common import Describer, page
from regionbox.services.ec2.default_vpc import DefaultNetwork
from regionbox.services.ec2.state import Ec2State, NetworkAcl
from regionbox.services.ec2.tags import with_tags

ENTRIES = [{"RuleNumber": number, "Protocol": "-1", "RuleAction": action, "Egress": egress, "CidrBlock": "0.0.0.0/0"}
           for egress in (True, False) for number, action in ((100, "allow"), (32767, "deny"))]


@dataclass
class NetworkAcls:
    state: Ec2State
    defaults: DefaultNetwork
    describer: Describer

    def _associations(self, scope: Scope, acl: NetworkAcl) -> list[dict]:
        return [{"NetworkAclAssociationId": s.network_acl_association_id, "NetworkAclId": acl.network_acl_id,
                 "SubnetId": s.subnet_id} for s in self.state.subnets_of(scope, acl.vpc_id)]

    def _fields(self, scope: Scope) -> filters.Fields:
        def associations(key: str):
            return lambda acl: [a[key] for a in self._associations(scope, acl)]

        def entries(key: str):
            return lambda acl: [e[key] for e in ENTRIES]

        return {
            "network-acl-id": lambda acl: acl.network_acl_id,
            "vpc-id": lambda acl: acl.vpc_id,
            "default": lambda acl: acl.is_default,
            "owner-id": lambda acl: scope[0],
            "association.association-id": associations("NetworkAclAssociationId"),
            "association.network-acl-id": associations("NetworkAclId"),
            "association.subnet-id": associations("SubnetId"),
            "entry.rule-number": entries("RuleNumber"),
            "entry.rule-action": entries("RuleAction"),
            "entry.egress": entries("Egress"),
            "entry.cidr": entries("CidrBlock"),
            "entry.protocol": entries("Protocol"),
        }

    def describe_network_acls(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        found, token = self.describer.select(self.state.network_acls.values(scope), params, ids="NetworkAclIds",
                                             kind="acl", fields=self._fields(scope))
        return page({"NetworkAcls": [with_tags({
            "NetworkAclId": acl.network_acl_id,
            "VpcId": acl.vpc_id,
            "OwnerId": ctx.account_id,
            "IsDefault": acl.is_default,
            "Entries": ENTRIES,
            "Associations": self._associations(scope, acl),
        }, acl.tags) for acl in found]}, token)
