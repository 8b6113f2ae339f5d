"""Who is subscribed to what, and delivery: a mutation's published value reaches each
subscription whose field names that mutation in ``@aws_subscribe(mutations: [...])``, whose
arguments equal the value's fields of the same name (AppSync's argument filtering: an argument
not given filters nothing), or, when the subscription's resolver set an enhanced filter, whose
filter matches. A mutation's resolver may end subscriptions (invalidation) whose invalidation
filter matches the payload it names. The payload is the value shaped by the subscription's own selection set, computed once
per distinct subscription document and variables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import orjson
from graphql import GraphQLSchema, execute
from graphql.pyutils import is_awaitable

from regionbox.services.appsync.filters import matches


@dataclass(eq=False)
class Subscriber:
    id: str
    deliver: Callable[[dict | bytes], None]  # puts one message on the connection's queue
    scope: tuple[str, str]
    api_id: str
    field: str
    document: Any
    operation_name: str | None
    variables: dict[str, Any]
    arguments: dict[str, Any]
    filter: dict | None = None
    invalidation_filter: dict | None = None  # what an invalidation's payload must match to end it
    ended: Callable[["Subscriber"], None] | None = None  # its connection drops it and says "complete"
    shape_key: str = ""


def _plain(source: Any, info, **_) -> Any:
    return source.get(info.field_name) if isinstance(source, dict) else None


class Hub:
    def __init__(self) -> None:
        self._subscribers: dict[tuple, dict[Subscriber, None]] = {}
        self._triggers: dict[int, dict[str, list[str]]] = {}  # id(schema) -> mutation -> subscription fields

    def add(self, subscriber: Subscriber) -> None:
        # A str, not orjson's bytes (which keep a 4 KB buffer each, for as long as the subscriber lives).
        subscriber.shape_key = orjson.dumps([id(subscriber.document), subscriber.operation_name, subscriber.variables],
                                            option=orjson.OPT_SORT_KEYS).decode()
        key = (subscriber.scope, subscriber.api_id, subscriber.field)
        self._subscribers.setdefault(key, {})[subscriber] = None

    def remove(self, subscriber: Subscriber) -> None:
        key = (subscriber.scope, subscriber.api_id, subscriber.field)
        found = self._subscribers.get(key)
        if found is not None:
            found.pop(subscriber, None)
            if not found:
                del self._subscribers[key]

    def count(self, scope, api_id: str) -> int:
        return sum(len(s) for (sc, a, _), s in self._subscribers.items() if sc == scope and a == api_id)

    def triggers(self, schema: GraphQLSchema) -> dict[str, list[str]]:
        found = self._triggers.get(id(schema))
        if found is None:
            found = {}
            subscription = schema.subscription_type
            for name, definition in (subscription.fields.items() if subscription else ()):
                for directive in getattr(definition.ast_node, "directives", None) or ():
                    if directive.name.value != "aws_subscribe":
                        continue
                    for argument in directive.arguments:
                        if argument.name.value == "mutations":
                            for value in getattr(argument.value, "values", ()):
                                found.setdefault(value.value, []).append(name)
            if len(self._triggers) > 256:
                self._triggers.clear()
            self._triggers[id(schema)] = found
        return found

    async def publish(self, scope, api_id: str, schema: GraphQLSchema, mutation: str, value: Any) -> int:
        """Deliver ``value`` (mutation ``mutation``'s result) to every matching subscriber;
        the number of messages queued."""
        sent = 0
        for field_name in self.triggers(schema).get(mutation, ()):
            shaped: dict[str, bytes] = {}  # shape key -> the payload's JSON, made once
            for subscriber in list(self._subscribers.get((scope, api_id, field_name), ())):
                if not self._wants(subscriber, value):
                    continue
                payload = shaped.get(subscriber.shape_key)
                if payload is None:
                    payload = shaped[subscriber.shape_key] = orjson.dumps(await self._shape(schema, subscriber, value))
                subscriber.deliver(b'{"type":"data","id":' + orjson.dumps(subscriber.id) + b',"payload":' + payload + b"}")
                sent += 1
        return sent

    def invalidate(self, scope, api_id: str, spec: dict) -> int:
        """extensions.invalidateSubscriptions({subscriptionField, payload}): end every subscription
        of that field whose invalidation filter matches the payload; how many ended."""
        if not isinstance(spec, dict):
            return 0
        ended = 0
        for subscriber in list(self._subscribers.get((scope, api_id, spec.get("subscriptionField")), ())):
            if subscriber.invalidation_filter is not None and matches(subscriber.invalidation_filter, spec.get("payload")):
                self.remove(subscriber)
                if subscriber.ended is not None:
                    subscriber.ended(subscriber)
                ended += 1
        return ended

    @staticmethod
    def _wants(subscriber: Subscriber, value: Any) -> bool:
        # A filter set by the subscription's resolver replaces argument filtering, which is why
        # AppSync's examples repeat the arguments in it (group: {eq: ctx.args.group}).
        if subscriber.filter is not None:
            return matches(subscriber.filter, value)
        for name, wanted in subscriber.arguments.items():
            if wanted is not None and (not isinstance(value, dict) or value.get(name) != wanted):
                return False
        return True

    @staticmethod
    async def _shape(schema: GraphQLSchema, subscriber: Subscriber, value: Any) -> dict:
        result = execute(schema, subscriber.document, root_value={subscriber.field: value},
                         variable_values=subscriber.variables, operation_name=subscriber.operation_name,
                         field_resolver=_plain)
        if is_awaitable(result):
            result = await result
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
        return payload
