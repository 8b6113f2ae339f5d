"""Versions: PublishVersion (an immutable snapshot of $LATEST's code and configuration) and
ListVersionsByFunction. Publishing what the last version already is gives that version back,
as AWS does; version numbers are never reused, even after a version is deleted."""

from __future__ import annotations

import dataclasses
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope
from regionbox.services.lambda_.errors import check_revision, conflict, invalid_value
from regionbox.services.lambda_.functions import configuration, revision, timestamp
from regionbox.services.lambda_.models import Function, FunctionConfig
from regionbox.services.lambda_.names import function_arn, parse_function
from regionbox.services.lambda_.state import LambdaState

VERSIONS_PAGE = PageRule(token="Marker", size="MaxItems", default=50, minimum=1, maximum=10000,
                         out_of_range=lambda n: invalid_value(f"MaxItems must be between 1 and 10000: {n}"),
                         bad_token=lambda t: invalid_value("Invalid Marker"))
# What makes two versions the same for PublishVersion: everything but identity and bookkeeping.
_IDENTITY = {"version", "last_modified", "revision_id", "description", "state", "state_reason", "state_reason_code",
             "last_update_status", "last_update_reason", "last_update_reason_code"}


def _signature(config: FunctionConfig) -> dict[str, Any]:
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(FunctionConfig) if f.name not in _IDENTITY}


class Versions:
    def __init__(self, state: LambdaState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def publish(self, scope: Scope, function: Function, params: dict) -> FunctionConfig:
        """A new version of ``function`` as it is now (or the last one, when nothing changed)."""
        published = self.state.published(scope, function.name)
        if published and _signature(published[-1]) == _signature(function) and "Description" not in params:
            return published[-1]
        function.last_version += 1
        values = {f.name: getattr(function, f.name) for f in dataclasses.fields(FunctionConfig)}
        version = FunctionConfig(**{**values, "version": str(function.last_version), "last_modified": timestamp(),
                                    "revision_id": revision(),
                                    "description": params.get("Description", function.description)})
        with self.state.store.transaction():
            self.state.versions.put(scope, f"{function.name}:{version.version}", version)
            self.state.functions.put(scope, function.name, function)
        return version

    def publish_version(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        function = self.state.function(ref)
        if function.state == "Pending" or function.last_update_status == "InProgress":
            raise conflict("The operation cannot be performed at this time. An update is in progress for resource: "
                           f"{function_arn(ref.account, ref.region, ref.name)}")
        check_revision(function.revision_id, params.get("RevisionId"))
        if params.get("CodeSha256") and params["CodeSha256"] != function.code_sha256:
            raise invalid_value(f"CodeSHA256 ({params['CodeSha256']}) is different from current CodeSHA256 in $LATEST "
                                f"({function.code_sha256}). Please try again")
        version = self.publish(ref.scope, function, params)
        ctx.touched("AWS::Lambda::Function", ref.name)
        return configuration(ref.scope, version, qualified=True)

    def list_versions_by_function(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        function = self.state.function(ref)
        listed = [function, *self.state.published(ref.scope, ref.name)]
        page, marker = self.paginator.paginate(listed, params, VERSIONS_PAGE, query=ref.name)
        output: dict[str, Any] = {"Versions": [configuration(ref.scope, c, qualified=True) for c in page]}
        if marker:
            output["NextMarker"] = marker
        return output
