"""Aliases: a name for a version, optionally sending a share of invocations to a second version
(RoutingConfig.AdditionalVersionWeights), as a canary does."""

from __future__ import annotations

from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope
from regionbox.services.lambda_.errors import check_revision, conflict, invalid_value
from regionbox.services.lambda_.functions import revision
from regionbox.services.lambda_.models import LATEST, Alias
from regionbox.services.lambda_.names import FunctionRef, function_arn, parse_function
from regionbox.services.lambda_.state import LambdaState

ALIASES_PAGE = PageRule(token="Marker", size="MaxItems", default=50, minimum=1, maximum=10000,
                        out_of_range=lambda n: invalid_value(f"MaxItems must be between 1 and 10000: {n}"),
                        bad_token=lambda t: invalid_value("Invalid Marker"))


def alias_output(scope: Scope, alias: Alias) -> dict[str, Any]:
    output: dict[str, Any] = {"AliasArn": function_arn(scope[0], scope[1], alias.function, alias.name), "Name": alias.name,
                              "FunctionVersion": alias.version, "Description": alias.description,
                              "RevisionId": alias.revision_id}
    if alias.weights:
        output["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.weights)}
    return output


class Aliases:
    def __init__(self, state: LambdaState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _check(self, ref: FunctionRef, version: str, routing: dict | None) -> dict[str, float]:
        self.state.version(ref, version)
        weights = dict((routing or {}).get("AdditionalVersionWeights") or {})
        if len(weights) > 1:
            raise invalid_value("Number of items in AdditionalVersionWeights cannot be greater than 1")
        for other in weights:
            if version == LATEST or other == LATEST:
                raise invalid_value("$LATEST is not supported for an alias pointing to more than 1 version")
            if other == version:
                raise invalid_value(f"Invalid function version {other}. Function version {other} is already included "
                                    "in routing configuration.")
            self.state.version(ref, other)
        return weights

    def create_alias(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        self.state.function(ref)
        key = f"{ref.name}:{params['Name']}"
        if self.state.aliases.get(ref.scope, key) is not None:
            raise conflict(f"Alias already exists: {function_arn(ref.account, ref.region, ref.name, params['Name'])}")
        weights = self._check(ref, params["FunctionVersion"], params.get("RoutingConfig"))
        alias = Alias(function=ref.name, name=params["Name"], version=params["FunctionVersion"], revision_id=revision(),
                      description=params.get("Description") or "", weights=weights)
        self.state.aliases.put(ref.scope, key, alias)
        return alias_output(ref.scope, alias)

    def get_alias(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        return alias_output(ref.scope, self.state.alias(ref, params["Name"]))

    def update_alias(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        alias = self.state.alias(ref, params["Name"])
        check_revision(alias.revision_id, params.get("RevisionId"))
        version = params.get("FunctionVersion") or alias.version
        routing = params["RoutingConfig"] if "RoutingConfig" in params else \
            {"AdditionalVersionWeights": alias.weights} if version == alias.version else None
        alias.weights = self._check(ref, version, routing)
        alias.version = version
        if "Description" in params:
            alias.description = params["Description"] or ""
        alias.revision_id = revision()
        self.state.aliases.put(ref.scope, f"{ref.name}:{alias.name}", alias)
        return alias_output(ref.scope, alias)

    def delete_alias(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        self.state.function(ref)
        with self.state.store.transaction():
            for collection in (self.state.aliases, self.state.policies, self.state.invoke_configs, self.state.urls, self.state.provisioned):
                collection.delete(ref.scope, f"{ref.name}:{params['Name']}")
        return {}

    def list_aliases(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        self.state.function(ref)
        aliases = sorted(self.state.aliases_of(ref.scope, ref.name), key=lambda a: a.name)
        if params.get("FunctionVersion"):
            aliases = [a for a in aliases if a.version == params["FunctionVersion"]]
        page, marker = self.paginator.paginate(aliases, params, ALIASES_PAGE, query=[ref.name, params.get("FunctionVersion")])
        output: dict[str, Any] = {"Aliases": [alias_output(ref.scope, a) for a in page]}
        if marker:
            output["NextMarker"] = marker
        return output
