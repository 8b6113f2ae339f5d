"""Custom domain names: Create/Get/Update/Delete/ListDomainNames and AssociateApi,
DisassociateApi, GetApiAssociation.

A domain associated with an API routes to it by Host, as AppSync's CloudFront distribution
does: ``https://<domain>/graphql`` and ``wss://<domain>/graphql/realtime`` for a GraphQL API,
``https://<domain>/event`` and ``wss://<domain>/event/realtime`` for an Event API. Point the
name at the cloud (a hosts entry, or a Host header); regionbox serves no DNS and keeps no
certificates (ACM is not served), so the certificate ARN is kept as given and TLS is not done.
The gateway answers a Host only under .localhost or in REGIONBOX_ALLOWED_HOSTS (its guard against
DNS rebinding), so allow a domain there. A domain name is one in the whole cloud, as it is one on
the Internet."""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.services.appsync.common import bad_request, drop_none, page
from regionbox.services.appsync.models import DomainName
from regionbox.services.appsync.state import AppSyncState, not_found

CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"  # the hosted zone of every CloudFront distribution, as AppSync answers
# The paths a domain serves, per kind of request.
PATHS = {"graphql": "/graphql", "graphql-realtime": "/graphql/realtime", "event": "/event",
         "event-realtime": "/event/realtime"}


class DomainNames:
    def __init__(self, state: AppSyncState, paginator) -> None:
        self.state = state
        self.paginator = paginator

    def route(self, host: str, path: str, kind: str) -> tuple[str | None, str | None]:
        """(api id, region) of the API a request to a custom domain is for, or (None, None)."""
        if path.rstrip("/") != PATHS[kind] or not host:
            return None, None
        name = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host
        for scope, key, domain in self.state.domain_names.all():
            if key == name and domain.api_id:
                return domain.api_id, scope[1]
        return None, None

    @staticmethod
    def describe(domain: DomainName) -> dict:
        return drop_none({"domainName": domain.domain_name, "description": domain.description,
                          "certificateArn": domain.certificate_arn, "appsyncDomainName": "localhost",
                          "hostedZoneId": CLOUDFRONT_ZONE, "tags": domain.tags or None, "domainNameArn": domain.arn})

    def _get(self, ctx: RequestContext, name: str) -> DomainName:
        found = self.state.domain_names.get(ctx.scope, name)
        if found is None:
            raise not_found(f"Domain name {name} not found.")
        return found

    def create_domain_name(self, ctx: RequestContext, params: dict) -> dict:
        name = params["domainName"].lower()
        if any(key == name for _, key, _ in self.state.domain_names.all()):
            raise bad_request(f"Domain name {name} already exists.")
        domain = DomainName(domain_name=name, arn=ctx.arn("appsync", f"domainnames/{name}"),
                            certificate_arn=params["certificateArn"], description=params.get("description"),
                            tags=dict(params.get("tags") or {}))
        self.state.domain_names.put(ctx.scope, name, domain)
        return {"domainNameConfig": self.describe(domain)}

    def get_domain_name(self, ctx: RequestContext, params: dict) -> dict:
        return {"domainNameConfig": self.describe(self._get(ctx, params["domainName"].lower()))}

    def list_domain_names(self, ctx: RequestContext, params: dict) -> dict:
        domains = sorted(self.state.domain_names.values(ctx.scope), key=lambda d: d.domain_name)
        found, token = page(self.paginator, domains, params)
        return drop_none({"domainNameConfigs": [self.describe(d) for d in found], "nextToken": token})

    def update_domain_name(self, ctx: RequestContext, params: dict) -> dict:
        domain = self._get(ctx, params["domainName"].lower())
        if "description" in params:
            domain.description = params["description"]
        self.state.domain_names.put(ctx.scope, domain.domain_name, domain)
        return {"domainNameConfig": self.describe(domain)}

    def delete_domain_name(self, ctx: RequestContext, params: dict) -> dict:
        domain = self._get(ctx, params["domainName"].lower())
        if domain.api_id is not None:
            raise bad_request(f"Domain name {domain.domain_name} is associated with API {domain.api_id}: "
                              "disassociate it first.")
        self.state.domain_names.delete(ctx.scope, domain.domain_name)
        return {}

    # -- associations --------------------------------------------------------------------------
    @staticmethod
    def association(domain: DomainName) -> dict:
        return {"domainName": domain.domain_name, "apiId": domain.api_id, "associationStatus": "SUCCESS"}

    def associate_api(self, ctx: RequestContext, params: dict) -> dict:
        domain = self._get(ctx, params["domainName"].lower())
        self.state.any_api(ctx.scope, params["apiId"])
        domain.api_id = params["apiId"]
        self.state.domain_names.put(ctx.scope, domain.domain_name, domain)
        return {"apiAssociation": self.association(domain)}

    def disassociate_api(self, ctx: RequestContext, params: dict) -> dict:
        domain = self._get(ctx, params["domainName"].lower())
        if domain.api_id is None:
            raise not_found(f"Domain name {domain.domain_name} is not associated with an API.")
        domain.api_id = None
        self.state.domain_names.put(ctx.scope, domain.domain_name, domain)
        return {}

    def get_api_association(self, ctx: RequestContext, params: dict) -> dict:
        domain = self._get(ctx, params["domainName"].lower())
        if domain.api_id is None:
            raise not_found(f"Domain name {domain.domain_name} is not associated with an API.")
        return {"apiAssociation": self.association(domain)}
