"""Tags on RDS resources, by ARN: AddTagsToResource, ListTagsForResource, RemoveTagsFromResource.
A DB instance, DB parameter group, DB subnet group, DB snapshot, or DB cluster and its parameter groups,
snapshots and custom endpoints, of the caller's account and region."""

from __future__ import annotations

from regionbox.core.errors import ServiceError, invalid
from regionbox.services.rds.models import RdsState

# ARN resource type -> (collection attribute, error code, what RDS calls it)
KINDS = {"db": ("instances", "DBInstanceNotFound", "DBInstance"), "pg": ("parameter_groups", "DBParameterGroupNotFound", "DBParameterGroup"),
         "subgrp": ("subnet_groups", "DBSubnetGroupNotFoundFault", "DBSubnetGroup"),
         "snapshot": ("snapshots", "DBSnapshotNotFound", "DBSnapshot"),
         "cluster": ("clusters", "DBClusterNotFoundFault", "DBCluster"),
         "cluster-pg": ("cluster_parameter_groups", "DBClusterParameterGroupNotFound", "DBClusterParameterGroup"),
         "cluster-snapshot": ("cluster_snapshots", "DBClusterSnapshotNotFoundFault", "DBClusterSnapshot"),
         "cluster-endpoint": ("cluster_endpoints", "DBClusterEndpointNotFoundFault", "DBClusterEndpoint"),
         "og": ("option_groups", "OptionGroupNotFoundFault", "OptionGroup"),
         "es": ("subscriptions", "SubscriptionNotFound", "EventSubscription"),
         "ri": ("reserved", "ReservedDBInstanceNotFound", "ReservedDBInstance")}
MAX_TAGS = 50


class Tags:
    def __init__(self, state: RdsState) -> None:
        self.state = state

    def _resource(self, ctx, arn: str):
        parts = arn.split(":")
        if len(parts) != 7 or parts[0] != "arn" or parts[2] != "rds":
            raise invalid(f"Invalid resource name: {arn}")
        kind, name = parts[5], parts[6]
        if kind not in KINDS:
            raise invalid(f"Invalid resource name: {arn}")
        attribute, code, label = KINDS[kind]
        collection = getattr(self.state, attribute)
        resource = collection.get(ctx.scope, name) if (parts[3], parts[4]) == (ctx.scope[1], ctx.scope[0]) else None
        if resource is None:
            raise ServiceError(code, f"{label} {name} not found.", 404)
        return collection, name, resource

    def add_tags_to_resource(self, ctx, params: dict) -> dict:
        collection, name, resource = self._resource(ctx, params["ResourceName"])
        tags = {t["Key"]: t.get("Value", "") for t in resource.tags}
        for tag in params["Tags"]:
            if not tag.get("Key") or tag["Key"].startswith("aws:"):
                raise invalid("Tag keys must not be empty or start with aws:")
            tags[tag["Key"]] = tag.get("Value", "")
        if len(tags) > MAX_TAGS:
            raise ServiceError("TagQuotaPerResourceExceeded", f"Cannot have more than {MAX_TAGS} tags on a resource")
        resource.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
        collection.put(ctx.scope, name, resource)
        return {}

    def list_tags_for_resource(self, ctx, params: dict) -> dict:
        _, _, resource = self._resource(ctx, params["ResourceName"])
        return {"TagList": resource.tags}

    def remove_tags_from_resource(self, ctx, params: dict) -> dict:
        collection, name, resource = self._resource(ctx, params["ResourceName"])
        resource.tags = [t for t in resource.tags if t["Key"] not in set(params["TagKeys"])]
        collection.put(ctx.scope, name, resource)
        return {}
