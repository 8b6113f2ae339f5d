"""Functions of pipeline resolvers: Create/Get/List/Update/DeleteFunction. A function runs one
data source with VTL templates or APPSYNC_JS code, as a unit resolver does."""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.services.appsync.common import api_arn, bad_request, drop_none, new_id, page
from regionbox.services.appsync.models import Function
from regionbox.services.appsync.programs import Programs
from regionbox.services.appsync.state import AppSyncState, not_found


def describe(function: Function) -> dict:
    return drop_none({
        "functionId": function.function_id, "functionArn": function.arn, "name": function.name,
        "description": function.description, "dataSourceName": function.data_source_name,
        "requestMappingTemplate": function.request_template, "responseMappingTemplate": function.response_template,
        "functionVersion": function.function_version, "runtime": function.runtime, "code": function.code,
        "syncConfig": function.sync_config, "maxBatchSize": function.max_batch_size})


class Functions:
    def __init__(self, state: AppSyncState, paginator, programs: Programs) -> None:
        self.state = state
        self.paginator = paginator
        self.programs = programs

    def _fill(self, ctx: RequestContext, function: Function, params: dict) -> Function:
        source = self.state.data_source(ctx.scope, function.api_id, params["dataSourceName"])
        if source is None:
            raise not_found(f"Data source {params['dataSourceName']} not found.")
        if params.get("runtime") is None and params.get("functionVersion") not in (None, "2018-05-29"):
            raise bad_request("functionVersion must be 2018-05-29.")
        function.name = params["name"]
        function.description = params.get("description")
        function.data_source_name = params["dataSourceName"]
        function.request_template = params.get("requestMappingTemplate")
        function.response_template = params.get("responseMappingTemplate")
        function.function_version = params.get("functionVersion") or (None if params.get("runtime") else "2018-05-29")
        function.runtime = params.get("runtime")
        function.code = params.get("code")
        function.sync_config = params.get("syncConfig")
        function.max_batch_size = params.get("maxBatchSize")
        self.programs.check(function.program, source.type)
        return function

    def create_function(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["apiId"])
        function_id = new_id()
        function = self._fill(ctx, Function(api_id=api.api_id, function_id=function_id,
                                            arn=api_arn(ctx, api.api_id, f"/functions/{function_id}"),
                                            name=params["name"], data_source_name=params["dataSourceName"]), params)
        self.state.functions.put(ctx.scope, f"{api.api_id}/{function_id}", function)
        return {"functionConfiguration": describe(function)}

    def _get(self, ctx: RequestContext, params: dict) -> Function:
        self.state.api(ctx.scope, params["apiId"])
        found = self.state.function(ctx.scope, params["apiId"], params["functionId"])
        if found is None:
            raise not_found(f"Function {params['functionId']} not found.")
        return found

    def get_function(self, ctx: RequestContext, params: dict) -> dict:
        return {"functionConfiguration": describe(self._get(ctx, params))}

    def update_function(self, ctx: RequestContext, params: dict) -> dict:
        function = self._fill(ctx, self._get(ctx, params), params)
        self.state.functions.put(ctx.scope, f"{function.api_id}/{function.function_id}", function)
        return {"functionConfiguration": describe(function)}

    def delete_function(self, ctx: RequestContext, params: dict) -> dict:
        function = self._get(ctx, params)
        users = [r for r in self.state.children(self.state.resolvers, ctx.scope, function.api_id)
                 if function.function_id in r.functions]
        if users:
            raise bad_request(f"Cannot delete function {function.function_id}: it is used by a pipeline resolver.")
        self.state.functions.delete(ctx.scope, f"{function.api_id}/{function.function_id}")
        return {}

    def list_functions(self, ctx: RequestContext, params: dict) -> dict:
        self.state.api(ctx.scope, params["apiId"])
        functions = self.state.children(self.state.functions, ctx.scope, params["apiId"])
        found, token = page(self.paginator, functions, params, query=params["apiId"])
        return drop_none({"functions": [describe(f) for f in found], "nextToken": token})

