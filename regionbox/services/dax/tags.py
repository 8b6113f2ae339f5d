"""Tags of clusters: TagResource, UntagResource, ListTags. A resource is named by its ARN
(arn:aws:dax:<region>:<account>:cache/<cluster>); DAX tags clusters only."""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.dax import validation as check
from regionbox.services.dax.models import Cluster, DaxState


class Tags:
    def __init__(self, state: DaxState) -> None:
        self.state = state

    def _cluster(self, ctx: RequestContext, resource: str) -> Cluster:
        parts = resource.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "dax" or not parts[5].startswith("cache/"):
            raise ServiceError("InvalidARNFault", f"Invalid ARN: {resource}")
        if (parts[4], parts[3]) != ctx.scope:
            raise ServiceError("ClusterNotFoundFault", f"Cluster {parts[5][len('cache/'):]} not found.")
        cluster = self.state.cluster(ctx.scope, parts[5][len("cache/"):])
        if cluster.status == "deleting":
            raise ServiceError("InvalidClusterStateFault", f"Cluster {cluster.name} is not in available state.")
        return cluster

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        cluster = self._cluster(ctx, params["ResourceName"])
        cluster.tags = check.merged_tags(cluster.tags, params["Tags"])
        self.state.clusters.put(ctx.scope, cluster.name, cluster)
        return {"Tags": cluster.tags}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        cluster = self._cluster(ctx, params["ResourceName"])
        keys = params["TagKeys"]
        present = {tag["Key"] for tag in cluster.tags}
        missing = [key for key in keys if key not in present]
        if missing:
            raise ServiceError("TagNotFoundFault", f"Tag {missing[0]} not found.")
        cluster.tags = [tag for tag in cluster.tags if tag["Key"] not in keys]
        self.state.clusters.put(ctx.scope, cluster.name, cluster)
        return {"Tags": cluster.tags}

    def list_tags(self, ctx: RequestContext, params: dict) -> dict:
        return {"Tags": self._cluster(ctx, params["ResourceName"]).tags}
