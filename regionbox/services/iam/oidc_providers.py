"""OpenID Connect identity providers: the IdPs whose tokens STS's AssumeRoleWithWebIdentity
accepts (sts/web_identity.py checks a token's issuer against a provider's URL and its audience
against the provider's client ids). ARN: ``arn:aws:iam::ACCOUNT:oidc-provider/<host and path>``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam import identity_propagation
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import OidcProvider
from regionbox.services.iam.state import IamState
from regionbox.services.iam.tags import checked_tags

THUMBPRINTS_MAX = 5
CLIENT_IDS_MAX = 100
PROVIDERS_PER_ACCOUNT = 100
OIDC_RESOURCE = "AWS::IAM::OIDCProvider"


def provider_key(url: str) -> str:
    """The provider's URL as its ARN and the ``iss`` claim compare: no scheme, no trailing slash."""
    return url.removeprefix("https://").rstrip("/")


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment or parts.port:
        raise ServiceError("InvalidInput", "Invalid Open ID Connect Provider URL")
    return provider_key(url)


def _checked_thumbprints(thumbprints: list[str]) -> list[str]:
    if len(thumbprints) > THUMBPRINTS_MAX:
        raise ServiceError("InvalidInput", f"Thumbprint list must contain fewer than {THUMBPRINTS_MAX} entries.")
    return [t.lower() for t in thumbprints]


class OidcProviders:
    def __init__(self, state: IamState, listing: Listing) -> None:
        self.providers = state.oidc_providers
        self.listing = listing

    def find(self, ctx: RequestContext, params: dict) -> OidcProvider:
        arn = params["OpenIDConnectProviderArn"]
        found = self.providers.get(ctx.global_scope, arn.split(":oidc-provider/", 1)[-1].lower())
        if found is None or found.arn != arn:
            raise ServiceError("NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}", status=404)
        return found

    def save(self, ctx: RequestContext, provider: OidcProvider) -> None:
        self.providers.put(ctx.global_scope, provider.url.lower(), provider)
        ctx.touched(OIDC_RESOURCE, provider.arn)

    def create_open_id_connect_provider(self, ctx: RequestContext, params: dict) -> dict:
        url = _checked_url(params["Url"])
        if (ctx.global_scope, url.lower()) in self.providers:
            raise ServiceError("EntityAlreadyExists", f"Provider with url https://{url} already exists.", status=409)
        if len(self.providers.values(ctx.global_scope)) >= PROVIDERS_PER_ACCOUNT:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for OpenIdProvidersPerAccount: {PROVIDERS_PER_ACCOUNT}",
                               status=409)
        client_ids = list(dict.fromkeys(params.get("ClientIDList") or []))
        if len(client_ids) > CLIENT_IDS_MAX:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {CLIENT_IDS_MAX}",
                               status=409)
        provider = OidcProvider(url=url, arn=ctx.arn("iam", f"oidc-provider/{url}", regional=False), create_date=clock.epoch(),
                                client_ids=client_ids, thumbprints=_checked_thumbprints(params.get("ThumbprintList") or []),
                                tags=checked_tags(params.get("Tags") or [], (), False),
                                context_provider=identity_propagation.on_create(params))
        self.save(ctx, provider)
        result: dict = {"OpenIDConnectProviderArn": provider.arn}
        if provider.tags:
            result["Tags"] = provider.tags
        return result

    def get_open_id_connect_provider(self, ctx: RequestContext, params: dict) -> dict:
        provider = self.find(ctx, params)
        result = {"Url": provider.url, "ClientIDList": provider.client_ids, "ThumbprintList": provider.thumbprints,
                  "CreateDate": provider.create_date, **identity_propagation.described(provider.context_provider)}
        if provider.tags:
            result["Tags"] = provider.tags
        return result

    def list_open_id_connect_providers(self, ctx: RequestContext, params: dict) -> dict:
        return {"OpenIDConnectProviderList": [{"Arn": p.arn} for p in self.providers.values(ctx.global_scope)]}

    def delete_open_id_connect_provider(self, ctx: RequestContext, params: dict) -> dict:
        provider = self.find(ctx, params)
        self.providers.delete(ctx.global_scope, provider.url.lower())
        ctx.touched(OIDC_RESOURCE, provider.arn)
        return {}

    def add_client_id(self, ctx: RequestContext, params: dict) -> dict:
        provider = self.find(ctx, params)
        if params["ClientID"] not in provider.client_ids:
            if len(provider.client_ids) >= CLIENT_IDS_MAX:
                raise ServiceError("LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: "
                                   f"{CLIENT_IDS_MAX}", status=409)
            provider.client_ids.append(params["ClientID"])
            self.save(ctx, provider)
        return {}

    def remove_client_id(self, ctx: RequestContext, params: dict) -> dict:
        provider = self.find(ctx, params)
        if params["ClientID"] in provider.client_ids:  # removing one that is not there succeeds, as on AWS
            provider.client_ids.remove(params["ClientID"])
            self.save(ctx, provider)
        return {}

    def update_thumbprint(self, ctx: RequestContext, params: dict) -> dict:
        provider = self.find(ctx, params)
        provider.thumbprints = _checked_thumbprints(params["ThumbprintList"])
        self.save(ctx, provider)
        return {}

    def update_open_id_connect_provider(self, ctx: RequestContext, params: dict) -> dict:
        """The provider's trusted identity propagation settings (never its thumbprints)."""
        provider = self.find(ctx, params)
        provider.context_provider = identity_propagation.on_update(params, provider.context_provider)
        self.save(ctx, provider)
        return {}
