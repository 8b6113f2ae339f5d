"""Cache parameter groups (and the engine versions whose families they belong to).

Parameter groups hold the settings that reach the engines: a Memcached parameter becomes a
memcached flag at the node's next start (``max_item_size`` -> ``-I``), a Redis/Valkey parameter a
configuration directive, applied at once with CONFIG SET when its ChangeType is "immediate".
Default groups (``default.memcached1.6``, ``default.redis7`` ...) exist for every family and
cannot be changed, as on AWS.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elasticache import engine_catalog as catalog
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.models import CacheParameterGroup
from regionbox.services.elasticache.state import ElastiCacheState
from regionbox.services.elasticache.tags import checked_tags

if TYPE_CHECKING:
    from regionbox.services.elasticache.nodes import RedisNodes

# Parameters that reach a node through settings it derives (``RedisNodes.node_settings``).
NODE_SETTINGS = frozenset({"reserved-memory", "reserved-memory-percent", "appendonly", "appendfsync"})
GROUP_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$")


# -- what the engines and the other handlers read ------------------------------------------------------
def parameter_values(state: ElastiCacheState, scope: Scope, name: str | None) -> dict[str, str]:
    """The parameters a group changed from its family's defaults (what the engines need to hear)."""
    if not name:
        return {}
    try:
        return dict(state.parameter_group(scope, name).parameters)
    except ServiceError:
        return {}


def redis_directives(state: ElastiCacheState, scope: Scope, name: str | None, include_defaults: bool = False) -> dict[str, str]:
    """Redis/Valkey configuration directives from a parameter group: the ones it changed, or with
    ``include_defaults`` every immediate one (to bring a running node to the group's settings)."""
    try:
        group = state.parameter_group(scope, name) if name else None
    except ServiceError:
        group = None
    if group is None:
        return {}
    directives = {k: v for k, v in group.parameters.items() if k in catalog.ENGINE_DIRECTIVES}
    if include_defaults:
        for spec in catalog.PARAMETERS[group.family]:
            if spec.name in catalog.ENGINE_DIRECTIVES and spec.change_type == "immediate":
                directives.setdefault(spec.name, spec.default)
    return directives


def checked_parameter_group(state: ElastiCacheState, scope: Scope, name: str, engine: str, version: str) -> str:
    """The group's stored name, once it is known to exist and to belong to the version's family."""
    # default.<family>.cluster.on is the default family's group with cluster mode switched on.
    cluster_on = name.startswith("default.") and name.endswith(".cluster.on")
    group = state.parameter_group(scope, name.removesuffix(".cluster.on") if cluster_on else name)
    family = catalog.family_of(engine, version)
    if group.family != family:
        raise check.invalid_combination(f"Expected a parameter group of family {family} but found one of family {group.family}")
    return group.name + (".cluster.on" if cluster_on else "")


def upgraded_parameter_group(state: ElastiCacheState, scope: Scope, engine: str, current_version: str, current_group: str,
                             version: str, requested_group: str | None, cluster_enabled: bool = False) -> str:
    """The parameter group after a modification: the one asked for, or the current one, except
    that a version upgrade moves a default group to the new family's default (as AWS does).
    Checked against the version's family whenever either changes."""
    group = requested_group or current_group
    if version != current_version and not requested_group and group.startswith("default."):
        group = catalog.default_parameter_group(engine, version, cluster_enabled)
    if version != current_version or requested_group:
        group = checked_parameter_group(state, scope, group, engine, version)
    return group


def _describe(group: CacheParameterGroup) -> dict:
    return {"CacheParameterGroupName": group.name, "CacheParameterGroupFamily": group.family,
            "Description": group.description, "IsGlobal": False, "ARN": group.arn}


def _parameter_rows(family: str, changed: dict[str, str], source: str | None = None) -> list[dict]:
    rows = []
    for spec in catalog.PARAMETERS[family]:
        value_source = "user" if spec.name in changed else "system"
        if source is not None and source != value_source and not (source == "engine-default" and value_source == "system"):
            continue
        row = {"ParameterName": spec.name, "ParameterValue": changed.get(spec.name, spec.default),
               "Description": spec.description, "Source": value_source, "DataType": spec.data_type,
               "AllowedValues": spec.allowed, "IsModifiable": spec.modifiable,
               "MinimumEngineVersion": spec.minimum_version or catalog.ENGINE_VERSIONS[catalog.engine_of_family(family)][-1][0],
               "ChangeType": spec.change_type}
        if not row["ParameterValue"]:
            del row["ParameterValue"]
        rows.append(row)
    return rows


