"""DescribeAccountAttributes: RDS's quotas per account and region, with AWS's names and default
maximums, and what the caller uses of each. The operations that create what a quota counts ask
``quota`` for its maximum, so the figure described is the one enforced."""

from __future__ import annotations

from regionbox.services.rds.models import RdsState

# AWS's default quotas (Service Quotas' RDS page); AllocatedStorage in GiB.
QUOTAS = {
    "AllocatedStorage": 100000, "AuthorizationsPerDBSecurityGroup": 20, "CustomEndpointsPerDBCluster": 5,
    "DBClusterParameterGroups": 50, "DBClusterRoles": 5, "DBClusters": 40, "DBInstanceRoles": 5, "DBInstances": 40,
    "DBParameterGroups": 50, "DBSecurityGroups": 25, "DBSubnetGroups": 50, "EventSubscriptions": 20,
    "ManualClusterSnapshots": 100, "ManualSnapshots": 100, "OptionGroups": 20, "ReadReplicasPerMaster": 15,
    "ReservedDBInstances": 40, "SubnetsPerDBSubnetGroup": 20,
}


def quota(name: str) -> int:
    return QUOTAS[name]


class Account:
    def __init__(self, state: RdsState) -> None:
        self.state = state

    def used(self, scope) -> dict[str, int]:
        state = self.state
        instances = state.instances.values(scope)
        replicas: dict[str, int] = {}
        for instance in instances:
            if instance.replica_source:
                replicas[instance.replica_source] = replicas.get(instance.replica_source, 0) + 1
        return {
            "AllocatedStorage": sum(i.allocated_storage for i in instances),
            "DBInstanceRoles": max((len(i.associated_roles) for i in instances), default=0),
            "DBInstances": len(instances),
            "DBParameterGroups": len(state.parameter_groups.values(scope)),
            "DBSubnetGroups": len(state.subnet_groups.values(scope)),
            "EventSubscriptions": len(state.subscriptions.values(scope)),
            "ManualSnapshots": sum(1 for s in state.snapshots.values(scope) if s.snapshot_type == "manual"),
            "OptionGroups": len(state.option_groups.values(scope)),
            "ReadReplicasPerMaster": max(replicas.values(), default=0),
            "ReservedDBInstances": sum(r.count for r in state.reserved.values(scope)),
            "SubnetsPerDBSubnetGroup": max((len(g.subnets) for g in state.subnet_groups.values(scope)), default=0),
        }

    def describe_account_attributes(self, ctx, params: dict) -> dict:
        used = self.used(ctx.scope)
        return {"AccountQuotas": [{"AccountQuotaName": name, "Used": used.get(name, 0), "Max": maximum}
                                  for name, maximum in QUOTAS.items()]}
