"""REST APIs and their resources: CreateRestApi, GetRestApi(s), UpdateRestApi, DeleteRestApi,
CreateResource, GetResource(s), UpdateResource, DeleteResource.

A new API has its root resource "/". A resource's path part is a name, a path parameter
``{id}`` or a greedy one ``{proxy+}`` (which must be the last part of a path); siblings may not
share a name, and a parent has at most one parameter child, as AWS's router requires.
"""

from __future__ import annotations

import re
import time

from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.models import RestApi, new_id
from regionbox.services.apigateway.paging import listing
from regionbox.services.apigateway.schemas import default_models
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, conflict
from regionbox.services.apigateway.tags import checked_tags

_PATH_PART = re.compile(r"^(?:[a-zA-Z0-9._:-]+|\{[a-zA-Z0-9._-]+\+?\})$")
REST_API_WRITABLE = ("name", "description", "apiKeySource", "binaryMediaTypes", "minimumCompressionSize",
                     "disableExecuteApiEndpoint", "policy", "endpointConfiguration")


def strip_methods(resource: dict) -> dict:
    """A resource as GetResources answers without ``embed=methods``: method names only."""
    methods = resource.get("resourceMethods")
    shown = {k: v for k, v in resource.items() if k != "resourceMethods"}
    if methods:
        shown["resourceMethods"] = {name: {} for name in methods}
    return shown


class RestApis:
    def __init__(self, state: ApiGatewayState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def create_rest_api(self, ctx: RequestContext, params: dict) -> dict:
        name = params["name"]
        if not name.strip():
            raise bad_request("The name of the REST API must not be empty.")
        api_id = new_id(10)
        while self.state.scope_of(api_id) is not None:
            api_id = new_id(10)
        root_id = new_id(10)
        body = {
            "id": api_id, "name": name, "createdDate": int(time.time()),
            "apiKeySource": params.get("apiKeySource", "HEADER"),
            "endpointConfiguration": params.get("endpointConfiguration") or {"types": ["EDGE"]},
            "disableExecuteApiEndpoint": params.get("disableExecuteApiEndpoint", False),
            "rootResourceId": root_id,
        }
        for member in ("description", "version", "binaryMediaTypes", "minimumCompressionSize", "policy"):
            if params.get(member) is not None:
                body[member] = params[member]
        tags = checked_tags(params.get("tags"))
        if tags:
            body["tags"] = tags
        api = RestApi(api_id, body, {root_id: {"id": root_id, "path": "/"}}, models=default_models())
        self.state.apis.put(ctx.scope, api_id, api)
        self.state.scope_of(api_id)
        return dict(body)

    def get_rest_api(self, ctx: RequestContext, params: dict) -> dict:
        return dict(self.state.api(ctx.scope, params["restApiId"]).body)

    def get_rest_apis(self, ctx: RequestContext, params: dict) -> dict:
        return listing(self.paginator, [dict(api.body) for api in self.state.apis.values(ctx.scope)], params)

    def update_rest_api(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        body = patch.apply(dict(api.body), params.get("patchOperations"), "RestApi", REST_API_WRITABLE)
        if body.get("apiKeySource") not in ("HEADER", "AUTHORIZER"):
            raise bad_request(f"Invalid API Key source specified: {body.get('apiKeySource')}")
        if not body.get("name"):
            raise bad_request("The name of the REST API must not be empty.")
        api.body = body
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(body)

    def delete_rest_api(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        with self.state.store.transaction():
            for stage in self.state.stages_of(ctx.scope, api.id):
                self.state.stages.delete(ctx.scope, f"{api.id}/{stage.name}")
            for deployment in self.state.deployments_of(ctx.scope, api.id):
                self.state.deployments.delete(ctx.scope, f"{api.id}/{deployment.id}")
            for plan in self.state.plans.values(ctx.scope):  # AWS drops the API's stages from plans
                stages = [s for s in plan.body.get("apiStages", []) if s.get("apiId") != api.id]
                if len(stages) != len(plan.body.get("apiStages", [])):
                    plan.body["apiStages"] = stages
                    self.state.plans.put(ctx.scope, plan.id, plan)
            self.state.apis.delete(ctx.scope, api.id)
        return {}

    # -- resources --------------------------------------------------------------------------------
    def create_resource(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        parent = self.state.resource(api, params["parentId"])
        part = params["pathPart"]
        self._check_part(api, parent, part)
        resource_id = new_id(6)
        while resource_id in api.resources:
            resource_id = new_id(6)
        path = ("" if parent["path"] == "/" else parent["path"]) + "/" + part
        resource = {"id": resource_id, "parentId": parent["id"], "pathPart": part, "path": path}
        api.resources[resource_id] = resource
        self.state.apis.put(ctx.scope, api.id, api)
        return dict(resource)

    def _check_part(self, api: RestApi, parent: dict, part: str, moving: str | None = None) -> None:
        if not _PATH_PART.match(part):
            raise bad_request("Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and "
                              "the end and an optional plus sign before the closing brace.")
        if parent.get("pathPart", "").endswith("+}"):
            raise bad_request(f"Cannot create a child of a resource with a greedy path variable: {parent['path']}")
        for sibling in api.resources.values():
            if sibling.get("parentId") != parent["id"] or sibling["id"] == moving:
                continue
            if sibling["pathPart"] == part:
                raise conflict(f"Another resource with the same parent already has this name: {part}")
            if sibling["pathPart"].startswith("{") and part.startswith("{"):
                raise bad_request(f"A sibling ({sibling['pathPart']}) of this resource already has a variable path "
                                  f"part -- only one is allowed")

    def get_resource(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        resource = self.state.resource(api, params["resourceId"])
        return dict(resource) if "methods" in (params.get("embed") or []) else strip_methods(resource)

    def get_resources(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        embed = "methods" in (params.get("embed") or [])
        items = [dict(r) if embed else strip_methods(r) for r in api.resources.values()]
        return listing(self.paginator, items, params)

    def update_resource(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        resource = self.state.resource(api, params["resourceId"])
        if resource["path"] == "/":
            raise bad_request("Cannot modify the root resource")
        changed = patch.apply(dict(resource), params.get("patchOperations"), "Resource", ("pathPart", "parentId"))
        parent = self.state.resource(api, changed.get("parentId", ""))
        if parent["id"] == resource["id"] or parent["path"].startswith(resource["path"] + "/"):
            raise bad_request("A resource cannot be moved under itself")
        self._check_part(api, parent, changed.get("pathPart", ""), moving=resource["id"])
        resource.update(parentId=parent["id"], pathPart=changed["pathPart"])
        self._repath(api, resource, parent)
        self.state.apis.put(ctx.scope, api.id, api)
        return strip_methods(resource)

    def _repath(self, api: RestApi, resource: dict, parent: dict) -> None:
        resource["path"] = ("" if parent["path"] == "/" else parent["path"]) + "/" + resource["pathPart"]
        for child in api.resources.values():
            if child.get("parentId") == resource["id"]:
                self._repath(api, child, resource)

    def delete_resource(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        resource = self.state.resource(api, params["resourceId"])
        if resource["path"] == "/":
            raise bad_request("Cannot delete root resource")
        doomed = {resource["id"]}
        grew = True
        while grew:  # the resource and everything under it
            below = {r["id"] for r in api.resources.values() if r.get("parentId") in doomed}
            grew = not below <= doomed
            doomed |= below
        for resource_id in doomed:
            del api.resources[resource_id]
        self.state.apis.put(ctx.scope, api.id, api)
        return {}


