"""Schemas: StartSchemaCreation, GetSchemaCreationStatus, GetIntrospectionSchema and the types of
a schema (Create/Get/List/Update/DeleteType), and the compiled graphql-core schema the data plane
runs.

An API's schema is the SDL it was given; AppSync's scalars (AWSDateTime ...) and directives
(``@aws_subscribe``, ``@aws_api_key`` ...) are known to every schema without being declared, as
on AppSync. Types are edited in that SDL, so the SDL stays the one truth."""

from __future__ import annotations

import json
from typing import Any

from graphql import (GraphQLError, GraphQLSchema, build_ast_schema, get_introspection_query, graphql_sync, parse,
                     print_ast, print_schema)
from graphql.language import DocumentNode, TypeDefinitionNode, TypeExtensionNode

from regionbox.core.context import RequestContext
from regionbox.services.appsync import scalars
from regionbox.services.appsync.common import api_arn, bad_request, cached, drop_none, page
from regionbox.services.appsync.models import GraphqlApi
from regionbox.services.appsync.state import AppSyncState, not_found

DIRECTIVES = """
directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION
directive @aws_api_key on FIELD_DEFINITION | OBJECT
directive @aws_iam on FIELD_DEFINITION | OBJECT
directive @aws_lambda on FIELD_DEFINITION | OBJECT
directive @aws_oidc on FIELD_DEFINITION | OBJECT
directive @aws_cognito_user_pools(cognito_groups: [String]) on FIELD_DEFINITION | OBJECT
directive @aws_auth(cognito_groups: [String]) on FIELD_DEFINITION
directive @aws_publish(subscriptions: [String]) on FIELD_DEFINITION
"""
_BUILT_IN = parse(DIRECTIVES + scalars.DEFINITIONS)
_BUILT_IN_NAMES = {d.name.value for d in _BUILT_IN.definitions}


def _document(sdl: str) -> DocumentNode:
    try:
        return parse(sdl)
    except GraphQLError as error:
        raise SchemaInvalid(f"Failed to parse schema document - ensure it's a valid SDL-formatted document. "
                            f"{error.message}") from None


class SchemaInvalid(Exception):
    pass


def build(sdl: str) -> GraphQLSchema:
    """The executable schema of ``sdl`` with AppSync's scalars and directives; SchemaInvalid if not."""
    document = _document(sdl)
    declared = {d.name.value for d in document.definitions if hasattr(d, "name") and d.name is not None}
    prelude = [d for d in _BUILT_IN.definitions if d.name.value not in declared]
    try:
        schema = build_ast_schema(DocumentNode(definitions=(*prelude, *document.definitions)))
    except (GraphQLError, TypeError) as error:
        raise SchemaInvalid(str(getattr(error, "message", error))) from None
    if schema.query_type is None:
        raise SchemaInvalid("Schema must contain a query type (type Query or schema { query: ... }).")
    from graphql import validate_schema
    problems = validate_schema(schema)
    if problems:
        raise SchemaInvalid("; ".join(p.message for p in problems))
    scalars.install(schema)
    return schema


def _type_nodes(sdl: str) -> list[TypeDefinitionNode]:
    if not sdl.strip():
        return []
    return [d for d in parse(sdl).definitions if isinstance(d, (TypeDefinitionNode, TypeExtensionNode))]


