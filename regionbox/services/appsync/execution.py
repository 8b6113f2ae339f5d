"""GraphQL execution: a query or mutation against an API's schema with graphql-core, each field
with a resolver running its UNIT program or PIPELINE functions against their data sources.

Answers are AppSync's: ``data`` with nulls where a field failed, and ``errors`` with
``path``, ``locations``, ``message``, ``errorType``, ``data`` and ``errorInfo``. After a
mutation, each of its root fields with a value is published to the subscriptions that name it
in ``@aws_subscribe``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, execute, parse, validate
from graphql.pyutils import is_awaitable

from regionbox.services.appsync.auth import Authenticator, Identity
from regionbox.services.appsync.common import cached
from regionbox.services.appsync.invokers import Invokers
from regionbox.services.appsync.models import Code, GraphqlApi
from regionbox.services.appsync.programs import Programs
from regionbox.services.appsync.schema import Schemas, SchemaInvalid
from regionbox.services.appsync.state import AppSyncState
from regionbox.services.appsync.utils import EarlyReturn, ResolverError, Util


@dataclass
class Run:
    """One GraphQL request: whose, against what, and the errors resolvers appended."""

    api: GraphqlApi
    scope: tuple[str, str]
    who: Identity
    headers: dict[str, str]
    variables: dict[str, Any]
    appended: list[dict] = field(default_factory=list)


def graphql_error(message: str, error_type: str | None = None) -> dict:
    return {"errors": [{"message": message, **({"errorType": error_type} if error_type else {})}]}


def _locations(error: GraphQLError) -> list[dict] | None:
    if not error.locations:
        return None
    return [{"line": loc.line, "column": loc.column, "sourceName": None} for loc in error.locations]


def format_error(error: GraphQLError) -> dict:
    original = error.original_error
    if isinstance(original, ResolverError):
        return {"path": error.path, "data": original.data, "errorType": original.error_type,
                "errorInfo": original.error_info, "locations": _locations(error), "message": original.message}
    if original is not None:
        return {"path": error.path, "data": None, "errorType": "ExecutionError" if not isinstance(original, TypeError)
                else "Lambda:Unhandled", "errorInfo": None, "locations": _locations(error), "message": str(original)}
    return {"path": error.path, "locations": _locations(error), "message": error.message}


def validation_errors(errors: list[GraphQLError], kind: str = "") -> list[dict]:
    """graphql-core's validation messages in AppSync's (graphql-java's) wording."""
    return [{"path": None, "locations": _locations(e), "message": f"Validation error{kind}: {e.message}",
             "errorType": "ValidationError" if kind != " of type InvalidSyntax" else "InvalidSyntax"}
            for e in errors]


class Executor:
    def __init__(self, state: AppSyncState, schemas: Schemas, programs: Programs, invokers: Invokers,
                 authenticator: Authenticator, publish, invalidate) -> None:
        self.state = state
        self.schemas = schemas
        self.programs = programs
        self.invokers = invokers
        self.authenticator = authenticator
        self.publish = publish  # publish(scope, api, mutation field name, value)
        self.invalidate = invalidate  # invalidate(scope, api id, {"subscriptionField", "payload"})
        self._documents: dict[tuple[int, str], tuple[Any, dict | None]] = {}

    def prepare(self, api: GraphqlApi, query: Any):
        """(schema, document, None) or (None, None, AppSync's error answer)."""
        try:
            schema = self.schemas.compiled(api)
        except SchemaInvalid:
            schema = None
        if schema is None:
            return None, None, graphql_error("No schema is defined for this API.", "SchemaNotFound")
        if not isinstance(query, str) or not query.strip():
            return None, None, graphql_error("Invalid request, `query` can't be null.", "MalformedHttpRequestException")
        # Clients send the same few documents again and again: each is parsed and validated once
        # per schema, and its subscribers share one document (so one shaped payload).
        document, refused = cached(self._documents, (id(schema), query), lambda key: self._checked(schema, query))
        return (None, None, refused) if refused is not None else (schema, document, None)

    @staticmethod
    def _checked(schema, query: str) -> tuple[Any, dict | None]:
        try:
            document = parse(query)
        except GraphQLError as error:
            return None, {"data": None, "errors": validation_errors([error], " of type InvalidSyntax")}
        problems = validate(schema, document)
        if problems:
            return None, {"data": None, "errors": validation_errors(problems)}
        return document, None

    @staticmethod
    def operation(document, name: str | None) -> OperationDefinitionNode | None:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if name:
            return next((o for o in operations if o.name and o.name.value == name), None)
        return operations[0] if len(operations) == 1 else None

    async def run(self, run: Run, query: Any, operation_name: str | None) -> dict:
        schema, document, refused = self.prepare(run.api, query)
        if refused is not None:
            return refused
        operation = self.operation(document, operation_name)
        if operation is None:
            return graphql_error("A unique operation name is required when several operations are sent."
                                 if operation_name is None else f"Unknown operation named '{operation_name}'.",
                                 "MalformedHttpRequestException")
        if operation.operation == OperationType.SUBSCRIPTION:
            return graphql_error("Subscriptions are served on the API's real-time endpoint.", "UnsupportedOperation")
        result = execute(schema, document, root_value=None, context_value=run, variable_values=run.variables,
                         operation_name=operation_name, field_resolver=self.resolve)
        if is_awaitable(result):
            result = await result
        errors = [format_error(e) for e in result.errors or []] + run.appended
        answer: dict[str, Any] = {"data": result.data}
        if errors:
            answer["errors"] = errors
        if operation.operation == OperationType.MUTATION and result.data:
            for selection in operation.selection_set.selections:
                key = selection.alias.value if selection.alias else selection.name.value
                if result.data.get(key) is not None:
                    await self.publish(run.scope, run.api, selection.name.value, result.data[key])
        return answer

    # -- fields ---------------------------------------------------------------------------------
    def resolve(self, source: Any, info, **arguments) -> Any:
        """A field's value: read from its parent without a resolver (no coroutine, so plain
        fields cost little), else a coroutine running the resolver."""
        run: Run = info.context
        parent = info.parent_type
        if not self.authenticator.allowed(run.api, run.scope, run.who, parent, info.field_name,
                                          root=info.path.prev is None):
            raise ResolverError(f"Not Authorized to access {info.field_name} on type {parent.name}", "Unauthorized")
        resolver = self.state.resolver(run.scope, run.api.api_id, parent.name, info.field_name)
        if resolver is None:
            if isinstance(source, dict):
                return source.get(info.field_name)
            return getattr(source, info.field_name, None) if source is not None else None
        context = self.context(run, source, arguments, info.field_name, parent.name, info.field_nodes[0].selection_set)
        return self._resolve(run, resolver, context, info)

    async def _resolve(self, run: Run, resolver, context: dict, info) -> Any:
        util = Util()
        try:
            value = await self.run_resolver(run, resolver, context, util)
            for spec in (context.get("extensions") or {}).get("invalidations") or ():
                self.invalidate(run.scope, run.api.api_id, spec)
            return value
        finally:
            for appended in util.errors:
                run.appended.append({"path": list(info.path.as_list()), "locations": None, **appended})

    @staticmethod
    def context(run: Run, source: Any, arguments: dict, field_name: str, parent_name: str, selection_set) -> dict:
        """$ctx / ctx of one field's resolver."""
        return {"arguments": arguments, "args": arguments, "source": source, "identity": run.who.identity,
                "request": {"headers": run.headers, "domainName": None}, "stash": {}, "prev": {"result": None},
                "result": None, "error": None, "env": dict(run.api.environment),
                "info": {"fieldName": field_name, "parentTypeName": parent_name, "variables": run.variables,
                         "selectionSetList": _selection_list(selection_set), "selectionSetGraphQL": ""}}

    async def run_resolver(self, run: Run, resolver, context: dict, util: Util) -> Any:
        """A resolver's value for ``context``: its UNIT data source call or its PIPELINE."""
        if resolver.kind == "PIPELINE":
            return await self._pipeline(run, resolver, context, util)
        source = self.state.data_source(run.scope, run.api.api_id, resolver.data_source_name or "")
        return await self._unit(run, resolver.program, source, context, util)

    async def _unit(self, run: Run, code: Code, source, context: dict, util: Util) -> Any:
        """One data source call between its request and response steps (a unit resolver, or
        a function of a pipeline); EarlyReturn in the request step skips the data source."""
        if source is None:
            raise ResolverError("The resolver's data source no longer exists.", "DataSourceNotFound")
        try:
            request = self.programs.run(code, "request", context, util)
        except EarlyReturn as early:
            return early.value
        if request is None and code.runtime is None and not code.request_template:
            request = direct_request(source.type, context)
        try:
            context["result"] = await self.invokers.invoke(source, request, run.scope, context)
        except ResolverError as error:
            if code.runtime is None and not (isinstance(request, dict) and request.get("version") == "2018-05-29"):
                raise  # 2017-02-28 templates: the data source's error is the field's, unseen by the response
            context["error"] = {"message": error.message, "type": error.error_type}
        try:
            return self.programs.run(code, "response", context, util)
        except EarlyReturn as early:
            return early.value

    async def _pipeline(self, run: Run, resolver, context: dict, util: Util) -> Any:
        try:
            previous = self.programs.run(resolver.program, "request", context, util)
        except EarlyReturn as early:
            return early.value
        for function_id in resolver.functions:
            function = self.state.function(run.scope, run.api.api_id, function_id)
            if function is None:
                raise ResolverError(f"Function {function_id} no longer exists.", "FunctionNotFound")
            source = self.state.data_source(run.scope, run.api.api_id, function.data_source_name)
            context.update({"prev": {"result": previous}, "result": None, "error": None})
            previous = await self._unit(run, function.program, source, context, util)
        context.update({"prev": {"result": previous}, "result": previous, "error": None})
        try:
            return self.programs.run(resolver.program, "response", context, util)
        except EarlyReturn as early:
            return early.value


def direct_request(kind: str, context: dict) -> dict:
    """What a resolver without a request step sends: a direct Lambda resolver sends AppSync's
    Lambda event (the context, minus what AppSync leaves out), others the arguments."""
    if kind == "AWS_LAMBDA":
        event = {k: context.get(k) for k in ("arguments", "identity", "source", "request", "prev", "info", "stash")}
        return {"operation": "Invoke", "payload": event}
    return {"payload": dict(context["arguments"])}


def _selection_list(selection_set, prefix: str = "") -> list[str]:
    names: list[str] = []
    for selection in (selection_set.selections if selection_set else ()):
        name = getattr(selection, "name", None)
        if name is None:
            continue
        path = f"{prefix}{name.value}"
        names.append(path)
        names.extend(_selection_list(getattr(selection, "selection_set", None), path + "/"))
    return names
