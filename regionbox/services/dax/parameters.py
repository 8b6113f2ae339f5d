"""Parameter groups: the two settings of a DAX node's cache, ``record-ttl-millis`` (item cache)
and ``query-ttl-millis`` (query cache), both 5 minutes by default and applied at once
(ChangeType IMMEDIATE): a change reaches the running nodes of every cluster using the group.

``default.dax1.0`` always exists, cannot be changed or deleted, and is what a cluster gets
without a ParameterGroupName.
"""

from __future__ import annotations

from typing import Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.dax import validation as check
from regionbox.services.dax.events import EventLog, Messages
from regionbox.services.dax.models import DaxState, ParameterGroup

DEFAULT_GROUP = "default.dax1.0"
DEFAULT_TTL_MS = "300000"
DESCRIPTIONS = {
    "query-ttl-millis": "Duration in milliseconds for queries to remain cached",
    "record-ttl-millis": "Duration in milliseconds for records to remain valid in cache (Default: 0 = infinite)",
}
MAX_PARAMETERS_PER_UPDATE = 20


def default_group(name: str) -> ParameterGroup | None:
    if name != DEFAULT_GROUP:
        return None
    return ParameterGroup(DEFAULT_GROUP, "Default parameter group for dax1.0")


def _parameter(name: str, value: str, source: str) -> dict:
    return {"ParameterName": name, "ParameterType": "DEFAULT", "ParameterValue": value, "NodeTypeSpecificValues": [],
            "Description": DESCRIPTIONS[name], "Source": source, "DataType": "integer", "AllowedValues": "0-",
            "IsModifiable": "TRUE", "ChangeType": "IMMEDIATE"}


def values_of(group: ParameterGroup) -> dict[str, int]:
    """The group's settings in milliseconds, defaults filled in."""
    return {name: int(group.values.get(name, DEFAULT_TTL_MS)) for name in DESCRIPTIONS}


def _describe(group: ParameterGroup) -> dict:
    return {"ParameterGroupName": group.name, "Description": group.description}


class ParameterGroups:
    def __init__(self, state: DaxState, paginator: Paginator, events: EventLog,
                 applied: Callable[[Scope, str], None]) -> None:
        self.state = state
        self.paginator = paginator
        self.events = events
        self.applied = applied  # the group's new settings reach the nodes of clusters using it

    def create_parameter_group(self, ctx: RequestContext, params: dict) -> dict:
        given = params["ParameterGroupName"].lower()
        name = given if given == DEFAULT_GROUP else check.name(given, "Parameter group")
        if name == DEFAULT_GROUP or self.state.parameter_groups.get(ctx.scope, name) is not None:
            raise ServiceError("ParameterGroupAlreadyExistsFault", f"Parameter group {name} already exists.")
        group = ParameterGroup(name, params.get("Description", ""))
        self.state.parameter_groups.put(ctx.scope, name, group)
        self.events.record(ctx.scope, name, "PARAMETER_GROUP", Messages.PARAMETER_GROUP_CREATED.format(group=name))
        return {"ParameterGroup": _describe(group)}

    def describe_parameter_groups(self, ctx: RequestContext, params: dict) -> dict:
        names = params.get("ParameterGroupNames")
        if names:
            groups = [self.state.parameter_group(ctx.scope, name) for name in names]
        else:
            groups = [default_group(DEFAULT_GROUP)] + sorted(self.state.parameter_groups.values(ctx.scope),
                                                             key=lambda g: g.name)
        return check.page(self.paginator, "ParameterGroups", [_describe(g) for g in groups], params)

    def describe_parameters(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.parameter_group(ctx.scope, params["ParameterGroupName"])
        source = params.get("Source")
        if source is not None and source not in ("user", "system"):
            raise check.invalid(f"Invalid value for parameter Source: {source}. Valid values are: user, system")
        # Both parameters are the user's to set ("Source": "user"), changed or not, as AWS lists them.
        rows = [] if source == "system" else [_parameter(name, str(value), "user")
                                              for name, value in values_of(group).items()]
        return check.page(self.paginator, "Parameters", rows, params)

    def describe_default_parameters(self, ctx: RequestContext, params: dict) -> dict:
        rows = [_parameter(name, DEFAULT_TTL_MS, "user") for name in DESCRIPTIONS]
        return check.page(self.paginator, "Parameters", rows, params)

    def update_parameter_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.parameter_group(ctx.scope, params["ParameterGroupName"])
        if group.name == DEFAULT_GROUP:
            raise ServiceError("InvalidParameterGroupStateFault",
                               f"Parameter group {DEFAULT_GROUP} is a default parameter group and cannot be modified.")
        changes = params["ParameterNameValues"]
        if not changes:
            raise check.invalid("ParameterNameValues must not be empty.")
        if len(changes) > MAX_PARAMETERS_PER_UPDATE:
            raise check.invalid(f"You can modify up to {MAX_PARAMETERS_PER_UPDATE} parameters in a single request.")
        for change in changes:
            name, value = change.get("ParameterName"), change.get("ParameterValue")
            if name not in DESCRIPTIONS:
                raise check.invalid(f"Unsupported parameter name: {name}. "
                                    "record-ttl-millis and query-ttl-millis are the only supported parameter names.")
            if value is None or not value.isdigit():
                raise check.invalid(f"Invalid value for parameter {name}: {value}. Allowed values: 0-")
            group.values[name] = str(int(value))
        self.state.parameter_groups.put(ctx.scope, group.name, group)
        names = ", ".join(sorted({change["ParameterName"] for change in changes}))
        self.events.record(ctx.scope, group.name, "PARAMETER_GROUP",
                           Messages.PARAMETER_GROUP_CHANGED.format(group=group.name, names=names))
        self.applied(ctx.scope, group.name)
        return {"ParameterGroup": _describe(group)}

    def delete_parameter_group(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.parameter_group(ctx.scope, params["ParameterGroupName"])
        if group.name == DEFAULT_GROUP:
            raise ServiceError("InvalidParameterGroupStateFault",
                               f"Parameter group {DEFAULT_GROUP} is a default parameter group and cannot be deleted.")
        users = sorted(c.name for c in self.state.clusters.values(ctx.scope) if c.parameter_group == group.name)
        if users:
            raise ServiceError("InvalidParameterGroupStateFault",
                               f"Parameter group {group.name} is in use by cluster(s): {', '.join(users)}.")
        self.state.parameter_groups.delete(ctx.scope, group.name)
        self.events.record(ctx.scope, group.name, "PARAMETER_GROUP", Messages.PARAMETER_GROUP_DELETED.format(group=group.name))
        return {"DeletionMessage": f"Parameter group {group.name} has been deleted."}
