"""API Gateway's one typed state: the documents of every account and region, the usage table,
and the lookups every handler uses, each failing with AWS's error and message.

REST API ids are unique across the cloud (as on AWS, where the id is a DNS label of the invoke
URL): the data plane finds an API by id alone (``scope_of``), through an index built from the
store and kept as APIs come and go.
"""

from __future__ import annotations

from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope, Store
from regionbox.services.apigateway.models import (Account, ApiKey, ClientCertificate, Deployment, DomainName, RestApi,
                                                  Stage, UsagePlan, VpcLink)
from regionbox.services.apigateway.usage import UsageTable


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message, status=404)


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message, status=400)


def _found(document, message: str):
    """The document a lookup found, or AWS's 404 with its message."""
    if document is None:
        raise not_found(message)
    return document


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
        self.domains = store.collection("apigateway.domainnames", DomainName)
        self.client_certificates = store.collection("apigateway.clientcertificates", ClientCertificate)
        self.vpc_links = store.collection("apigateway.vpclinks", VpcLink)
        self.usage = UsageTable(store)
        self._api_scopes: dict[str, Scope] = {}
        self._domain_hosts: dict[str, tuple[Scope, str]] | None = None  # host -> the domain name's scope and key

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
        return _found(self.deployments.get(scope, f"{api_id}/{deployment_id}"), "Invalid Deployment identifier specified")

    def stage(self, scope: Scope, api_id: str, name: str) -> Stage:
        return _found(self.stages.get(scope, f"{api_id}/{name}"), "Invalid Stage identifier specified")

    def key(self, scope: Scope, key_id: str) -> ApiKey:
        return _found(self.keys.get(scope, key_id), "Invalid API Key identifier specified")

    def plan(self, scope: Scope, plan_id: str) -> UsagePlan:
        return _found(self.plans.get(scope, plan_id), "Invalid Usage Plan ID specified")

    def domain(self, scope: Scope, name: str) -> DomainName:
        return _found(self.domains.get(scope, name), "Invalid domain name identifier specified")

    def client_certificate(self, scope: Scope, certificate_id: str) -> ClientCertificate:
        return _found(self.client_certificates.get(scope, certificate_id), "Invalid Client Certificate identifier specified")

    def vpc_link(self, scope: Scope, link_id: str) -> VpcLink:
        return _found(self.vpc_links.get(scope, link_id), "Invalid Vpc Link identifier specified")

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

    def domain_by_host(self, host: str):
        """The custom domain name a Host names, by the name itself or its regional (or edge)
        domain name: (scope, DomainName) or None."""
        if self._domain_hosts is None:
            self._domain_hosts = {}
            for scope, name, domain in self.domains.all():
                for alias in (name, domain.body.get("regionalDomainName"), domain.body.get("distributionDomainName")):
                    if alias:
                        self._domain_hosts[alias] = (scope, name)
        found = self._domain_hosts.get(host.lower())
        domain = self.domains.get(*found) if found else None
        return (found[0], domain) if domain is not None else None

    def domains_changed(self) -> None:
        self._domain_hosts = None
