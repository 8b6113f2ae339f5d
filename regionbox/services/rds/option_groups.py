"""Option groups: CreateOptionGroup, CopyOptionGroup, ModifyOptionGroup, DeleteOptionGroup,
DescribeOptionGroups, DescribeOptionGroupOptions.

RDS for PostgreSQL has option groups but no options (its extensions are parameters and
CREATE EXTENSION): AWS lets a postgres option group be created, copied, named by instances and
snapshots and deleted, DescribeOptionGroupOptions lists nothing for postgres, and ModifyOptionGroup
refuses every option. Each major version has a default group, ``default:postgres-<major>``, which
cannot be changed, copied or deleted. Engines regionbox does not run (MySQL, Oracle, SQL Server) are
refused where an engine is named, as CreateDBInstance refuses them.
"""

from __future__ import annotations

import re

from regionbox.core import clock
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.engines import kinds
from regionbox.services.rds import validation as check
from regionbox.services.rds.account import quota
from regionbox.services.rds.instances import ENGINES_ON_AWS
from regionbox.services.rds.models import OptionGroup, RdsState

NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$")
DEFAULT = re.compile(r"^default:postgres-(\d+)$")


def not_found(name: str) -> ServiceError:
    return ServiceError("OptionGroupNotFoundFault", f"Specified OptionGroupName: {name} not found.", 404)


def default_name(major: str) -> str:
    return f"default:postgres-{major}"


