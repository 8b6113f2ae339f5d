"""Event source mappings: Create, Get, List, Update and Delete, for DynamoDB streams.

A mapping goes ``Creating`` -> ``Enabled`` (its starting position fixed), ``Disabling`` ->
``Disabled``, ``Enabling`` -> ``Enabled``, ``Updating`` -> ``Enabled``, and ``Deleting`` before it
is gone; stream_poller.py reads the stream and makes each transition. Other event sources (SQS,
Kinesis, Kafka, Amazon MQ, DocumentDB) are services regionbox does not serve.
"""

from __future__ import annotations

import uuid as uuids
from typing import Any, Callable

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import NotImplementedOperation, ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.lambda_.destinations import check_destination
from regionbox.services.lambda_.errors import invalid_value, no_such_resource
from regionbox.services.lambda_.filters import compile_filters
from regionbox.services.lambda_.models import EventSourceMapping
from regionbox.services.lambda_.names import function_arn, mapping_arn, parse_function
from regionbox.services.lambda_.state import LambdaState

MAPPINGS_PAGE = PageRule(token="Marker", size="MaxItems", default=100, minimum=1, maximum=10000,
                         out_of_range=lambda n: invalid_value(f"MaxItems must be between 1 and 10000: {n}"),
                         bad_token=lambda t: invalid_value("Invalid Marker"))
ON_FAILURE = ("sqs", "sns", "s3")
_SETTINGS = {"BatchSize": "batch_size", "MaximumBatchingWindowInSeconds": "window", "MaximumRecordAgeInSeconds": "max_age",
             "BisectBatchOnFunctionError": "bisect", "MaximumRetryAttempts": "max_retries",
             "ParallelizationFactor": "parallelization", "FunctionResponseTypes": "response_types"}


def _source_kind(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) >= 6 and parts[0] == "arn" else ""


def output(mapping: EventSourceMapping, account: str, region: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "UUID": mapping.uuid, "StartingPosition": mapping.starting_position, "BatchSize": mapping.batch_size,
        "MaximumBatchingWindowInSeconds": mapping.window, "ParallelizationFactor": mapping.parallelization,
        "EventSourceArn": mapping.source_arn, "FunctionArn": mapping.function_arn, "LastModified": mapping.last_modified,
        "LastProcessingResult": mapping.last_result, "State": mapping.state,
        "StateTransitionReason": mapping.state_reason,
        "DestinationConfig": {"OnFailure": dict(mapping.destination)} if mapping.destination else {"OnFailure": {}},
        "MaximumRecordAgeInSeconds": mapping.max_age, "BisectBatchOnFunctionError": mapping.bisect,
        "MaximumRetryAttempts": mapping.max_retries, "TumblingWindowInSeconds": mapping.tumbling,
        "FunctionResponseTypes": list(mapping.response_types),
        "EventSourceMappingArn": mapping_arn(account, region, mapping.uuid),
    }
    if mapping.filters:
        result["FilterCriteria"] = {"Filters": [dict(f) for f in mapping.filters]}
    return result


