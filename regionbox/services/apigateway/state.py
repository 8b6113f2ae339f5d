"""API Gateway's one typed state: the documents of every account and region, the usage table,
and the lookups every handler uses, each failing with AWS's error and message.

REST API ids are unique across the cloud (as on AWS, where the id is a DNS label of the invoke
URL): the data plane finds an API by id alone (``scope_of``), through an index built from the
store and kept as APIs come and go.
"""

from __future__ import annotations

from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope, Store
from regionbox.services.apigateway.models import Account, ApiKey, Deployment, RestApi, Stage, UsagePlan
from regionbox.services.apigateway.usage import UsageTable


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message, status=404)


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message, status=400)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, status=409)


class ApiGatewayState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.apis = store.collection("apigateway.restapis", RestApi)
        self.deployments = store.collection("apigateway.deployments", Deployment)  # "<api>/<deployment>"
        self.stages = store.collection("apigateway.stages", Stage)  # "<api>/<stage>"
        self.keys = store.collection("apigateway.apikeys", ApiKey)
        self.plans = store.collection("apigateway.usageplans", UsagePlan)
        self.accounts = store.collection("apigateway.account", Account)  # one document, key ""
        self.usage = UsageTable(store)
        self._api_scopes: dict[str, Scope] = {}

    # -- lookups ---------------------------------------------------------------------------------
    def api(self, scope: Scope, api_id: str) -> RestApi:
        found = self.apis.get(scope, api_id)
        if found is None:
            raise not_found(f"Invalid API identifier specified {scope[0]}:{api_id}")
        return found

    def resource(self, api: RestApi, resource_id: str) -> dict:
        found = api.resources.get(resource_id)
        if found is None:
            raise not_found("Invalid Resource identifier specified")
        return found

    def method(self, api: RestApi, resource_id: str, http_method: str) -> dict:
        found = self.resource(api, resource_id).get("resourceMethods", {}).get(http_method)
        if found is None:
            raise not_found("Invalid Method identifier specified")
        return found

    def deployment(self, scope: Scope, api_id: str, deployment_id: str) -> Deployment:
        found = self.deployments.get(scope, f"{api_id}/{deployment_id}")
        if found is None:
            raise not_found("Invalid Deployment identifier specified")
        return found

    def stage(self, scope: Scope, api_id: str, name: str) -> Stage:
        found = self.stages.get(scope, f"{api_id}/{name}")
        if found is None:
            raise not_found("Invalid Stage identifier specified")
        return found

    def key(self, scope: Scope, key_id: str) -> ApiKey:
        found = self.keys.get(scope, key_id)
        if found is None:
            raise not_found("Invalid API Key identifier specified")
        return found

    def plan(self, scope: Scope, plan_id: str) -> UsagePlan:
        found = self.plans.get(scope, plan_id)
        if found is None:
            raise not_found("Invalid Usage Plan ID specified")
        return found

    def stages_of(self, scope: Scope, api_id: str) -> list[Stage]:
        return [stage for stage in self.stages.values(scope) if stage.rest_api_id == api_id]

    def deployments_of(self, scope: Scope, api_id: str) -> list[Deployment]:
        return [d for d in self.deployments.values(scope) if d.rest_api_id == api_id]

    # -- the data plane's index ------------------------------------------------------------------
    def scope_of(self, api_id: str) -> Scope | None:
        """The account and region of an API, by its id alone."""
        scope = self._api_scopes.get(api_id)
        if scope is not None and (scope, api_id) in self.apis:
            return scope
        self._api_scopes = {key: scope for scope, key, _ in self.apis.all()}
        return self._api_scopes.get(api_id)
