"""What each ElastiCache operation touches, for the gateway's authorization (``Service.resources``).

As ElastiCache's authorization reference has it: an operation acts on the resources it names,
``arn:aws:elasticache:REGION:ACCOUNT:replicationgroup:ID`` (and ``cluster:``, ``user:``,
``usergroup:``, ``parametergroup:``, ``subnetgroup:``, ``snapshot:``, ``serverlesscache:``,
``serverlesscachesnapshot:``, ``reservedinstance:``; ``globalreplicationgroup:`` without a region),
a creation also on the parameter group, subnet group, user groups and snapshot it uses; a Describe without an id, and account-wide calls, on "*".
The condition keys ElastiCache documents come from the request (elasticache:CacheNodeType,
EngineType, EngineVersion, NumNodeGroups, ReplicasPerNodeGroup, NumCacheNodes, the encryption,
failover, Multi-AZ and data tiering flags, AuthTokenEnabled, SnapshotRetentionLimit, KmsKeyId,
CacheParameterGroupName, UserAuthenticationMode). Tag calls act on the ARN they name; another
account's ARN is never found here (tags.py).
"""

from __future__ import annotations

from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.service import Access

# request member -> ARN resource type (lists of ids too)
_MEMBERS = {"ReplicationGroupId": "replicationgroup", "CacheClusterId": "cluster", "UserId": "user", "UserIds": "user",
            "UserIdsToAdd": "user", "UserIdsToRemove": "user", "UserGroupId": "usergroup", "UserGroupIds": "usergroup",
            "UserGroupIdsToAdd": "usergroup", "UserGroupIdsToRemove": "usergroup",
            "CacheParameterGroupName": "parametergroup", "CacheSubnetGroupName": "subnetgroup",
            "SnapshotName": "snapshot", "SourceSnapshotName": "snapshot", "TargetSnapshotName": "snapshot",
            "FinalSnapshotIdentifier": "snapshot", "ServerlessCacheName": "serverlesscache",
            "ServerlessCacheSnapshotName": "serverlesscachesnapshot", "SourceServerlessCacheSnapshotName": "serverlesscachesnapshot",
            "TargetServerlessCacheSnapshotName": "serverlesscachesnapshot", "FinalSnapshotName": "serverlesscachesnapshot",
            "ReservedCacheNodeId": "reservedinstance", "GlobalReplicationGroupId": "globalreplicationgroup"}
# Account-wide resources: their ARNs have no region.
_ACCOUNT_WIDE = {"globalreplicationgroup"}
# condition key -> (request member, how to read it)
_KEYS = {
    "elasticache:CacheNodeType": "CacheNodeType", "elasticache:EngineVersion": "EngineVersion",
    "elasticache:NumNodeGroups": "NumNodeGroups", "elasticache:ReplicasPerNodeGroup": "ReplicasPerNodeGroup",
    "elasticache:NumCacheNodes": "NumCacheNodes", "elasticache:AtRestEncryptionEnabled": "AtRestEncryptionEnabled",
    "elasticache:TransitEncryptionEnabled": "TransitEncryptionEnabled",
    "elasticache:AutomaticFailoverEnabled": "AutomaticFailoverEnabled", "elasticache:MultiAZEnabled": "MultiAZEnabled",
    "elasticache:SnapshotRetentionLimit": "SnapshotRetentionLimit", "elasticache:KmsKeyId": "KmsKeyId",
    "elasticache:CacheParameterGroupName": "CacheParameterGroupName", "elasticache:DataTieringEnabled": "DataTieringEnabled",
}


def _condition_keys(operation: str, params: dict) -> dict[str, Any]:
    keys: dict[str, Any] = {key: params[member] for key, member in _KEYS.items() if params.get(member) is not None}
    if params.get("Engine"):
        keys["elasticache:EngineType"] = str(params["Engine"]).lower()
    if params.get("NewReplicaCount") is not None:
        keys["elasticache:ReplicasPerNodeGroup"] = params["NewReplicaCount"]
    if params.get("NodeGroupCount") is not None:
        keys["elasticache:NumNodeGroups"] = params["NodeGroupCount"]
    if operation in ("CreateReplicationGroup", "ModifyReplicationGroup", "CreateCacheCluster", "ModifyCacheCluster"):
        keys["elasticache:AuthTokenEnabled"] = bool(params.get("AuthToken"))
    if params.get("ClusterMode"):
        keys["elasticache:ClusterModeEnabled"] = params["ClusterMode"] == "enabled"
    mode = params.get("AuthenticationMode")
    if isinstance(mode, dict) and mode.get("Type"):
        keys["elasticache:UserAuthenticationMode"] = mode["Type"]
    return keys


def resources(ctx: RequestContext, operation: str, params: dict) -> list:
    if "ResourceName" in params:
        return [params["ResourceName"]]
    arns = []
    for member, kind in _MEMBERS.items():
        value = params.get(member)
        for resource_id in value if isinstance(value, list) else [value] if value else []:
            if isinstance(resource_id, str):
                arns.append(ctx.arn("elasticache", f"{kind}:{resource_id}", regional=kind not in _ACCOUNT_WIDE))
    if not arns:
        return ["*"]
    context = _condition_keys(operation, params)
    return [Access(arn, context=context) for arn in dict.fromkeys(arns)]
