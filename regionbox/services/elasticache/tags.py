"""Tags on ElastiCache resources, named by ARN: AddTagsToResource, ListTagsForResource,
RemoveTagsFromResource, and the checks every Create* applies to the tags it is given."""

from __future__ import annotations

from typing import Any

from regionbox.core.arns import Arn
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.store import Collection
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.models import ReplicationGroup
from regionbox.services.elasticache.state import ElastiCacheState

MAX_TAGS = 50

# Tag-able resources: ARN resource type -> (not-found code, what the message calls it).
_TAGGABLE = {
    "cluster": ("CacheClusterNotFound", "CacheCluster"),
    "replicationgroup": ("ReplicationGroupNotFoundFault", "ReplicationGroup"),
    "user": ("UserNotFound", "User"),
    "usergroup": ("UserGroupNotFound", "UserGroup"),
    "parametergroup": ("CacheParameterGroupNotFound", "CacheParameterGroup"),
    "subnetgroup": ("CacheSubnetGroupNotFoundFault", "CacheSubnetGroup"),
    "snapshot": ("SnapshotNotFoundFault", "Snapshot"),
    "serverlesscache": ("ServerlessCacheNotFoundFault", "ServerlessCache"),
    "serverlesscachesnapshot": ("ServerlessCacheSnapshotNotFoundFault", "ServerlessCacheSnapshot"),
    "reservedinstance": ("ReservedCacheNodeNotFound", "ReservedCacheNode"),
}


def checked_tags(tags: list[dict], existing: list[dict] | None = None) -> list[dict]:
    """``existing`` with ``tags`` added (a key given again takes the new value), as AWS checks them."""
    merged = {t["Key"]: t.get("Value", "") for t in existing or []}
    for tag in tags:
        key = tag.get("Key", "")
        if not key or len(key) > 128 or key.lower().startswith("aws:"):
            raise check.invalid(f"Invalid tag key: {key!r}. Tag keys must be 1-128 characters and must not begin with aws:.")
        merged[key] = tag.get("Value", "")
    if len(merged) > MAX_TAGS:
        raise ServiceError("TagQuotaPerResourceExceeded", "The request cannot be processed because it would cause the resource "
                           "to have more than the allowed number of tags. The maximum number of tags permitted on a resource is 50.")
    return [{"Key": k, "Value": v} for k, v in merged.items()]


class Tags:
    def __init__(self, state: ElastiCacheState) -> None:
        self.state = state
        self.collections: dict[str, Collection] = {
            "cluster": state.cache_clusters, "replicationgroup": state.replication_groups, "user": state.users,
            "usergroup": state.user_groups, "parametergroup": state.parameter_groups, "subnetgroup": state.subnet_groups,
            "snapshot": state.snapshots, "serverlesscache": state.serverless_caches, "serverlesscachesnapshot": state.serverless_snapshots,
            "reservedinstance": state.reserved_nodes}

    def _tagged(self, ctx: RequestContext, resource_name: str) -> tuple[Collection, tuple[str, str], str, Any]:
        """The resource an ARN names, with the collection and key to save it back."""
        try:
            parsed = Arn.parse(resource_name)
            kind, _, key = parsed.resource.partition(":")
        except ValueError:
            parsed, kind, key = None, "", ""
        if parsed is None or parsed.service != "elasticache" or kind not in _TAGGABLE or not key:
            raise ServiceError("InvalidARN", f"The ARN {resource_name} is not valid.")
        code, label = _TAGGABLE[kind]
        scope = (parsed.account, parsed.region)
        collection = self.collections[kind]
        resource = collection.get(scope, key) if scope == ctx.scope else None
        if kind == "cluster" and resource is not None and self.state.hidden(scope, resource):
            resource = None  # a serverless cache's node: AWS shows none
        if kind == "replicationgroup" and resource is not None and resource.serverless_cache:
            resource = None
        if resource is None:
            raise ServiceError(code, f"{label} not found: {key}", status=404)
        return collection, scope, key, resource

    def add_tags_to_resource(self, ctx: RequestContext, params: dict) -> dict:
        collection, scope, key, resource = self._tagged(ctx, params["ResourceName"])
        resource.tags = checked_tags(params.get("Tags") or [], resource.tags)
        with self.state.transaction():
            collection.put(scope, key, resource)
            for member in self._members(scope, resource):
                # A replication group's tags are its member clusters' too, as AWS propagates them.
                member.tags = checked_tags(params.get("Tags") or [], member.tags)
                self.state.save_cluster(scope, member)
        return {"TagList": resource.tags}

    def _members(self, scope, resource: Any) -> list:
        return self.state.members(scope, resource) if isinstance(resource, ReplicationGroup) else []

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        _, _, _, resource = self._tagged(ctx, params["ResourceName"])
        return {"TagList": resource.tags}

    def remove_tags_from_resource(self, ctx: RequestContext, params: dict) -> dict:
        collection, scope, key, resource = self._tagged(ctx, params["ResourceName"])
        keys = params.get("TagKeys") or []
        present = {t["Key"] for t in resource.tags}
        missing = [k for k in keys if k not in present]
        if missing:
            raise ServiceError("TagNotFound", f"Tag {missing[0]} not found on resource {params['ResourceName']}.", status=404)
        resource.tags = [t for t in resource.tags if t["Key"] not in keys]
        with self.state.transaction():
            collection.put(scope, key, resource)
            for member in self._members(scope, resource):
                member.tags = [t for t in member.tags if t["Key"] not in keys]
                self.state.save_cluster(scope, member)
        return {"TagList": resource.tags}