def _node_type_rows(family: str) -> list[dict]:
    if not family.startswith("memcached"):
        return [{"ParameterName": "maxmemory", "Description": "The maximum configurable amount of memory to use to store items, in bytes.",
                 "Source": "system", "DataType": "integer", "AllowedValues": "0-", "IsModifiable": False,
                 "MinimumEngineVersion": catalog.ENGINE_VERSIONS[catalog.engine_of_family(family)][-1][0], "ChangeType": "immediate",
                 "CacheNodeTypeSpecificValues": [{"CacheNodeType": t, "Value": str(catalog.maxmemory(t))} for t in catalog.NODE_TYPES]}]
    return [{"ParameterName": "max_cache_memory", "Description": "The maximum configurable amount of memory to use to store items, in megabytes.",
             "Source": "system", "DataType": "integer", "AllowedValues": "1-100000", "IsModifiable": False,
             "MinimumEngineVersion": "1.4.5", "ChangeType": "requires-reboot",
             "CacheNodeTypeSpecificValues": [{"CacheNodeType": t, "Value": v} for t, v in catalog.MAX_CACHE_MEMORY.items()]}]


class ParameterGroups:
    """Create/Describe/Modify/Reset/DeleteCacheParameterGroup, DescribeCacheParameters and
    DescribeEngineDefaultParameters; changed parameters reach running nodes through ``nodes``."""

    def __init__(self, state: ElastiCacheState, nodes: "RedisNodes", paginator: Paginator, tasks: Tasks) -> None:
        self.state = state
        self.nodes = nodes
        self.paginator = paginator
        self.tasks = tasks

    def create_cache_parameter_group(self, ctx: RequestContext, params: dict) -> dict:
        name, family = params["CacheParameterGroupName"], params["CacheParameterGroupFamily"]
        if family not in catalog.FAMILIES:
            raise check.invalid(f"Invalid value for parameter CacheParameterGroupFamily: {family}")
        if name.lower().startswith("default") or not GROUP_NAME.match(name):
            raise check.invalid(f"Invalid parameter group name: {name}. Parameter group names must begin with a letter; "
                                "must contain only ASCII letters, digits, and hyphens; must not end with a hyphen or contain "
                                "two consecutive hyphens; and must not begin with 'default'.")
        name = name.lower()
        if self.state.parameter_groups.get(ctx.scope, name) is not None:
            raise ServiceError("CacheParameterGroupAlreadyExists", f"Parameter group {name} already exists.")
        group = CacheParameterGroup(name=name, arn=ctx.arn("elasticache", f"parametergroup:{name}"), family=family,
                                    description=params["Description"], tags=checked_tags(params.get("Tags") or []))
        self.state.parameter_groups.put(ctx.scope, name, group)
        return {"CacheParameterGroup": _describe(group)}

    def describe_cache_parameter_groups(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("CacheParameterGroupName")
        if name is not None:
            groups = [self.state.parameter_group(ctx.scope, name)]
        else:
            groups = [self.state.parameter_group(ctx.scope, f"default.{family}") for family in catalog.FAMILIES]
            groups += self.state.parameter_groups.values(ctx.scope)
        return check.paged(self.paginator, "CacheParameterGroups", [_describe(g) for g in groups], params)

    def describe_cache_parameters(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.parameter_group(ctx.scope, params["CacheParameterGroupName"])
        source = params.get("Source")
        if source is not None and source not in ("user", "system", "engine-default"):
            raise check.invalid(f"Invalid value for parameter Source: {source}")
        result = check.paged(self.paginator, "Parameters", _parameter_rows(group.family, group.parameters, source), params)
        result["CacheNodeTypeSpecificParameters"] = [] if source == "user" else _node_type_rows(group.family)
        return result

    def describe_engine_default_parameters(self, ctx: RequestContext, params: dict) -> dict:
        family = params["CacheParameterGroupFamily"]
        if family not in catalog.FAMILIES:
            raise check.invalid(f"Invalid value for parameter CacheParameterGroupFamily: {family}")
        defaults = check.paged(self.paginator, "Parameters", _parameter_rows(family, {}), params)
        defaults["CacheParameterGroupFamily"] = family
        defaults["CacheNodeTypeSpecificParameters"] = _node_type_rows(family)
        return {"EngineDefaults": defaults}

    def _users_group(self, scope: Scope, name: str) -> CacheParameterGroup:
        group = self.state.parameter_group(scope, name)
        if group.name.startswith("default."):
            raise check.invalid(f"Parameter group {group.name} can not be modified, default parameter groups are not modifiable.")
        return group

    def modify_cache_parameter_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self._users_group(ctx.scope, params["CacheParameterGroupName"])
        changes = params.get("ParameterNameValues") or []
        if not changes:
            raise check.invalid("At least one parameter must be specified.")
        if len(changes) > catalog.MAX_PARAMETERS_PER_CALL:
            raise check.invalid_combination(f"Cannot modify more than {catalog.MAX_PARAMETERS_PER_CALL} parameters in a single request")
        for change in changes:
            spec = _modifiable(group, change.get("ParameterName", ""))
            _check_value(spec, change.get("ParameterValue"))
        with self.state.transaction():
            for change in changes:
                group.parameters[change["ParameterName"]] = change["ParameterValue"]
            self.state.parameter_groups.put(ctx.scope, group.name, group)
            self._apply(ctx.scope, group.name, [c["ParameterName"] for c in changes])
        return {"CacheParameterGroupName": group.name}

    def reset_cache_parameter_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self._users_group(ctx.scope, params["CacheParameterGroupName"])
        reset_all, names = params.get("ResetAllParameters"), [p.get("ParameterName", "") for p in params.get("ParameterNameValues") or []]
        if reset_all and names:
            raise check.invalid_combination("ResetAllParameters and ParameterNameValues cannot be specified together.")
        if not reset_all and not names:
            raise check.invalid("At least one parameter must be specified, or ResetAllParameters must be true.")
        if len(names) > catalog.MAX_PARAMETERS_PER_CALL:
            raise check.invalid_combination(f"Cannot reset more than {catalog.MAX_PARAMETERS_PER_CALL} parameters in a single request")
        for name in names:
            _modifiable(group, name)
        changed = list(group.parameters) if reset_all else names
        with self.state.transaction():
            for name in changed:
                group.parameters.pop(name, None)
            self.state.parameter_groups.put(ctx.scope, group.name, group)
            self._apply(ctx.scope, group.name, changed)
        return {"CacheParameterGroupName": group.name}

    def delete_cache_parameter_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self._users_group(ctx.scope, params["CacheParameterGroupName"])
        users = [c.cluster_id for c in self.state.cache_clusters.values(ctx.scope) if c.parameter_group == group.name]
        users += [g.replication_group_id for g in self.state.replication_groups.values(ctx.scope) if g.parameter_group == group.name]
        if users:
            raise ServiceError("InvalidCacheParameterGroupState",
                               f"One or more cache clusters are still members of parameter group {group.name}.")
        self.state.parameter_groups.delete(ctx.scope, group.name)
        return {}

    # -- changes reaching the nodes ------------------------------------------------------------------
    def _apply(self, scope: Scope, name: str, changed: list[str]) -> None:
        """Changed parameters reach the nodes: CONFIG SET for immediate Redis/Valkey parameters; the
        rest waits for a reboot (the node's ParameterGroupStatus says "pending-reboot", at once)."""
        group = self.state.parameter_group(scope, name)
        specs = {n: catalog.parameter(group.family, n) for n in changed}
        values = {n: group.parameters.get(n, spec.default) for n, spec in specs.items() if spec is not None}
        immediate = {n: v for n, v in values.items() if specs[n].change_type == "immediate" and n in catalog.ENGINE_DIRECTIVES}
        needs_reboot = any(spec is not None and spec.change_type != "immediate" for spec in specs.values())
        users = [c for c in self.state.cache_clusters.values(scope) if c.parameter_group == name]
        if needs_reboot:
            with self.state.transaction():
                for cluster in users:
                    for node in cluster.nodes:
                        node.parameter_group_status = "pending-reboot"
                    self.state.save_cluster(scope, cluster)
        running = [c.cluster_id for c in users if c.engine != "memcached"]
        if immediate and running:
            # A node that is down (or fails CONFIG SET) gets the settings at its next start, from
            # its spec: nothing to mark failed.
            self.tasks.spawn(self.nodes.config_set_many(scope, running, immediate), owner="elasticache",
                             what=f"applying parameter group {name}")
        if NODE_SETTINGS & set(changed) and running:
            # Settings each node derives from the group and its own type and group: the memory it
            # gives its data (its type's maxmemory less what is reserved), its append-only file.
            self.tasks.spawn(self._apply_node_settings(scope, [c for c in users if c.engine != "memcached"]),
                             owner="elasticache", what=f"applying parameter group {name}")

    async def _apply_node_settings(self, scope: Scope, clusters: list) -> None:
        await asyncio.gather(*(self.nodes.config_set_many(scope, [c.cluster_id], self.nodes.node_settings(scope, c)) for c in clusters))


class EngineVersions:
    """DescribeCacheEngineVersions: the versions ElastiCache offers and their parameter group families."""

    def __init__(self, paginator: Paginator) -> None:
        self.paginator = paginator

    def describe_cache_engine_versions(self, ctx: RequestContext, params: dict) -> dict:
        engine, version = params.get("Engine"), params.get("EngineVersion")
        family, default_only = params.get("CacheParameterGroupFamily"), params.get("DefaultOnly")
        if family is not None and family not in catalog.FAMILIES:
            raise check.invalid(f"Invalid value for parameter CacheParameterGroupFamily: {family}")
        rows = []
        for name, versions in catalog.ENGINE_VERSIONS.items():
            if engine is not None and engine != name:
                continue
            for listed, listed_family in versions:
                if (version is not None and listed != version) or (family is not None and listed_family != family):
                    continue
                if default_only and listed != catalog.DEFAULT_VERSION[name]:
                    continue
                rows.append({"Engine": name, "EngineVersion": listed, "CacheParameterGroupFamily": listed_family,
                             "CacheEngineDescription": catalog.ENGINE_DESCRIPTIONS[name],
                             "CacheEngineVersionDescription": f"{catalog.ENGINE_DESCRIPTIONS[name]} version {listed}"})
        return check.paged(self.paginator, "CacheEngineVersions", rows, params)


def _modifiable(group: CacheParameterGroup, name: str) -> catalog.ParameterSpec:
    """A parameter of the group's family that users may set. (AWS publishes no text for these two
    errors; the code is InvalidParameterValue.)"""
    spec = catalog.parameter(group.family, name)
    if spec is None:
        raise check.invalid(f"Unknown parameter: {name} is not a parameter of family {group.family}.")
    if not spec.modifiable:
        raise check.invalid(f"The parameter {name} cannot be modified.")
    return spec


def _fits(number: float, allowed: str) -> bool:
    """Is a number within AllowedValues: "0-100", "0,20-", "1-", "0,1,2", or "-" (anything)."""
    for part in allowed.split(","):
        if part in ("", "-"):
            return True
        low, is_range, high = part.partition("-")
        if is_range and (not low or number >= float(low)) and (not high or number <= float(high)):
            return True
        if not is_range and number == float(part):
            return True
    return False


def _check_value(spec: catalog.ParameterSpec, value: str | None) -> None:
    """A value must fit the parameter's type and AllowedValues."""
    if value is None:
        raise check.invalid(f"The parameter {spec.name} requires a value.")
    if spec.data_type in ("integer", "float", "boolean"):
        try:
            fits = _fits(float(value) if spec.data_type == "float" else int(value), spec.allowed)
        except ValueError:
            fits = False
    else:
        fits = not (spec.allowed and "," in spec.allowed) or value in spec.allowed.split(",")
    if not fits:
        raise check.invalid(f"Value {value} for parameter {spec.name} is invalid. The allowed values are: {spec.allowed}")
