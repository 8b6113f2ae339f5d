"""Event invoke configs: how a function's asynchronous invocations are retried (0-2 times), how
old an event may get (60 s to 6 h), and where their records go (OnSuccess / OnFailure: another
function, an S3 bucket, or SQS, SNS and EventBridge when regionbox serves them). Each version or
alias has its own; the unqualified function's is $LATEST's."""

from __future__ import annotations

from typing import Any

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope
from regionbox.services.lambda_.destinations import check_destination
from regionbox.services.lambda_.errors import invalid_value
from regionbox.services.lambda_.models import LATEST, InvokeConfig
from regionbox.services.lambda_.names import FunctionRef, function_arn, parse_function
from regionbox.services.lambda_.state import LambdaState

CONFIGS_PAGE = PageRule(token="Marker", size="MaxItems", default=50, minimum=1, maximum=50,
                        out_of_range=lambda n: invalid_value(f"MaxItems must be between 1 and 50: {n}"),
                        bad_token=lambda t: invalid_value("Invalid Marker"))
DESTINATIONS = ("sqs", "sns", "lambda", "events", "s3")


def _output(scope: Scope, config: InvokeConfig) -> dict[str, Any]:
    output: dict[str, Any] = {"LastModified": config.last_modified,
                              "FunctionArn": function_arn(*scope, config.function, config.qualifier or LATEST),
                              "DestinationConfig": {kind: dict(config.destination[kind]) for kind in ("OnSuccess", "OnFailure")
                                                    if config.destination.get(kind)}}
    if config.max_retries is not None:
        output["MaximumRetryAttempts"] = config.max_retries
    if config.max_age is not None:
        output["MaximumEventAgeInSeconds"] = config.max_age
    return output


class InvokeConfigs:
    def __init__(self, state: LambdaState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _ref(self, ctx: RequestContext, params: dict) -> tuple[FunctionRef, str]:
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        self.state.resolve(ref)
        qualifier = "" if ref.qualifier in (None, LATEST) else ref.qualifier
        return ref, f"{ref.name}:{qualifier}"

    @staticmethod
    def _apply(config: InvokeConfig, params: dict) -> None:
        if "MaximumRetryAttempts" in params:
            config.max_retries = params["MaximumRetryAttempts"]
        if "MaximumEventAgeInSeconds" in params:
            config.max_age = params["MaximumEventAgeInSeconds"]
        if "DestinationConfig" in params:
            for kind in ("OnSuccess", "OnFailure"):
                target = ((params["DestinationConfig"] or {}).get(kind) or {}).get("Destination")
                if target:
                    check_destination(target, DESTINATIONS)
                    config.destination[kind] = {"Destination": target}
                elif kind in (params["DestinationConfig"] or {}):
                    config.destination.pop(kind, None)
        config.last_modified = clock.epoch()

    def put_function_event_invoke_config(self, ctx: RequestContext, params: dict) -> dict:
        ref, key = self._ref(ctx, params)
        config = InvokeConfig(function=ref.name, qualifier=key.split(":", 1)[1], last_modified=clock.epoch())
        self._apply(config, params)
        self.state.invoke_configs.put(ref.scope, key, config)
        return _output(ref.scope, config)

    def update_function_event_invoke_config(self, ctx: RequestContext, params: dict) -> dict:
        ref, key = self._ref(ctx, params)
        config = self.state.invoke_configs.get(ref.scope, key) or \
            InvokeConfig(function=ref.name, qualifier=key.split(":", 1)[1], last_modified=clock.epoch())
        self._apply(config, params)
        self.state.invoke_configs.put(ref.scope, key, config)
        return _output(ref.scope, config)

    def _existing(self, ref: FunctionRef, key: str) -> InvokeConfig:
        config = self.state.invoke_configs.get(ref.scope, key)
        if config is None:
            raise ServiceError("ResourceNotFoundException", f"The function {function_arn(*ref.scope, ref.name, ref.qualifier or LATEST)}"
                               " doesn't have an EventInvokeConfig", status=404, Type="User")
        return config

    def get_function_event_invoke_config(self, ctx: RequestContext, params: dict) -> dict:
        ref, key = self._ref(ctx, params)
        return _output(ref.scope, self._existing(ref, key))

    def delete_function_event_invoke_config(self, ctx: RequestContext, params: dict) -> dict:
        ref, key = self._ref(ctx, params)
        self._existing(ref, key)
        self.state.invoke_configs.delete(ref.scope, key)
        return {}

    def list_function_event_invoke_configs(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        self.state.function(ref)
        configs = [c for key, c in self.state.invoke_configs.items(ref.scope) if key.startswith(f"{ref.name}:")]
        page, marker = self.paginator.paginate(configs, params, CONFIGS_PAGE, query=ref.name)
        output: dict[str, Any] = {"FunctionEventInvokeConfigs": [_output(ref.scope, c) for c in page]}
        if marker:
            output["NextMarker"] = marker
        return output