class OptionGroups:
    def __init__(self, state: RdsState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    # -- lookups ----------------------------------------------------------------------------------
    @staticmethod
    def _default(major: str) -> OptionGroup:
        return OptionGroup(name=default_name(major), arn="", engine="postgres", major_version=major,
                           description=f"Default option group for postgres {major}")

    def group(self, scope: Scope, name: str) -> OptionGroup:
        match = DEFAULT.match(name.lower())
        if match is not None:
            return self._default(match[1])
        group = self.state.option_groups.get(scope, name.lower())
        if group is None:
            raise not_found(name)
        return group

    def option_group_of(self, ctx, name: str, engine: str, version: str) -> str:
        """The option group an instance or snapshot of ``engine`` ``version`` may use: its name, or AWS's error."""
        group = self.group(ctx.scope, name)
        if group.engine != engine or group.major_version != version.split(".")[0]:
            raise check.combination(f"The option group {group.name} is for {group.engine} {group.major_version} and cannot "
                                    f"be used with {engine} {version}.")
        return group.name

    @staticmethod
    def _engine(engine: str, major: str | None) -> None:
        if engine in ENGINES_ON_AWS:
            raise invalid(f"Engine {engine} is not served by regionbox: it runs postgres instances on the installed PostgreSQL.")
        if engine != "postgres":
            raise invalid(f"Invalid DB engine: {engine}")
        if major is not None and not re.fullmatch(r"\d+", major):
            raise invalid(f"Invalid major engine version {major} for engine {engine}.")

    def describe(self, ctx, group: OptionGroup) -> dict:
        described = {"OptionGroupName": group.name, "OptionGroupDescription": group.description, "EngineName": group.engine,
                     "MajorEngineVersion": group.major_version, "Options": group.options,
                     "AllowsVpcAndNonVpcInstanceMemberships": True,
                     "OptionGroupArn": group.arn or ctx.arn("rds", f"og:{group.name}")}
        return described

    # -- operations --------------------------------------------------------------------------------
    def _new(self, ctx, name: str, description: str, engine: str, major: str, tags: list, parameter: str) -> OptionGroup:
        if not NAME.match(name):
            raise invalid(f"The parameter {parameter} is not a valid identifier. Identifiers must begin with a letter; must "
                          "contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two "
                          "consecutive hyphens.")
        if self.state.option_groups.get(ctx.scope, name.lower()) is not None:
            raise ServiceError("OptionGroupAlreadyExistsFault", f"Option group {name.lower()} already exists.")
        if len(self.state.option_groups.values(ctx.scope)) >= quota("OptionGroups"):
            raise ServiceError("OptionGroupQuotaExceededFault", f"Cannot create more than {quota('OptionGroups')} option groups.")
        group = OptionGroup(name=name.lower(), arn=ctx.arn("rds", f"og:{name.lower()}"), engine=engine, major_version=major,
                            description=description, tags=tags or [])
        self.state.option_groups.put(ctx.scope, group.name, group)
        return group

    def create_option_group(self, ctx, params: dict) -> dict:
        engine, major = params["EngineName"], params["MajorEngineVersion"]
        self._engine(engine, major)
        group = self._new(ctx, params["OptionGroupName"], params["OptionGroupDescription"], engine, major, params.get("Tags"),
                          "OptionGroupName")
        return {"OptionGroup": self.describe(ctx, group)}

    def copy_option_group(self, ctx, params: dict) -> dict:
        source_id = params["SourceOptionGroupIdentifier"]
        if source_id.startswith("arn:"):
            parts = source_id.split(":")
            if len(parts) != 7 or parts[2] != "rds" or parts[5] != "og" or (parts[4], parts[3]) != ctx.scope:
                raise not_found(source_id)
            source_id = parts[6]
        source = self.group(ctx.scope, source_id)
        if not source.arn:
            raise invalid(f"You can't copy a default option group: {source.name}.")
        group = self._new(ctx, params["TargetOptionGroupIdentifier"], params["TargetOptionGroupDescription"], source.engine,
                          source.major_version, params.get("Tags"), "TargetOptionGroupIdentifier")
        group.options = list(source.options)
        self.state.option_groups.put(ctx.scope, group.name, group)
        described = self.describe(ctx, group)
        described.update({"SourceOptionGroup": source.name, "SourceAccountId": ctx.account_id,
                          "CopyTimestamp": clock.from_epoch(clock.epoch())})
        return {"OptionGroup": described}

    def modify_option_group(self, ctx, params: dict) -> dict:
        group = self.group(ctx.scope, params["OptionGroupName"])
        if not group.arn:
            raise invalid(f"The option group {group.name} cannot be modified: it is a default option group.")
        for option in params.get("OptionsToInclude") or []:
            raise invalid(f"Option {option.get('OptionName')} is not available for engine {group.engine} "
                          f"{group.major_version}: PostgreSQL option groups have no options.")
        for name in params.get("OptionsToRemove") or []:
            raise invalid(f"Option {name} is not in option group {group.name}.")
        return {"OptionGroup": self.describe(ctx, group)}

    def delete_option_group(self, ctx, params: dict) -> dict:
        group = self.group(ctx.scope, params["OptionGroupName"])
        if not group.arn:
            raise ServiceError("InvalidOptionGroupStateFault", f"Default option group {group.name} cannot be deleted.")
        users = [i.identifier for i in self.state.instances.values(ctx.scope) if i.option_group == group.name]
        users += [s.identifier for s in self.state.snapshots.values(ctx.scope) if s.option_group == group.name]
        if users:
            raise ServiceError("InvalidOptionGroupStateFault", f"The option group '{group.name}' cannot be deleted because "
                               f"it is in use by {users[0]}.")
        self.state.option_groups.delete(ctx.scope, group.name)
        return {}

    def describe_option_groups(self, ctx, params: dict) -> dict:
        engine, major, name = params.get("EngineName"), params.get("MajorEngineVersion"), params.get("OptionGroupName")
        if major is not None and engine is None:
            raise check.combination("If MajorEngineVersion is supplied, EngineName must also be supplied.")
        if name:
            groups = [self.group(ctx.scope, name)]
        else:
            version = kinds.postgres_version()
            defaults = [self._default(version.split(".")[0])] if version else []
            groups = defaults + self.state.option_groups.values(ctx.scope)
        groups = [g for g in groups if engine in (None, g.engine) and major in (None, g.major_version)]
        return check.paged(self.paginator, "OptionGroupsList", [self.describe(ctx, g) for g in groups], params)

    def describe_option_group_options(self, ctx, params: dict) -> dict:
        self._engine(params["EngineName"], params.get("MajorEngineVersion"))
        # RDS for PostgreSQL offers no options.
        return check.paged(self.paginator, "OptionGroupOptions", [], params)
