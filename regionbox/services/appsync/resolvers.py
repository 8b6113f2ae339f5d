"""Resolvers: Create/Get/List/Update/DeleteResolver and ListResolversByFunction.

A UNIT resolver runs one data source; a PIPELINE resolver runs its functions in order between
its before (request) and after (response) steps. Either is VTL (request/response mapping
templates) or APPSYNC_JS (``code`` with ``runtime``), checked when it is saved."""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.services.appsync.common import api_arn, bad_request, drop_none, page
from regionbox.services.appsync.models import Resolver
from regionbox.services.appsync.programs import Programs
from regionbox.services.appsync.schema import Schemas
from regionbox.services.appsync.state import AppSyncState, not_found


def describe(resolver: Resolver) -> dict:
    return drop_none({
        "typeName": resolver.type_name, "fieldName": resolver.field_name, "resolverArn": resolver.arn,
        "dataSourceName": resolver.data_source_name, "requestMappingTemplate": resolver.request_template,
        "responseMappingTemplate": resolver.response_template, "kind": resolver.kind,
        "pipelineConfig": {"functions": list(resolver.functions)} if resolver.kind == "PIPELINE" else None,
        "runtime": resolver.runtime, "code": resolver.code, "cachingConfig": resolver.caching_config,
        "syncConfig": resolver.sync_config, "maxBatchSize": resolver.max_batch_size,
        "metricsConfig": resolver.metrics_config})


class Resolvers:
    def __init__(self, state: AppSyncState, paginator, schemas: Schemas, programs: Programs) -> None:
        self.state = state
        self.paginator = paginator
        self.schemas = schemas
        self.programs = programs

    def _checked(self, ctx: RequestContext, resolver: Resolver) -> Resolver:
        api = self.state.api(ctx.scope, resolver.api_id)
        self.schemas.check_field(api, resolver.type_name, resolver.field_name)
        if resolver.kind == "PIPELINE":
            for function_id in resolver.functions:
                if self.state.function(ctx.scope, api.api_id, function_id) is None:
                    raise not_found(f"Function {function_id} not found.")
            resolver.data_source_name = None
        else:
            if not resolver.data_source_name:
                raise bad_request("A UNIT resolver needs a dataSourceName.")
            source = self.state.data_source(ctx.scope, api.api_id, resolver.data_source_name)
            if source is None:
                raise not_found(f"Data source {resolver.data_source_name} not found.")
            self.programs.check(resolver.program, source.type)
            return resolver
        self.programs.check(resolver.program, None)
        return resolver

    def _from(self, ctx: RequestContext, params: dict, before: Resolver | None) -> Resolver:
        kind = params.get("kind") or "UNIT"
        functions = list((params.get("pipelineConfig") or {}).get("functions") or [])
        if kind == "PIPELINE" and "pipelineConfig" not in params and before is not None:
            functions = before.functions
        return Resolver(
            api_id=params["apiId"], type_name=params["typeName"], field_name=params["fieldName"],
            arn=api_arn(ctx, params["apiId"], f"/types/{params['typeName']}/resolvers/{params['fieldName']}"),
            kind=kind, data_source_name=params.get("dataSourceName"), functions=functions,
            request_template=params.get("requestMappingTemplate"), response_template=params.get("responseMappingTemplate"),
            runtime=params.get("runtime"), code=params.get("code"), caching_config=params.get("cachingConfig"),
            sync_config=params.get("syncConfig"), max_batch_size=params.get("maxBatchSize"),
            metrics_config=params.get("metricsConfig"))

    def create_resolver(self, ctx: RequestContext, params: dict) -> dict:
        key = f"{params['apiId']}/{params['typeName']}/{params['fieldName']}"
        self.state.api(ctx.scope, params["apiId"])
        if self.state.resolvers.get(ctx.scope, key) is not None:
            raise bad_request("Only one resolver is allowed per field.")
        resolver = self._checked(ctx, self._from(ctx, params, None))
        self.state.resolvers.put(ctx.scope, key, resolver)
        return {"resolver": describe(resolver)}

    def _get(self, ctx: RequestContext, params: dict) -> Resolver:
        self.state.api(ctx.scope, params["apiId"])
        found = self.state.resolver(ctx.scope, params["apiId"], params["typeName"], params["fieldName"])
        if found is None:
            raise not_found(f"No resolver found for {params['typeName']}.{params['fieldName']}.")
        return found

    def get_resolver(self, ctx: RequestContext, params: dict) -> dict:
        return {"resolver": describe(self._get(ctx, params))}

    def update_resolver(self, ctx: RequestContext, params: dict) -> dict:
        before = self._get(ctx, params)
        resolver = self._checked(ctx, self._from(ctx, params, before))
        self.state.resolvers.put(ctx.scope, f"{params['apiId']}/{params['typeName']}/{params['fieldName']}", resolver)
        return {"resolver": describe(resolver)}

    def delete_resolver(self, ctx: RequestContext, params: dict) -> dict:
        self._get(ctx, params)
        self.state.resolvers.delete(ctx.scope, f"{params['apiId']}/{params['typeName']}/{params['fieldName']}")
        return {}

    def list_resolvers(self, ctx: RequestContext, params: dict) -> dict:
        self.state.api(ctx.scope, params["apiId"])
        resolvers = [r for r in self.state.children(self.state.resolvers, ctx.scope, params["apiId"])
                     if r.type_name == params["typeName"]]
        found, token = page(self.paginator, resolvers, params, query=[params["apiId"], params["typeName"]])
        return drop_none({"resolvers": [describe(r) for r in found], "nextToken": token})

    def list_resolvers_by_function(self, ctx: RequestContext, params: dict) -> dict:
        self.state.api(ctx.scope, params["apiId"])
        if self.state.function(ctx.scope, params["apiId"], params["functionId"]) is None:
            raise not_found(f"Function {params['functionId']} not found.")
        resolvers = [r for r in self.state.children(self.state.resolvers, ctx.scope, params["apiId"])
                     if params["functionId"] in r.functions]
        found, token = page(self.paginator, resolvers, params, query=[params["apiId"], params["functionId"]])
        return drop_none({"resolvers": [describe(r) for r in found], "nextToken": token})