class EventSourceMappings:
    def __init__(self, state: LambdaState, paginator: Paginator, dynamodb: Callable[[], Any],
                 changed: Callable[[tuple[str, str], str], None]) -> None:
        self.state = state
        self.paginator = paginator
        self.dynamodb = dynamodb  # DynamoDB's API: the stream must exist
        self.changed = changed  # the poller's: a mapping was created, changed or is going

    def _mapping(self, ctx: RequestContext, uuid: str) -> EventSourceMapping:
        found = self.state.mappings.get(ctx.scope, uuid)
        if found is None:
            raise no_such_resource()
        return found

    def _function_arn(self, ctx: RequestContext, name: str) -> str:
        ref = parse_function(ctx, name)
        if ref.scope != ctx.scope:
            raise invalid_value("An event source mapping must be in the function's account and region.")
        self.state.resolve(ref)
        return function_arn(ref.account, ref.region, ref.name, ref.qualifier)

    def _apply(self, mapping: EventSourceMapping, params: dict) -> None:
        for member, attribute in _SETTINGS.items():
            if member in params:
                setattr(mapping, attribute, params[member])
        if not 1 <= mapping.batch_size <= 10000:
            raise invalid_value(f"BatchSize must be between 1 and 10000 for a DynamoDB stream: {mapping.batch_size}")
        if mapping.max_age != -1 and not 60 <= mapping.max_age <= 604800:
            raise invalid_value("MaximumRecordAgeInSeconds must be -1 or between 60 and 604800.")
        if "FilterCriteria" in params:
            compile_filters(params["FilterCriteria"])
            mapping.filters = [dict(f) for f in (params["FilterCriteria"] or {}).get("Filters") or []]
        if "DestinationConfig" in params:
            target = (((params["DestinationConfig"] or {}).get("OnFailure")) or {}).get("Destination")
            if target:
                check_destination(target, ON_FAILURE)
            mapping.destination = {"Destination": target} if target else {}
        if params.get("TumblingWindowInSeconds"):
            raise NotImplementedOperation("lambda", "CreateEventSourceMapping", "tumbling windows are not built")

    def create_event_source_mapping(self, ctx: RequestContext, params: dict) -> dict:
        source = params.get("EventSourceArn") or ""
        kind = _source_kind(source)
        if kind != "dynamodb" or "/stream/" not in source:
            raise NotImplementedOperation("lambda", "CreateEventSourceMapping", "event source mappings read DynamoDB "
                                          f"streams here; {kind or 'this event source'} is not served by regionbox")
        try:
            self.dynamodb().describe_stream(ctx.scope, source)
        except ServiceError:
            raise invalid_value(f"Stream not found: {source}") from None
        position = params.get("StartingPosition")
        if position not in ("TRIM_HORIZON", "LATEST"):
            raise invalid_value("StartingPosition must be TRIM_HORIZON or LATEST for a DynamoDB stream event source."
                                if position else "StartingPosition is required for DynamoDB stream event sources.")
        mapping = EventSourceMapping(uuid=str(uuids.uuid4()), function_arn=self._function_arn(ctx, params["FunctionName"]),
                                     source_arn=source, batch_size=100, starting_position=position,
                                     last_modified=clock.epoch(), enabled=params.get("Enabled", True),
                                     tags=dict(params.get("Tags") or {}))
        self._apply(mapping, params)
        self.state.mappings.put(ctx.scope, mapping.uuid, mapping)
        self.changed(ctx.scope, mapping.uuid)
        return output(mapping, *ctx.scope)

    def get_event_source_mapping(self, ctx: RequestContext, params: dict) -> dict:
        return output(self._mapping(ctx, params["UUID"]), *ctx.scope)

    def list_event_source_mappings(self, ctx: RequestContext, params: dict) -> dict:
        mappings = self.state.mappings.values(ctx.scope)
        if params.get("EventSourceArn"):
            mappings = [m for m in mappings if m.source_arn == params["EventSourceArn"]]
        if params.get("FunctionName"):
            ref = parse_function(ctx, params["FunctionName"])
            wanted = function_arn(ref.account, ref.region, ref.name, ref.qualifier)
            mappings = [m for m in mappings if m.function_arn == wanted or
                        (ref.qualifier is None and m.function_arn.startswith(wanted + ":"))]
        page, marker = self.paginator.paginate(mappings, params, MAPPINGS_PAGE,
                                               query=[params.get("EventSourceArn"), params.get("FunctionName")])
        result: dict[str, Any] = {"EventSourceMappings": [output(m, *ctx.scope) for m in page]}
        if marker:
            result["NextMarker"] = marker
        return result

    def update_event_source_mapping(self, ctx: RequestContext, params: dict) -> dict:
        mapping = self._mapping(ctx, params["UUID"])
        if mapping.state in ("Creating", "Updating", "Deleting", "Enabling", "Disabling"):
            raise ServiceError("ResourceInUseException", "Cannot update the event source mapping because it is in use.",
                               Type="User")
        if params.get("FunctionName"):
            mapping.function_arn = self._function_arn(ctx, params["FunctionName"])
        self._apply(mapping, params)
        if "Enabled" in params and params["Enabled"] != mapping.enabled:
            mapping.enabled = params["Enabled"]
            mapping.state = "Enabling" if mapping.enabled else "Disabling"
        elif mapping.enabled:
            mapping.state = "Updating"
        mapping.state_reason = "USER_INITIATED"
        mapping.last_modified = clock.epoch()
        self.state.mappings.put(ctx.scope, mapping.uuid, mapping)
        self.changed(ctx.scope, mapping.uuid)
        return output(mapping, *ctx.scope)

    def delete_event_source_mapping(self, ctx: RequestContext, params: dict) -> dict:
        mapping = self._mapping(ctx, params["UUID"])
        if mapping.state in ("Creating", "Deleting"):
            raise ServiceError("ResourceInUseException", "Cannot delete the event source mapping because it is in use.",
                               Type="User")
        mapping.state = "Deleting"
        answer = output(mapping, *ctx.scope)
        self.state.mappings.delete(ctx.scope, mapping.uuid)
        self.changed(ctx.scope, mapping.uuid)
        return answer
