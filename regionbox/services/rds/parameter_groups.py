"""DB parameter groups: the installed PostgreSQL's own parameters (``postgres --describe-config``),
the values a group sets, and how they reach the servers of the instances that use it.

A group's dynamic parameters apply at once (regionbox.conf rewritten, configuration reloaded); a
static one (context "postmaster") waits for a reboot, and the instance shows ``pending-reboot``,
as RDS does. Each family has a default group, ``default.postgres<major>``, that cannot be changed.
"""

from __future__ import annotations

import functools
import re
import subprocess
from typing import Callable

from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.engines import kinds
from regionbox.services.rds import validation as check
from regionbox.services.rds.account import quota
from regionbox.services.rds.models import DBParameterGroup, RdsState

# Parameters RDS does not let a customer set (replication and the server's own place are RDS's).
NOT_MODIFIABLE = {"listen_addresses", "port", "unix_socket_directories", "data_directory", "hba_file", "ident_file",
                  "config_file", "wal_level", "max_wal_senders", "hot_standby", "synchronous_standby_names",
                  "primary_conninfo", "archive_command", "archive_library", "restore_command", "ssl_cert_file",
                  "ssl_key_file", "external_pid_file", "shared_preload_libraries", "logging_collector", "log_directory"}
FAMILY = re.compile(r"(postgres|aurora-postgresql)\d+")  # Aurora PostgreSQL's instances have groups of their own family
TYPES = {"BOOLEAN": "boolean", "INTEGER": "integer", "REAL": "float", "STRING": "string", "ENUM": "list"}


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, dict]:
    """Every parameter of the installed server: name -> {context, type, default, min, max, description}."""
    bindir = kinds.postgres_bindir()
    if bindir is None:
        return {}
    output = subprocess.run([str(bindir / "postgres"), "--describe-config"], capture_output=True, text=True).stdout
    found = {}
    for line in output.splitlines():
        fields = line.split("\t")
        if len(fields) < 8 or fields[1] == "internal":
            continue
        found[fields[0]] = {"context": fields[1], "type": fields[3], "default": fields[4], "min": fields[5], "max": fields[6],
                            "description": fields[7]}
    return found


def family(version: str) -> str:
    return f"postgres{version.split('.')[0]}"


def default_group_name(version: str) -> str:
    return f"default.{family(version)}"


def not_found(name: str) -> ServiceError:
    return ServiceError("DBParameterGroupNotFound", f"DBParameterGroup not found: {name}", 404)


