"""Deployments: CreateDeployment, GetDeployment(s), UpdateDeployment, DeleteDeployment.

A deployment is a snapshot of the API's resources, methods and integrations when it was made:
the data plane serves a stage from its deployment's snapshot, so changes reach callers only once
deployed again, as on AWS. An API without methods, or with a method without an integration,
cannot be deployed.
"""

from __future__ import annotations

import time

import orjson

from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.models import Deployment, new_id
from regionbox.services.apigateway.paging import listing
from regionbox.services.apigateway.stages import Stages
from regionbox.services.apigateway.state import ApiGatewayState, bad_request


def api_summary(resources: dict[str, dict]) -> dict:
    """GetDeployment's ``embed=apisummary``: path -> method -> how it is authorized."""
    summary: dict[str, dict] = {}
    for resource in resources.values():
        for name, method in (resource.get("resourceMethods") or {}).items():
            summary.setdefault(resource["path"], {})[name] = {
                "authorizationType": method.get("authorizationType"), "apiKeyRequired": method.get("apiKeyRequired", False)}
    return summary


class Deployments:
    def __init__(self, state: ApiGatewayState, paginator: Paginator, stages: Stages) -> None:
        self.state = state
        self.paginator = paginator
        self.stages = stages

    def create_deployment(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        methods = [m for r in api.resources.values() for m in (r.get("resourceMethods") or {}).values()]
        if not methods:
            raise bad_request("The REST API doesn't contain any methods")
        if any("methodIntegration" not in m for m in methods):
            raise bad_request("No integration defined for method")
        deployment_id = new_id(6)
        body = {"id": deployment_id, "createdDate": int(time.time())}
        if params.get("description") is not None:
            body["description"] = params["description"]
        # A deep copy: later changes to the API must not reach the deployed snapshot.
        deployment = Deployment(api.id, deployment_id, body, orjson.loads(orjson.dumps(api.resources)),
                                orjson.loads(orjson.dumps(api.models)), orjson.loads(orjson.dumps(api.validators)),
                                orjson.loads(orjson.dumps(api.gateway_responses)),
                                orjson.loads(orjson.dumps(api.authorizers)))
        with self.state.store.transaction():
            self.state.deployments.put(ctx.scope, f"{api.id}/{deployment_id}", deployment)
            if params.get("stageName"):
                self.stages.deploy(ctx, api.id, params["stageName"], deployment_id, params)
        return dict(body)

    def get_deployment(self, ctx: RequestContext, params: dict) -> dict:
        deployment = self.state.deployment(ctx.scope, params["restApiId"], params["deploymentId"])
        body = dict(deployment.body)
        if "apisummary" in (params.get("embed") or []):
            body["apiSummary"] = api_summary(deployment.resources)
        return body

    def get_deployments(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        items = [dict(d.body) for d in self.state.deployments_of(ctx.scope, api.id)]
        return listing(self.paginator, items, params)

    def update_deployment(self, ctx: RequestContext, params: dict) -> dict:
        deployment = self.state.deployment(ctx.scope, params["restApiId"], params["deploymentId"])
        deployment.body = patch.apply(dict(deployment.body), params.get("patchOperations"), "Deployment", ("description",))
        self.state.deployments.put(ctx.scope, f"{deployment.rest_api_id}/{deployment.id}", deployment)
        return dict(deployment.body)

    def delete_deployment(self, ctx: RequestContext, params: dict) -> dict:
        deployment = self.state.deployment(ctx.scope, params["restApiId"], params["deploymentId"])
        if any(deployment.id in (s.body.get("deploymentId"), (s.body.get("canarySettings") or {}).get("deploymentId"))
               for s in self.state.stages_of(ctx.scope, deployment.rest_api_id)):
            raise bad_request("Active stages pointing to this deployment must be moved or deleted")
        self.state.deployments.delete(ctx.scope, f"{deployment.rest_api_id}/{deployment.id}")
        return {}
