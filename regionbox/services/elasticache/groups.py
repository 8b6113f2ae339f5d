"""Shared resources: cache subnet groups, cache parameter groups, engine versions, and tags.

Parameter groups hold the settings that reach the engines: a Memcached parameter becomes a
memcached flag at the node's next start (``max_item_size`` -> ``-I``), a Redis/Valkey parameter a
configuration directive, applied at once with CONFIG SET when its ChangeType is "immediate".
Default groups (``default.memcached1.6``, ``default.redis7`` ...) exist for every family and
cannot be changed, as on AWS.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from regionbox.core.arns import Arn
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import InvalidToken
from regionbox.services.elasticache import engine_catalog as catalog
from regionbox.services.elasticache.models import PARAMETER_GROUPS, SUBNET_GROUPS, CacheParameterGroup, CacheSubnetGroup

MAX_TAGS = 50
_GROUP_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")

# Tag-able resources: ARN resource type -> (not-found code, what the message calls it).
_TAGGABLE = {
    "cluster": ("CacheClusterNotFound", "CacheCluster"),
    "replicationgroup": ("ReplicationGroupNotFoundFault", "ReplicationGroup"),
    "user": ("UserNotFound", "User"),
    "usergroup": ("UserGroupNotFound", "UserGroup"),
    "parametergroup": ("CacheParameterGroupNotFound", "CacheParameterGroup"),
    "subnetgroup": ("CacheSubnetGroupNotFoundFault", "CacheSubnetGroup"),
}


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def _page(provider, items: list, params: dict) -> tuple[list, str | None]:
    """MaxRecords (20-100, default 100) and Marker, as every Describe* of the service takes them."""
    limit = params.get("MaxRecords")
    if limit is not None and not 20 <= limit <= 100:
        raise _invalid("The parameter MaxRecords must be between 20 and 100.")
    try:
        return provider.cloud.paginator.page(items, params.get("Marker"), limit, default_limit=100)
    except InvalidToken:
        raise _invalid("Invalid marker provided.") from None


def paged(provider, key: str, items: list, params: dict) -> dict[str, Any]:
    page, marker = _page(provider, items, params)
    result: dict[str, Any] = {key: page}
    if marker:
        result["Marker"] = marker
    return result


def parameter_group_not_found(name: str) -> ServiceError:
    return ServiceError("CacheParameterGroupNotFound", f"CacheParameterGroup not found: {name}", status=404)


class GroupsMixin:
    # -- engine versions ----------------------------------------------------------------------------
    def describe_cache_engine_versions(self, ctx, params: dict) -> dict:
        engine, version = params.get("Engine"), params.get("EngineVersion")
        family, default_only = params.get("CacheParameterGroupFamily"), params.get("DefaultOnly")
        if family is not None and family not in catalog.FAMILIES:
            raise _invalid(f"Invalid value for parameter CacheParameterGroupFamily: {family}")
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
        return paged(self, "CacheEngineVersions", rows, params)

    # -- parameter groups -----------------------------------------------------------------------------
    def parameter_groups(self):
        return self.store.collection(PARAMETER_GROUPS, CacheParameterGroup)

    def get_parameter_group(self, scope, name: str | None) -> CacheParameterGroup:
        """A user's group or a default one (built on the fly: defaults are not stored)."""
        name = name or ""
        group = self.parameter_groups().get(scope, name)
        if group is None and name.startswith("default."):
            family = name[len("default."):]
            if family in catalog.FAMILIES:
                group = CacheParameterGroup(name=name, arn=self.arn(scope, f"parametergroup:{name}"), family=family,
                                            description=f"Default parameter group for {family}")
        if group is None:
            raise parameter_group_not_found(name)
        return group

    def parameter_values(self, scope, name: str | None) -> dict[str, str]:
        """The parameters a group changed from its family's defaults (what the engines need to hear)."""
        if not name:
            return {}
        try:
            return dict(self.get_parameter_group(scope, name).parameters)
        except ServiceError:
            return {}

    def redis_directives(self, scope, name: str | None, include_defaults: bool = False) -> dict[str, str]:
        """Redis/Valkey configuration directives from a parameter group: the ones it changed, or with
        ``include_defaults`` every immediate one (to bring a running node to the group's settings)."""
        try:
            group = self.get_parameter_group(scope, name) if name else None
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

    def _describe_parameter_group(self, group: CacheParameterGroup) -> dict:
        return {"CacheParameterGroupName": group.name, "CacheParameterGroupFamily": group.family,
                "Description": group.description, "IsGlobal": False, "ARN": group.arn}

    def create_cache_parameter_group(self, ctx, params: dict) -> dict:
        name, family = params["CacheParameterGroupName"], params["CacheParameterGroupFamily"]
        if family not in catalog.FAMILIES:
            raise _invalid(f"Invalid value for parameter CacheParameterGroupFamily: {family}")
        if name.lower().startswith("default") or not _GROUP_NAME.match(name):
            raise _invalid(f"Invalid parameter group name: {name}. Parameter group names must begin with a letter; "
                           "must contain only ASCII letters, digits, and hyphens; must not end with a hyphen or contain "
                           "two consecutive hyphens; and must not begin with 'default'.")
        name = name.lower()
        if self.parameter_groups().get(ctx.scope, name) is not None:
            raise ServiceError("CacheParameterGroupAlreadyExists", f"Parameter group {name} already exists.")
        group = CacheParameterGroup(name=name, arn=self.arn(ctx, f"parametergroup:{name}"), family=family,
                                    description=params["Description"], tags=self._checked_tags(params.get("Tags") or []))
        self.parameter_groups().put(ctx.scope, name, group)
        return {"CacheParameterGroup": self._describe_parameter_group(group)}

    def describe_cache_parameter_groups(self, ctx, params: dict) -> dict:
        name = params.get("CacheParameterGroupName")
        if name is not None:
            groups = [self.get_parameter_group(ctx.scope, name)]
        else:
            groups = [self.get_parameter_group(ctx.scope, f"default.{family}") for family in catalog.FAMILIES]
            groups += self.parameter_groups().values(ctx.scope)
        return paged(self, "CacheParameterGroups", [self._describe_parameter_group(g) for g in groups], params)

    def _parameter_rows(self, family: str, changed: dict[str, str], source: str | None = None) -> list[dict]:
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

    def _node_type_rows(self, family: str) -> list[dict]:
        if not family.startswith("memcached"):
            return []
        return [{"ParameterName": "max_cache_memory", "Description": "The maximum configurable amount of memory to use to store items, in megabytes.",
                 "Source": "system", "DataType": "integer", "AllowedValues": "1-100000", "IsModifiable": False,
                 "MinimumEngineVersion": "1.4.5", "ChangeType": "requires-reboot",
                 "CacheNodeTypeSpecificValues": [{"CacheNodeType": t, "Value": v} for t, v in catalog.MAX_CACHE_MEMORY.items()]}]

    def describe_cache_parameters(self, ctx, params: dict) -> dict:
        group = self.get_parameter_group(ctx.scope, params["CacheParameterGroupName"])
        source = params.get("Source")
        if source is not None and source not in ("user", "system", "engine-default"):
            raise _invalid(f"Invalid value for parameter Source: {source}")
        result = paged(self, "Parameters", self._parameter_rows(group.family, group.parameters, source), params)
        result["CacheNodeTypeSpecificParameters"] = [] if source == "user" else self._node_type_rows(group.family)
        return result

    def describe_engine_default_parameters(self, ctx, params: dict) -> dict:
        family = params["CacheParameterGroupFamily"]
        if family not in catalog.FAMILIES:
            raise _invalid(f"Invalid value for parameter CacheParameterGroupFamily: {family}")
        defaults = paged(self, "Parameters", self._parameter_rows(family, {}), params)
        defaults["CacheParameterGroupFamily"] = family
        defaults["CacheNodeTypeSpecificParameters"] = self._node_type_rows(family)
        return {"EngineDefaults": defaults}

    def _user_group(self, scope, name: str) -> CacheParameterGroup:
        group = self.get_parameter_group(scope, name)
        if group.name.startswith("default."):
            raise _invalid(f"Parameter group {group.name} can not be modified, default parameter groups are not modifiable.")
        return group

    def modify_cache_parameter_group(self, ctx, params: dict) -> dict:
        group = self._user_group(ctx.scope, params["CacheParameterGroupName"])
        changes = params.get("ParameterNameValues") or []
        if not changes:
            raise _invalid("At least one parameter must be specified.")
        for change in changes:
            name, value = change.get("ParameterName", ""), change.get("ParameterValue")
            spec = catalog.parameter(group.family, name)
            if spec is None:
                raise _invalid(f"Unknown parameter: {name}")
            if not spec.modifiable:
                raise _invalid(f"The parameter {name} cannot be modified.")
            _check_value(spec, value)
            group.parameters[name] = value
        self.parameter_groups().put(ctx.scope, group.name, group)
        self.background(self.apply_parameter_group(ctx.scope, group.name, [c["ParameterName"] for c in changes]),
                        f"applying parameter group {group.name}")
        return {"CacheParameterGroupName": group.name}

    def reset_cache_parameter_group(self, ctx, params: dict) -> dict:
        group = self._user_group(ctx.scope, params["CacheParameterGroupName"])
        reset_all, names = params.get("ResetAllParameters"), [p.get("ParameterName", "") for p in params.get("ParameterNameValues") or []]
        if reset_all and names:
            raise ServiceError("InvalidParameterCombination", "ResetAllParameters and ParameterNameValues cannot be specified together.")
        if not reset_all and not names:
            raise _invalid("At least one parameter must be specified, or ResetAllParameters must be true.")
        for name in names:
            if catalog.parameter(group.family, name) is None:
                raise _invalid(f"Unknown parameter: {name}")
        changed = list(group.parameters) if reset_all else names
        for name in changed:
            group.parameters.pop(name, None)
        self.parameter_groups().put(ctx.scope, group.name, group)
        self.background(self.apply_parameter_group(ctx.scope, group.name, changed), f"resetting parameter group {group.name}")
        return {"CacheParameterGroupName": group.name}

    def delete_cache_parameter_group(self, ctx, params: dict) -> dict:
        name = params["CacheParameterGroupName"]
        group = self._user_group(ctx.scope, name)
        users = [c.cluster_id for c in self.clusters.values(ctx.scope) if c.parameter_group == group.name]
        users += [g.replication_group_id for g in self.groups.values(ctx.scope) if g.parameter_group == group.name]
        if users:
            raise ServiceError("InvalidCacheParameterGroupState",
                               f"One or more cache clusters are still members of parameter group {group.name}.")
        self.parameter_groups().delete(ctx.scope, group.name)
        return {}

    async def apply_parameter_group(self, scope, name: str, changed: list[str]) -> None:
        """Changed parameters reach the nodes: CONFIG SET for immediate Redis/Valkey parameters; the
        rest waits for a reboot (the node's ParameterGroupStatus says "pending-reboot")."""
        group = self.get_parameter_group(scope, name)
        specs = {n: catalog.parameter(group.family, n) for n in changed}
        values = {n: group.parameters.get(n, spec.default) for n, spec in specs.items() if spec is not None}
        immediate = {n: v for n, v in values.items() if specs[n].change_type == "immediate" and n in catalog.ENGINE_DIRECTIVES}
        needs_reboot = any(spec is not None and spec.change_type != "immediate" for spec in specs.values())
        for cluster in self.clusters.values(scope):
            if cluster.parameter_group != name:
                continue
            if immediate and cluster.engine != "memcached":
                await self.config_set(scope, cluster, immediate)
            if needs_reboot:
                for node in cluster.nodes:
                    node.parameter_group_status = "pending-reboot"
                self.clusters.put(scope, cluster.cluster_id, cluster)

    # -- subnet groups ------------------------------------------------------------------------------------
    def subnet_groups(self):
        return self.store.collection(SUBNET_GROUPS, CacheSubnetGroup)

    def get_subnet_group(self, scope, name: str) -> CacheSubnetGroup:
        group = self.subnet_groups().get(scope, (name or "").lower())
        if group is None:
            raise ServiceError("CacheSubnetGroupNotFoundFault", f"Cache subnet group {name} not found.", status=404)
        return group

    def _subnets(self, scope, subnet_ids: list[str]) -> tuple[str, list[dict]]:
        """Each subnet in an AZ of the region. regionbox's EC2 has no subnets yet: a subnet id is
        placed in an AZ by a stable hash of the id, and all of a group's subnets share one VPC."""
        if not subnet_ids:
            raise _invalid("The parameter SubnetIds must be provided.")
        zones = self.cloud.topology.zones(scope[1])
        subnets = []
        for subnet_id in subnet_ids:
            if not _SUBNET_ID.match(subnet_id):
                raise ServiceError("InvalidSubnet", f"The subnet ID '{subnet_id}' does not exist")
            zone = zones[zlib.crc32(subnet_id.encode()) % len(zones)]
            subnets.append({"SubnetIdentifier": subnet_id, "SubnetAvailabilityZone": {"Name": zone.name},
                            "SupportedNetworkTypes": ["ipv4"]})
        vpc_id = "vpc-" + format(zlib.crc32(f"{scope[0]}.{scope[1]}".encode()), "08x") + "0default"[:9]
        return vpc_id, subnets

    def _describe_subnet_group(self, group: CacheSubnetGroup) -> dict:
        return {"CacheSubnetGroupName": group.name, "CacheSubnetGroupDescription": group.description, "VpcId": group.vpc_id,
                "Subnets": group.subnets, "ARN": group.arn, "SupportedNetworkTypes": ["ipv4"]}

    def create_cache_subnet_group(self, ctx, params: dict) -> dict:
        name = params["CacheSubnetGroupName"]
        if not _GROUP_NAME.match(name) or name.lower() == "default":
            raise _invalid(f"Invalid subnet group name: {name}. Subnet group names must begin with a letter; must contain "
                           "only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.")
        name = name.lower()
        if self.subnet_groups().get(ctx.scope, name) is not None:
            raise ServiceError("CacheSubnetGroupAlreadyExists", f"Cache subnet group {name} already exists.")
        vpc_id, subnets = self._subnets(ctx.scope, params["SubnetIds"])
        group = CacheSubnetGroup(name=name, arn=self.arn(ctx, f"subnetgroup:{name}"), description=params["CacheSubnetGroupDescription"],
                                 vpc_id=vpc_id, subnets=subnets, tags=self._checked_tags(params.get("Tags") or []))
        self.subnet_groups().put(ctx.scope, name, group)
        return {"CacheSubnetGroup": self._describe_subnet_group(group)}

    def describe_cache_subnet_groups(self, ctx, params: dict) -> dict:
        name = params.get("CacheSubnetGroupName")
        groups = [self.get_subnet_group(ctx.scope, name)] if name is not None else self.subnet_groups().values(ctx.scope)
        return paged(self, "CacheSubnetGroups", [self._describe_subnet_group(g) for g in groups], params)

    def modify_cache_subnet_group(self, ctx, params: dict) -> dict:
        group = self.get_subnet_group(ctx.scope, params["CacheSubnetGroupName"])
        if params.get("CacheSubnetGroupDescription") is not None:
            group.description = params["CacheSubnetGroupDescription"]
        if params.get("SubnetIds"):
            group.vpc_id, group.subnets = self._subnets(ctx.scope, params["SubnetIds"])
        self.subnet_groups().put(ctx.scope, group.name, group)
        return {"CacheSubnetGroup": self._describe_subnet_group(group)}

    def delete_cache_subnet_group(self, ctx, params: dict) -> dict:
        group = self.get_subnet_group(ctx.scope, params["CacheSubnetGroupName"])
        in_use = [c for c in self.clusters.values(ctx.scope) if c.subnet_group == group.name]
        if in_use:
            raise ServiceError("CacheSubnetGroupInUse", f"Cache subnet group {group.name} is currently in use by a cache cluster.")
        self.subnet_groups().delete(ctx.scope, group.name)
        return {}

    # -- tags -----------------------------------------------------------------------------------------------
    def _checked_tags(self, tags: list[dict], existing: list[dict] | None = None) -> list[dict]:
        merged = {t["Key"]: t.get("Value", "") for t in existing or []}
        for tag in tags:
            key = tag.get("Key", "")
            if not key or len(key) > 128 or key.lower().startswith("aws:"):
                raise ServiceError("InvalidParameterValue", f"Invalid tag key: {key!r}. Tag keys must be 1-128 characters and must not begin with aws:.")
            merged[key] = tag.get("Value", "")
        if len(merged) > MAX_TAGS:
            raise ServiceError("TagQuotaPerResourceExceeded", "The request cannot be processed because it would cause the resource to have more than the allowed number of tags. The maximum number of tags permitted on a resource is 50.")
        return [{"Key": k, "Value": v} for k, v in merged.items()]

    def _tagged(self, ctx, resource_name: str):
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
        collection = {"cluster": self.clusters, "replicationgroup": self.groups, "user": self.users,
                      "usergroup": self.user_groups, "parametergroup": self.parameter_groups(),
                      "subnetgroup": self.subnet_groups()}[kind]
        resource = collection.get(scope, key) if scope == ctx.scope else None
        if resource is None:
            raise ServiceError(code, f"{label} not found: {key}", status=404)
        return collection, scope, key, resource

    def add_tags_to_resource(self, ctx, params: dict) -> dict:
        collection, scope, key, resource = self._tagged(ctx, params["ResourceName"])
        resource.tags = self._checked_tags(params.get("Tags") or [], resource.tags)
        collection.put(scope, key, resource)
        return {"TagList": resource.tags}

    def list_tags_for_resource(self, ctx, params: dict) -> dict:
        _, _, _, resource = self._tagged(ctx, params["ResourceName"])
        return {"TagList": resource.tags}

    def remove_tags_from_resource(self, ctx, params: dict) -> dict:
        collection, scope, key, resource = self._tagged(ctx, params["ResourceName"])
        keys = params.get("TagKeys") or []
        present = {t["Key"] for t in resource.tags}
        missing = [k for k in keys if k not in present]
        if missing:
            raise ServiceError("TagNotFound", f"Tag {missing[0]} not found on resource {params['ResourceName']}.", status=404)
        resource.tags = [t for t in resource.tags if t["Key"] not in keys]
        collection.put(scope, key, resource)
        return {"TagList": resource.tags}


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
        raise _invalid(f"The parameter {spec.name} requires a value.")
    if spec.data_type in ("integer", "float", "boolean"):
        try:
            fits = _fits(float(value) if spec.data_type == "float" else int(value), spec.allowed)
        except ValueError:
            fits = False
    else:
        fits = not (spec.allowed and "," in spec.allowed) or value in spec.allowed.split(",")
    if not fits:
        raise _invalid(f"Value {value} for parameter {spec.name} is invalid. The allowed values are: {spec.allowed}")
