"""DB cluster parameter groups: Create/Describe/Modify/Reset/Copy/Delete DBClusterParameterGroup,
DescribeDBClusterParameters, DescribeEngineDefaultClusterParameters.

The same parameters and rules as DB parameter groups (``parameter_groups.py``: the installed
server's own catalogue, static ones waiting for a reboot), kept apart and named with the cluster
words. A cluster's group reaches every member's server, under the member's own DB parameter group
(whose values win, as on Aurora). Default groups: ``default.aurora-postgresql<major>`` and, for
Multi-AZ DB clusters, ``default.postgres<major>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.engines import kinds
from regionbox.services.rds import validation as check
from regionbox.services.rds.models import DBInstance, DBParameterGroup
from regionbox.services.rds.parameter_groups import FAMILY, ParameterGroups

if TYPE_CHECKING:
    from regionbox.services.rds.instances import Instances


def not_found(name: str) -> ServiceError:
    return ServiceError("DBClusterParameterGroupNotFound", f"DBClusterParameterGroup not found: {name}", 404)


class ClusterParameterGroups(ParameterGroups):
    def __init__(self, state, paginator, instances: "Instances") -> None:
        super().__init__(state, paginator, lambda scope, name, static: self.apply_group(scope, name, static))
        self.collection = state.cluster_parameter_groups
        self.instances = instances

    @staticmethod
    def default_name(engine: str, version: str) -> str:
        return f"default.{engine}{version.split('.')[0]}"

    def group(self, scope: Scope, name: str) -> DBParameterGroup:
        try:
            return super().group(scope, name)
        except ServiceError:
            raise not_found(name) from None

    def settings(self, scope: Scope, instance: DBInstance) -> dict[str, str]:
        """The values a member's server runs with from its cluster's group."""
        cluster = self.state.clusters.get(scope, instance.cluster)
        return self.values(scope, cluster.parameter_group) if cluster is not None else {}

    # -- applying ------------------------------------------------------------------------------
    def apply_group(self, scope: Scope, group_name: str, static: bool) -> None:
        for cluster in self.state.clusters.values(scope):
            if cluster.parameter_group == group_name:
                self.apply_to_cluster(scope, cluster.identifier, static)

    def apply_to_cluster(self, scope: Scope, cluster_id: str, static: bool) -> None:
        for member in [i for i in self.state.instances.values(scope) if i.cluster == cluster_id]:
            if static:
                member.parameter_apply_status = "pending-reboot"
                self.instances.save(scope, member)
            self.instances.tasks.spawn(self.instances._reload_settings(scope, member.identifier), owner="rds",
                                       what=f"applying the cluster parameter group of {cluster_id} to {member.identifier}")

    # -- handlers ------------------------------------------------------------------------------
    @staticmethod
    def describe_group(group: DBParameterGroup, ctx) -> dict:
        return {"DBClusterParameterGroupName": group.name, "DBParameterGroupFamily": group.family,
                "Description": group.description, "DBClusterParameterGroupArn": group.arn or ctx.arn("rds", f"cluster-pg:{group.name}")}

    def _new(self, ctx, name: str, family: str, description: str, tags: list) -> DBParameterGroup:
        if not check.IDENTIFIER.match(name) or name.lower().startswith("default"):
            raise invalid(f"The parameter DBClusterParameterGroupName is not a valid identifier: {name}")
        if not FAMILY.fullmatch(family):
            raise invalid(f"ParameterGroupFamily {family} is not a valid parameter group family")
        if self.collection.get(ctx.scope, name.lower()) is not None:
            raise ServiceError("DBParameterGroupAlreadyExists", f"Parameter group {name.lower()} already exists")
        return DBParameterGroup(name=name.lower(), arn=ctx.arn("rds", f"cluster-pg:{name.lower()}"), family=family,
                                description=description, tags=tags or [])

    def create_db_cluster_parameter_group(self, ctx, params: dict) -> dict:
        group = self._new(ctx, params["DBClusterParameterGroupName"], params["DBParameterGroupFamily"], params["Description"],
                          params.get("Tags"))
        self.collection.put(ctx.scope, group.name, group)
        return {"DBClusterParameterGroup": self.describe_group(group, ctx)}

    def copy_db_cluster_parameter_group(self, ctx, params: dict) -> dict:
        source_name = params["SourceDBClusterParameterGroupIdentifier"]
        source = self.group(ctx.scope, source_name.rsplit(":", 1)[-1] if source_name.startswith("arn:") else source_name)
        group = self._new(ctx, params["TargetDBClusterParameterGroupIdentifier"], source.family,
                          params["TargetDBClusterParameterGroupDescription"], params.get("Tags"))
        group.values, group.methods = dict(source.values), dict(source.methods)
        self.collection.put(ctx.scope, group.name, group)
        return {"DBClusterParameterGroup": self.describe_group(group, ctx)}

    def describe_db_cluster_parameter_groups(self, ctx, params: dict) -> dict:
        name = params.get("DBClusterParameterGroupName")
        if name:
            groups = [self.group(ctx.scope, name)]
        else:
            version = kinds.postgres_version() or "15"
            groups = [self.group(ctx.scope, self.default_name(engine, version)) for engine in ("aurora-postgresql", "postgres")]
            groups += self.collection.values(ctx.scope)
        return check.paged(self.paginator, "DBClusterParameterGroups", [self.describe_group(g, ctx) for g in groups], params)

    def describe_db_cluster_parameters(self, ctx, params: dict) -> dict:
        return self.describe_db_parameters(ctx, {**params, "DBParameterGroupName": params["DBClusterParameterGroupName"]})

    def describe_engine_default_cluster_parameters(self, ctx, params: dict) -> dict:
        return self.describe_engine_default_parameters(ctx, params)

    def modify_db_cluster_parameter_group(self, ctx, params: dict) -> dict:
        name = self.modify_db_parameter_group(ctx, {**params, "DBParameterGroupName": params["DBClusterParameterGroupName"]})
        return {"DBClusterParameterGroupName": name["DBParameterGroupName"]}

    def reset_db_cluster_parameter_group(self, ctx, params: dict) -> dict:
        name = self.reset_db_parameter_group(ctx, {**params, "DBParameterGroupName": params["DBClusterParameterGroupName"]})
        return {"DBClusterParameterGroupName": name["DBParameterGroupName"]}

    def delete_db_cluster_parameter_group(self, ctx, params: dict) -> dict:
        group = self.group(ctx.scope, params["DBClusterParameterGroupName"])
        if not group.arn:
            raise ServiceError("InvalidDBParameterGroupState", "Default DBClusterParameterGroup cannot be deleted")
        if any(c.parameter_group == group.name for c in self.state.clusters.values(ctx.scope)):
            raise ServiceError("InvalidDBParameterGroupState", f"One or more DB clusters are still members of this "
                               f"parameter group {group.name}, so the group cannot be deleted")
        self.collection.delete(ctx.scope, group.name)
        return {}