class Schemas:
    def __init__(self, state: AppSyncState, paginator) -> None:
        self.state = state
        self.paginator = paginator
        self._compiled: dict[str, GraphQLSchema] = {}  # SDL -> schema: compiled once per text

    def compiled(self, api: GraphqlApi) -> GraphQLSchema | None:
        if not api.schema.strip():
            return None
        return cached(self._compiled, api.schema, build, limit=256)

    def check_field(self, api: GraphqlApi, type_name: str, field_name: str) -> None:
        """A resolver names a field of the schema in force, as AppSync insists."""
        try:
            schema = self.compiled(api)
        except SchemaInvalid:
            schema = None  # types edited into a schema that does not build: no field is known
        target = schema.type_map.get(type_name) if schema is not None else None
        if target is None or not hasattr(target, "fields"):
            raise not_found(f"Type {type_name} not found.")
        if field_name not in target.fields:
            raise not_found(f"No field named {field_name} found on type {type_name}")

    # -- schema creation ---------------------------------------------------------------------
    def _install(self, ctx: RequestContext, api: GraphqlApi, sdl: str) -> None:
        """Compile ``sdl`` now (it takes milliseconds) and record the outcome the way a client
        polling GetSchemaCreationStatus sees it when AppSync has finished."""
        try:
            schema = build(sdl)
        except SchemaInvalid as error:
            api.schema_status, api.schema_details = "FAILED", str(error)
        else:
            self._compiled[sdl] = schema
            count = len([n for n in _type_nodes(sdl) if isinstance(n, TypeDefinitionNode)])  # the user's own
            api.schema, api.schema_status = sdl, "SUCCESS"
            api.schema_details = f"Successfully created schema with {count} types."
        self.state.apis.put(ctx.scope, api.api_id, api)

    def start_schema_creation(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        definition = params["definition"]
        try:
            sdl = definition.decode("utf-8") if isinstance(definition, (bytes, bytearray)) else str(definition)
        except UnicodeDecodeError:
            raise bad_request("The schema definition is not UTF-8 text.") from None
        self._install(ctx, api, sdl)
        return {"status": "PROCESSING"}

    def get_schema_creation_status(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        return drop_none({"status": api.schema_status, "details": api.schema_details or None})

    def get_introspection_schema(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        schema = self.compiled(api)
        if schema is None:
            raise not_found("Unable to find the schema for this API.")
        if params["format"] == "JSON":
            result = graphql_sync(schema, get_introspection_query(descriptions=True))
            return {"schema": json.dumps({"data": result.data}, indent=2).encode()}
        if params.get("includeDirectives", True):
            text = api.schema
        else:
            text = print_schema(schema)
        return {"schema": text.encode()}

    # -- types ---------------------------------------------------------------------------------
    def _describe_type(self, ctx: RequestContext, api: GraphqlApi, node, fmt: str) -> dict:
        name = node.name.value
        definition = print_ast(node)
        if fmt == "JSON":
            try:
                schema = self.compiled(api)
            except SchemaInvalid:
                schema = None
            found = graphql_sync(schema, '{ __type(name: "%s") { name kind description fields { name } } }' % name) \
                if schema is not None else None
            definition = json.dumps((found.data or {}).get("__type") if found is not None else None)
        return drop_none({"name": name, "description": node.description.value if getattr(node, "description", None)
                          else None, "arn": api_arn(ctx, api.api_id, f"/types/{name}"), "definition": definition,
                          "format": fmt})

    def _save_types(self, ctx: RequestContext, api: GraphqlApi, nodes: list) -> None:
        # Printed from parsed nodes, so it parses; whether it builds is StartSchemaCreation's question.
        api.schema = "\n\n".join(print_ast(n) for n in nodes) + "\n" if nodes else ""
        self.state.apis.put(ctx.scope, api.api_id, api)

    @staticmethod
    def _parse_definition(definition: str) -> Any:
        try:
            nodes = [d for d in parse(definition).definitions]
        except GraphQLError as error:
            raise bad_request(f"Unable to parse the type definition: {error.message}") from None
        if len(nodes) != 1 or not isinstance(nodes[0], (TypeDefinitionNode, TypeExtensionNode)):
            raise bad_request("A type definition defines exactly one type.")
        return nodes[0]

    def create_type(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        node = self._parse_definition(params["definition"])
        nodes = _type_nodes(api.schema)
        if any(n.name.value == node.name.value for n in nodes):
            raise bad_request(f"Type {node.name.value} already exists.")
        self._save_types(ctx, api, [*nodes, node])
        return {"type": self._describe_type(ctx, api, node, params["format"])}

    def _node(self, api: GraphqlApi, name: str):
        for node in _type_nodes(api.schema):
            if node.name.value == name:
                return node
        raise not_found(f"Type {name} not found.")

    def get_type(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        return {"type": self._describe_type(ctx, api, self._node(api, params["typeName"]), params["format"])}

    def list_types(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        nodes = _type_nodes(api.schema)
        found, token = page(self.paginator, nodes, params, query=params["apiId"])
        return drop_none({"types": [self._describe_type(ctx, api, n, params["format"]) for n in found],
                          "nextToken": token})

    def update_type(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        before = self._node(api, params["typeName"])
        node = self._parse_definition(params.get("definition") or print_ast(before))
        if node.name.value != params["typeName"]:
            raise bad_request(f"The definition defines {node.name.value}, not {params['typeName']}.")
        self._save_types(ctx, api, [node if n.name.value == before.name.value else n for n in _type_nodes(api.schema)])
        return {"type": self._describe_type(ctx, api, node, params["format"])}

    def delete_type(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        before = self._node(api, params["typeName"])
        self._save_types(ctx, api, [n for n in _type_nodes(api.schema) if n.name.value != before.name.value])
        return {}
