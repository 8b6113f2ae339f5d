"""Code signing configurations: Create/Get/Update/Delete/ListCodeSigningConfigs, a function's
own (Put/Get/DeleteFunctionCodeSigningConfig, ListFunctionsByCodeSigningConfig), and what a
function's configuration does to its deployments.

regionbox serves no AWS Signer, so no package here carries a signature from an allowed signing
profile: a function whose configuration ``Enforce``s is refused every code deployment with
Lambda's CodeVerificationFailedException, exactly as AWS refuses an unsigned package; ``Warn``
lets it deploy, as AWS does (AWS also records a warning metric, which regionbox does not). That
check is functions.py's (``Functions._check_signing``), where deployments happen.
"""

from __future__ import annotations

import secrets
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope
from regionbox.services.lambda_.errors import code_signing_not_found, conflict, invalid_value, no_such_resource
from regionbox.services.lambda_.functions import timestamp
from regionbox.services.lambda_.models import CodeSigningConfig
from regionbox.services.lambda_.names import function_arn, parse_function
from regionbox.services.lambda_.state import LambdaState

PAGE = PageRule(token="Marker", size="MaxItems", default=50, minimum=1, maximum=10000,
                out_of_range=lambda n: invalid_value(f"MaxItems must be between 1 and 10000: {n}"),
                bad_token=lambda t: invalid_value("Invalid Marker"))


def _id_of(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def _output(config: CodeSigningConfig) -> dict[str, Any]:
    return {"CodeSigningConfigId": config.id, "CodeSigningConfigArn": config.arn, "Description": config.description,
            "AllowedPublishers": {"SigningProfileVersionArns": list(config.publishers)},
            "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": config.untrusted},
            "LastModified": config.last_modified}


class CodeSigningConfigs:
    def __init__(self, state: LambdaState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _get(self, ctx: RequestContext, arn: str) -> CodeSigningConfig:
        config = self.state.code_signing.get(ctx.scope, _id_of(arn))
        if config is None or config.arn != arn:
            raise no_such_resource()
        return config

    @staticmethod
    def _apply(config: CodeSigningConfig, params: dict) -> None:
        if "Description" in params:
            config.description = params["Description"] or ""
        if params.get("AllowedPublishers"):
            config.publishers = list(params["AllowedPublishers"]["SigningProfileVersionArns"])
        if params.get("CodeSigningPolicies"):
            config.untrusted = params["CodeSigningPolicies"].get("UntrustedArtifactOnDeployment") or "Warn"
        config.last_modified = timestamp()

    def create_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        identifier = "csc-" + secrets.token_hex(9)[:17]
        config = CodeSigningConfig(id=identifier, arn=ctx.arn("lambda", f"code-signing-config:{identifier}"),
                                   last_modified=timestamp(), tags=dict(params.get("Tags") or {}))
        self._apply(config, params)
        self.state.code_signing.put(ctx.scope, identifier, config)
        return {"CodeSigningConfig": _output(config)}

    def get_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        return {"CodeSigningConfig": _output(self._get(ctx, params["CodeSigningConfigArn"]))}

    def update_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        config = self._get(ctx, params["CodeSigningConfigArn"])
        self._apply(config, params)
        self.state.code_signing.put(ctx.scope, config.id, config)
        return {"CodeSigningConfig": _output(config)}

    def _users(self, scope: Scope, arn: str) -> list[str]:
        return sorted(f.name for f in self.state.functions.values(scope) if f.code_signing_config == arn)

    def delete_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        config = self._get(ctx, params["CodeSigningConfigArn"])
        if self._users(ctx.scope, config.arn):
            raise conflict(f"The code signing configuration {config.arn} is attached to one or more functions. "
                           "Remove it from them first.")
        self.state.code_signing.delete(ctx.scope, config.id)
        return {}

    def list_code_signing_configs(self, ctx: RequestContext, params: dict) -> dict:
        configs = sorted(self.state.code_signing.values(ctx.scope), key=lambda c: c.id)
        page, marker = self.paginator.paginate(configs, params, PAGE, query="csc")
        output: dict[str, Any] = {"CodeSigningConfigs": [_output(c) for c in page]}
        if marker:
            output["NextMarker"] = marker
        return output

    def list_functions_by_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        config = self._get(ctx, params["CodeSigningConfigArn"])
        names = self._users(ctx.scope, config.arn)
        page, marker = self.paginator.paginate(names, params, PAGE, query=config.id)
        output: dict[str, Any] = {"FunctionArns": [function_arn(*ctx.scope, name) for name in page]}
        if marker:
            output["NextMarker"] = marker
        return output

    # -- a function's ---------------------------------------------------------------------------
    def put_function_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        function = self.state.function(ref)
        arn = params["CodeSigningConfigArn"]
        if self.state.code_signing.get(ref.scope, _id_of(arn)) is None:
            raise code_signing_not_found(arn)
        function.code_signing_config = arn
        self.state.functions.put(ref.scope, ref.name, function)
        return {"CodeSigningConfigArn": arn, "FunctionName": ref.name}

    def get_function_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        function = self.state.function(ref)
        # Both members are required in the output: a function without one answers them empty.
        return {"CodeSigningConfigArn": function.code_signing_config or "", "FunctionName": ref.name}

    def delete_function_code_signing_config(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        function = self.state.function(ref)
        function.code_signing_config = None
        self.state.functions.put(ref.scope, ref.name, function)
        return {}
