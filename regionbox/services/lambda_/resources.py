"""What each Lambda operation touches, for the gateway's IAM evaluation (``Service.resources``),
and the resource-based policies IAM reads (``Service.resource_policy``).

As Lambda's authorization reference has it: function operations act on the function's ARN,
qualified by the version or alias they name (``function:f:prod``: a policy for the unqualified ARN
does not cover it); Invoke is lambda:InvokeFunction; layer operations act on the layer version
ARN (PublishLayerVersion on the layer's); event source mappings are ``event-source-mapping:<uuid>``,
created and listed on "*"; code signing configurations on their ARN (created and listed on "*");
function URL configurations on the function's ARN qualified by their alias; listings and account
settings on "*".
"""

from __future__ import annotations

from typing import Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.service import Access
from regionbox.services.lambda_.names import function_arn, layer_arn, mapping_arn, parse_function, parse_layer

IAM_ACTIONS = {"Invoke": "lambda:InvokeFunction", "InvokeWithResponseStream": "lambda:InvokeFunction",
               "GetLayerVersionByArn": "lambda:GetLayerVersion"}
_ON_ACCOUNT = {"ListFunctions", "GetAccountSettings", "ListLayers", "ListEventSourceMappings", "ListCodeSigningConfigs",
               "CreateCodeSigningConfig", "ListCapacityProviders", "CreateCapacityProvider"}
_QUALIFIED = {"GetFunction", "GetFunctionConfiguration", "Invoke", "InvokeWithResponseStream", "DeleteFunction",
              "AddPermission", "RemovePermission", "GetPolicy", "PutFunctionEventInvokeConfig",
              "UpdateFunctionEventInvokeConfig", "GetFunctionEventInvokeConfig", "DeleteFunctionEventInvokeConfig",
              "GetRuntimeManagementConfig", "PutRuntimeManagementConfig", "GetProvisionedConcurrencyConfig",
              "PutProvisionedConcurrencyConfig", "DeleteProvisionedConcurrencyConfig", "CreateFunctionUrlConfig",
              "GetFunctionUrlConfig", "UpdateFunctionUrlConfig", "DeleteFunctionUrlConfig"}


def resources(ctx: RequestContext, operation: str, params: dict) -> list[str | Access]:
    if operation in _ON_ACCOUNT:
        return ["*"]
    if operation == "CreateEventSourceMapping":
        return [Access("*", context=_function_key(ctx, params))]
    if "UUID" in params:
        return [mapping_arn(*ctx.scope, params["UUID"])]
    if operation in ("TagResource", "UntagResource", "ListTags"):
        return [params["Resource"]]
    if "ResourceArn" in params:  # Put/Get/DeleteResourcePolicy
        return [params["ResourceArn"]]
    if "CodeSigningConfigArn" in params and "FunctionName" not in params:  # Get/Update/Delete, ListFunctionsBy...
        return [params["CodeSigningConfigArn"]]
    if operation == "GetLayerVersionByArn":
        return [params["Arn"]]
    if "LayerName" in params:
        account, region, name = parse_layer(ctx, params["LayerName"])
        version = params.get("VersionNumber")
        return [layer_arn(account, region, name, version) if version is not None else
                layer_arn(account, region, name) if operation == "PublishLayerVersion" else "*"]
    if "FunctionName" in params:
        try:
            ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        except ServiceError:
            return ["*"]  # the handler answers the malformed name
        return [function_arn(ref.account, ref.region, ref.name, ref.qualifier if operation in _QUALIFIED else None)]
    return ["*"]


def _function_key(ctx: RequestContext, params: dict) -> dict:
    try:
        ref = parse_function(ctx, params.get("FunctionName") or "")
    except ServiceError:
        return {}
    return {"lambda:FunctionArn": function_arn(ref.account, ref.region, ref.name, ref.qualifier)}


def resource_policy(functions: Callable[[str], str | None], layers: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """A function's policy for a function ARN, a layer version's for a layer version ARN."""
    def policy_of(arn: str) -> str | None:
        return functions(arn) if ":function:" in arn else layers(arn) if ":layer:" in arn else None
    return policy_of
