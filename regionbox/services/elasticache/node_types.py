"""ListAllowedNodeTypeModifications: the node types a cluster or replication group can be scaled to.

As AWS answers it: for Redis OSS and Valkey, every node type of more memory that the engine
version runs (ScaleUpModifications) and every one of less (ScaleDownModifications); data tiering
types (r6gd) only for a group that uses data tiering, and the other way round; Memcached clusters
change node type by being replaced, so both lists are empty.
"""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.elasticache import engine_catalog as catalog
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.state import ElastiCacheState


class NodeTypes:
    def __init__(self, state: ElastiCacheState) -> None:
        self.state = state

    def list_allowed_node_type_modifications(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        group_id, cluster_id = params.get("ReplicationGroupId"), params.get("CacheClusterId")
        if not group_id and not cluster_id:
            raise check.invalid_combination("Either CacheClusterId or ReplicationGroupId must be specified.")
        if group_id:
            holder = self.state.visible_group(scope, group_id)
            cluster_enabled, tiering = holder.cluster_enabled, holder.data_tiering == "enabled"
        else:
            holder = self.state.visible_cluster(scope, cluster_id)
            cluster_enabled, tiering = False, False
        if holder.engine == "memcached":
            return {"ScaleUpModifications": [], "ScaleDownModifications": []}
        memory = catalog.node_resources(holder.node_type)[1]
        up, down = [], []
        for node_type, (_, size) in sorted(catalog.NODE_TYPES.items(), key=lambda item: (item[1][1], item[0])):
            if node_type == holder.node_type or (".r6gd." in node_type) != tiering:
                continue
            try:
                check.engine_supports(holder.engine, holder.engine_version, node_type, cluster_enabled)
            except ServiceError:
                continue
            (up if size >= memory else down).append(node_type)
        return {"ScaleUpModifications": up, "ScaleDownModifications": down}
