"""Log transformers: PutTransformer, GetTransformer, DeleteTransformer, TestTransformer, and the
transformed events metric and subscription filters read when they ask for them
(``applyOnTransformedLogs``).

A transformer is a list of processors (transform_processors.py), checked as AWS checks it: one
processor type per entry, a parser of AWS vended logs only first and reading ``@message``, grok
patterns that compile. Only Standard log groups take one. A group's own transformer wins over an
account-level one (PutAccountPolicy TRANSFORMER_POLICY) that selects it by name prefix. Events
are stored as they arrived; the transformed version is made when a filter reads it.
"""

from __future__ import annotations

import json
import re

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.services.logs.models import GroupPolicy, LogGroup
from regionbox.services.logs.state import LogsState, not_found, now_ms, selection_values
from regionbox.services.logs.transform_processors import (MESSAGE, PROCESSORS, VENDED_PARSERS, UnsupportedProcessor,
                                                          compile_grok, transform)


def check_processors(processors: list) -> list[dict]:
    """The processors, or AWS's refusal of them."""
    if not isinstance(processors, list) or not processors:
        raise invalid("Invalid transformer configuration: a transformer has at least one processor.")
    vended = 0
    for position, processor in enumerate(processors):
        named = [name for name, config in processor.items() if config is not None] if isinstance(processor, dict) else []
        if len(named) != 1 or named[0] not in PROCESSORS:
            raise invalid("Invalid transformer configuration: each processor must specify exactly one processor type.")
        name, config = named[0], processor[named[0]]
        if not isinstance(config, dict):
            raise invalid(f"Invalid transformer configuration: the configuration of {name} must be an object.")
        if name in VENDED_PARSERS:
            vended += 1
            if position != 0 or vended > 1:
                raise invalid(f"Invalid transformer configuration: {name} must be the first processor of the transformer.")
            if config.get("source", MESSAGE) != MESSAGE:
                raise invalid(f"Invalid transformer configuration: the source of {name} can only be @message.")
        if name == "grok":
            try:
                compile_grok(config.get("match", ""))
            except (ValueError, re.error) as error:  # an unknown pattern name, or a regex that does not compile
                raise invalid(f"Invalid transformer configuration: invalid grok pattern: {error}") from None
    return [{name: config for name, config in p.items() if config is not None} for p in processors]


class Transformers:
    def __init__(self, state: LogsState) -> None:
        self.state = state
        self.transformers = state.transformers

    def put_transformer(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        if group.log_group_class != "STANDARD":
            raise ServiceError("InvalidOperationException",
                               "Transformers are supported only for log groups in the STANDARD log class.")
        processors = check_processors(params["transformerConfig"])
        existing = self.transformers.get(ctx.scope, group.name)
        now = now_ms()
        self.transformers.put(ctx.scope, group.name, GroupPolicy(group.name, processors, now,
                                                                 existing.creation_time if existing else now))
        return {}

    def get_transformer(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        found = self.transformers.get(ctx.scope, group.name)
        if found is None:
            raise not_found(f"No transformer found for log group {group.name}.")
        return {"logGroupIdentifier": params["logGroupIdentifier"], "creationTime": found.creation_time,
                "lastModifiedTime": found.last_updated, "transformerConfig": found.document}

    def delete_transformer(self, ctx: RequestContext, params: dict) -> dict:
        group = self.state.group_named(ctx, params)
        if self.transformers.delete(ctx.scope, group.name) is None:
            raise not_found(f"No transformer found for log group {group.name}.")
        return {}

    def test_transformer(self, ctx: RequestContext, params: dict) -> dict:
        processors = check_processors(params["transformerConfig"])
        try:
            transformed = [transform(processors, message) for message in params["logEventMessages"]]
        except UnsupportedProcessor as error:
            raise ServiceError("InvalidOperationException", str(error)) from None
        return {"transformedLogs": [{"eventNumber": number, "eventMessage": message, "transformedEventMessage": result}
                                    for number, (message, result) in
                                    enumerate(zip(params["logEventMessages"], transformed), start=1)]}

    # -- for filters -----------------------------------------------------------------------------
    def processors_for(self, scope: Scope, group: LogGroup) -> list[dict] | None:
        own = self.transformers.get(scope, group.name)
        if own is not None:
            return own.document
        for policy in self.state.account_policies_of(scope, "TRANSFORMER_POLICY"):
            prefixes = selection_values(policy.selection_criteria or "", "LogGroupNamePrefix")
            if prefixes is None or any(group.name.startswith(p) for p in prefixes):
                return json.loads(policy.document)["transformerConfig"]
        return None

    def transformed(self, scope: Scope, group: LogGroup, message: str) -> str:
        return transformed_by(self.processors_for(scope, group), message)


def transformed_by(processors: list[dict] | None, message: str) -> str:
    """The message as the processors make it; as it is when there are none or they cannot apply."""
    if not processors:
        return message
    try:
        return transform(processors, message)
    except UnsupportedProcessor:
        return message