class ParameterGroups:
    def __init__(self, state: RdsState, paginator: Paginator, apply: Callable[[Scope, str, bool], None]) -> None:
        self.state = state
        self.collection = state.parameter_groups  # DB cluster parameter groups keep theirs (cluster_parameter_groups.py)
        self.paginator = paginator
        # apply(scope, group name, static changed): the group's instances get its values (Instances).
        self.apply = apply

    def group(self, scope: Scope, name: str) -> DBParameterGroup:
        if name.startswith("default."):
            fam = name[len("default."):]
            if FAMILY.fullmatch(fam):
                return DBParameterGroup(name=name, arn="", family=fam, description=f"Default parameter group for {fam}")
        group = self.collection.get(scope, name.lower())
        if group is None:
            raise not_found(name)
        return group

    def values(self, scope: Scope, name: str) -> dict[str, str]:
        try:
            return dict(self.group(scope, name).values)
        except ServiceError:
            return {}

    def static_values(self, scope: Scope, name: str) -> dict[str, str]:
        cat = catalogue()
        return {k: v for k, v in self.values(scope, name).items() if cat.get(k, {}).get("context") == "postmaster"}

    @staticmethod
    def describe(group: DBParameterGroup, ctx) -> dict:
        return {"DBParameterGroupName": group.name, "DBParameterGroupFamily": group.family, "Description": group.description,
                "DBParameterGroupArn": group.arn or ctx.arn("rds", f"pg:{group.name}")}

    def create_db_parameter_group(self, ctx, params: dict) -> dict:
        name = params["DBParameterGroupName"]
        if not check.IDENTIFIER.match(name) or name.lower().startswith("default"):
            raise invalid(f"The parameter DBParameterGroupName is not a valid identifier: {name}")
        fam = params["DBParameterGroupFamily"]
        if not FAMILY.fullmatch(fam):
            raise invalid(f"ParameterGroupFamily {fam} is not a valid parameter group family")
        if self.collection.get(ctx.scope, name.lower()) is not None:
            raise ServiceError("DBParameterGroupAlreadyExists", f"Parameter group {name.lower()} already exists")
        group = DBParameterGroup(name=name.lower(), arn=ctx.arn("rds", f"pg:{name.lower()}"), family=fam,
                                 description=params["Description"], tags=params.get("Tags") or [])
        self.collection.put(ctx.scope, group.name, group)
        return {"DBParameterGroup": self.describe(group, ctx)}

    def copy_db_parameter_group(self, ctx, params: dict) -> dict:
        source_id = params["SourceDBParameterGroupIdentifier"]
        if source_id.startswith("arn:"):  # an ARN of the caller's own account and region
            parts = source_id.split(":")
            if len(parts) != 7 or parts[2] != "rds" or parts[5] != "pg":
                raise invalid(f"Invalid source parameter group identifier: {source_id}")
            if (parts[4], parts[3]) != ctx.scope:
                raise not_found(source_id)
            source_id = parts[6]
        source = self.group(ctx.scope, source_id)
        name = params["TargetDBParameterGroupIdentifier"]
        if not check.IDENTIFIER.match(name) or name.lower().startswith("default"):
            raise invalid(f"The parameter TargetDBParameterGroupIdentifier is not a valid identifier: {name}")
        if self.state.parameter_groups.get(ctx.scope, name.lower()) is not None:
            raise ServiceError("DBParameterGroupAlreadyExists", f"Parameter group {name.lower()} already exists")
        if len(self.state.parameter_groups.values(ctx.scope)) >= quota("DBParameterGroups"):
            raise ServiceError("DBParameterGroupQuotaExceeded", "The request cannot be processed because it would exceed "
                               "the maximum number of DBParameterGroups for this account.")
        group = DBParameterGroup(name=name.lower(), arn=ctx.arn("rds", f"pg:{name.lower()}"), family=source.family,
                                 description=params["TargetDBParameterGroupDescription"], values=dict(source.values),
                                 methods=dict(source.methods), tags=params.get("Tags") or [])
        self.state.parameter_groups.put(ctx.scope, group.name, group)
        return {"DBParameterGroup": self.describe(group, ctx)}

    def describe_db_parameter_groups(self, ctx, params: dict) -> dict:
        name = params.get("DBParameterGroupName")
        if name:
            groups = [self.group(ctx.scope, name)]
        else:
            version = kinds.postgres_version() or "15"
            groups = [self.group(ctx.scope, default_group_name(version)), *self.collection.values(ctx.scope)]
        return check.paged(self.paginator, "DBParameterGroups", [self.describe(g, ctx) for g in groups], params)

    def describe_db_parameters(self, ctx, params: dict) -> dict:
        group = self.group(ctx.scope, params["DBParameterGroupName"])
        source = params.get("Source")
        rows = []
        for name, info in sorted(catalogue().items()):
            user_set = name in group.values
            if source == "user" and not user_set or source in ("engine-default", "system") and user_set:
                continue
            row = {"ParameterName": name, "Description": info["description"], "Source": "user" if user_set else "engine-default",
                   "ApplyType": "static" if info["context"] == "postmaster" else "dynamic",
                   "DataType": TYPES.get(info["type"], "string"), "IsModifiable": name not in NOT_MODIFIABLE,
                   "ApplyMethod": group.methods.get(name, "pending-reboot"), "SupportedEngineModes": ["provisioned"]}
            if info["min"] and info["max"]:
                row["AllowedValues"] = f"{info['min']}-{info['max']}"
            value = group.values.get(name, info["default"])
            if value != "":
                row["ParameterValue"] = value
            rows.append(row)
        return check.paged(self.paginator, "Parameters", rows, params)

    def describe_engine_default_parameters(self, ctx, params: dict) -> dict:
        fam = params["DBParameterGroupFamily"]
        rows = self.describe_db_parameters(ctx, {**params, "DBParameterGroupName": f"default.{fam}", "Source": None})
        return {"EngineDefaults": {"DBParameterGroupFamily": fam, "Parameters": rows["Parameters"], **(
            {"Marker": rows["Marker"]} if "Marker" in rows else {})}}

    def modify_db_parameter_group(self, ctx, params: dict) -> dict:
        group = self.group(ctx.scope, params["DBParameterGroupName"])
        if not group.arn:
            raise invalid(f"The parameter group {group.name} cannot be modified because it is a default parameter group.")
        cat, static = catalogue(), False
        for parameter in params["Parameters"]:
            name, method = parameter.get("ParameterName"), parameter.get("ApplyMethod")
            if name not in cat:
                raise invalid(f"Could not find parameter with name: {name}")
            if name in NOT_MODIFIABLE:
                raise invalid(f"The parameter {name} cannot be modified.")
            if cat[name]["context"] == "postmaster" and method == "immediate":
                raise invalid(f"cannot use immediate apply method for static parameter {name}")
            if "ParameterValue" not in parameter:
                raise invalid(f"The parameter ParameterValue for {name} must be provided")
            group.values[name] = str(parameter["ParameterValue"])
            group.methods[name] = method or "pending-reboot"
            static = static or cat[name]["context"] == "postmaster"
        self.collection.put(ctx.scope, group.name, group)
        self.apply(ctx.scope, group.name, static)
        return {"DBParameterGroupName": group.name}

    def reset_db_parameter_group(self, ctx, params: dict) -> dict:
        group = self.group(ctx.scope, params["DBParameterGroupName"])
        if not group.arn:
            raise invalid(f"The parameter group {group.name} cannot be modified because it is a default parameter group.")
        if params.get("ResetAllParameters"):
            group.values, group.methods = {}, {}
        for parameter in params.get("Parameters") or []:
            group.values.pop(parameter.get("ParameterName"), None)
        self.collection.put(ctx.scope, group.name, group)
        self.apply(ctx.scope, group.name, True)
        return {"DBParameterGroupName": group.name}

    def delete_db_parameter_group(self, ctx, params: dict) -> dict:
        group = self.group(ctx.scope, params["DBParameterGroupName"])
        if not group.arn:
            raise ServiceError("InvalidDBParameterGroupState", "Default DBParameterGroup cannot be deleted")
        if any(i.parameter_group == group.name for i in self.state.instances.values(ctx.scope)):
            raise ServiceError("InvalidDBParameterGroupState", f"One or more database instances are still members of this "
                               f"parameter group {group.name}, so the group cannot be deleted")
        self.collection.delete(ctx.scope, group.name)
        return {}
