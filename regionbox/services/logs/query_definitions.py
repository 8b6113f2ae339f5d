"""Saved Logs Insights queries: PutQueryDefinition, DescribeQueryDefinitions,
DeleteQueryDefinition.

A definition is replaced whole by a put with its id (AWS keeps nothing of the old one); a put
without an id creates one, and a repeated ``clientToken`` answers the definition that token made.
An account keeps at most 1,000, as AWS's quota.
"""

from __future__ import annotations

import uuid
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.services.logs.listing import describe_rule, page_of
from regionbox.services.logs.models import QueryDefinition
from regionbox.services.logs.state import LogsState, not_found, now_ms

DEFINITIONS_PER_ACCOUNT = 1000
PAGES = describe_rule(maximum=1000, size="maxResults")


class QueryDefinitions:
    def __init__(self, state: LogsState, paginator: Paginator) -> None:
        self.state = state
        self.definitions = state.query_definitions
        self.paginator = paginator
        self._tokens: dict[tuple[str, str, str], str] = {}  # (account, region, client token) -> definition id

    def put_query_definition(self, ctx: RequestContext, params: dict) -> dict:
        token = params.get("clientToken")
        if token and (*ctx.scope, token) in self._tokens and (ctx.scope, self._tokens[(*ctx.scope, token)]) \
                in self.definitions:
            return {"queryDefinitionId": self._tokens[(*ctx.scope, token)]}
        definition_id = params.get("queryDefinitionId")
        if definition_id is not None and (ctx.scope, definition_id) not in self.definitions:
            raise not_found("The specified query definition does not exist.")
        if definition_id is None:
            if len(self.definitions.values(ctx.scope)) >= DEFINITIONS_PER_ACCOUNT:
                raise ServiceError("LimitExceededException", "Resource limit exceeded.")
            definition_id = str(uuid.uuid4())
        language = params.get("queryLanguage") or "CWLI"
        if params.get("parameters") and language != "CWLI":
            raise invalid("Query parameters are supported only for Logs Insights QL (CWLI) queries.")
        self.definitions.put(ctx.scope, definition_id, QueryDefinition(
            id=definition_id, name=params["name"], query=params["queryString"], language=language,
            group_names=list(params.get("logGroupNames") or []), last_modified=now_ms(),
            parameters=list(params.get("parameters") or [])))
        if token:
            self._tokens[(*ctx.scope, token)] = definition_id
        return {"queryDefinitionId": definition_id}

    def describe_query_definitions(self, ctx: RequestContext, params: dict) -> dict:
        found = sorted(self.definitions.values(ctx.scope), key=lambda d: (d.name, d.id))
        if params.get("queryDefinitionNamePrefix"):
            found = [d for d in found if d.name.startswith(params["queryDefinitionNamePrefix"])]
        if params.get("queryLanguage"):
            found = [d for d in found if d.language == params["queryLanguage"]]
        return page_of(self.paginator, found, params, "queryDefinitions", self._shape, rule=PAGES)

    def delete_query_definition(self, ctx: RequestContext, params: dict) -> dict:
        if self.definitions.delete(ctx.scope, params["queryDefinitionId"]) is None:
            raise not_found("The specified query definition does not exist.")
        return {"success": True}

    @staticmethod
    def _shape(definition: QueryDefinition) -> dict:
        shape: dict[str, Any] = {"queryLanguage": definition.language, "queryDefinitionId": definition.id,
                                 "name": definition.name, "queryString": definition.query,
                                 "lastModified": definition.last_modified, "logGroupNames": definition.group_names}
        if definition.parameters:
            shape["parameters"] = definition.parameters
        return shape
