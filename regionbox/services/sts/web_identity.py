"""AssumeRoleWithWebIdentity: a role session for the bearer of an OpenID Connect ID token.

What is checked, in AWS's order: the token is a JWT (three base64url parts, JSON header and
claims); its ``iss`` names an OIDC provider of the role's account (IAM's
CreateOpenIDConnectProvider; the built-in providers accounts.google.com, graph.facebook.com,
www.amazon.com and cognito-identity.amazonaws.com need none); its ``aud`` (or ``azp``) is one of
the provider's client ids; it has not expired (``exp``) and is already valid (``nbf``); the
role's trust policy allows the provider (``"Federated"``) to perform
sts:AssumeRoleWithWebIdentity with the token's claims as condition keys (``<provider>:aud``,
``:sub``, ``:amr``, ``:azp``). The token's signature is not verified: that needs the IdP's signing
keys (its JWKS), which regionbox does not fetch from the internet.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any, Callable

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.sts.sessions import Sessions, access_denied, checked_role_arn

if TYPE_CHECKING:
    from regionbox.services.iam.api import IamApi

BUILT_IN = ("accounts.google.com", "graph.facebook.com", "www.amazon.com", "cognito-identity.amazonaws.com")
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"


def invalid_token(message: str) -> ServiceError:
    return ServiceError("InvalidIdentityToken", message)


def _part(text: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def claims_of(token: str) -> dict:
    """The claims of a JWT, or InvalidIdentityToken for anything that is not one."""
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError(token)
        header, claims = _part(parts[0]), _part(parts[1])
    except (ValueError, TypeError):
        raise invalid_token("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access "
                            "Token)") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise invalid_token("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
    return claims


class WebIdentity:
    def __init__(self, sessions: Sessions, iam: Callable[[], "IamApi"]) -> None:
        self.sessions = sessions
        self.iam = iam

    def assume_role_with_web_identity(self, ctx: RequestContext, params: dict) -> dict:
        role_arn = checked_role_arn(params["RoleArn"])
        account = role_arn.split(":")[4]
        claims = claims_of(params["WebIdentityToken"])
        issuer = str(claims.get("iss") or "")
        issuer_key = issuer.removeprefix("https://").rstrip("/")
        iam = self.iam()
        if issuer_key in BUILT_IN or params.get("ProviderId") in BUILT_IN:
            provider = params.get("ProviderId") or issuer_key
        else:
            found = iam.oidc_provider(account, issuer)
            if found is None:
                raise invalid_token(f"No OpenIDConnect provider found in your account for {issuer}")
            audiences = claims.get("aud")
            audiences = audiences if isinstance(audiences, list) else [audiences]
            if not any(a in found.client_ids for a in [*audiences, claims.get("azp")] if a):
                raise invalid_token("Incorrect token audience")
            provider = found.arn
        now = int(clock.epoch())
        expires = claims.get("exp")
        if not isinstance(expires, (int, float)) or expires <= now:
            raise ServiceError("ExpiredTokenException", f"Token expired: current date/time {now} must be before the "
                               f"expiration date/time {expires}")
        if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > now:
            raise invalid_token("Token is not yet valid (nbf).")
        role = iam.role_by_arn(role_arn)
        context = {f"{issuer_key}:{claim}": claims[claim] for claim in ("aud", "sub", "amr", "azp", "oaud") if claim in claims}
        context["sts:RoleSessionName"] = params["RoleSessionName"]
        tags = (claims.get(TAGS_CLAIM) or {}).get("principal_tags") or {}
        session_tags = {key: (values[0] if isinstance(values, list) and values else str(values)) for key, values in tags.items()}
        for key, value in session_tags.items():
            context[f"aws:RequestTag/{key}"] = value
        actions = ["sts:AssumeRoleWithWebIdentity"] + (["sts:TagSession"] if session_tags else [])
        if role is None or not all(iam.federated_trust_allows(role, ctx, provider, action, context) for action in actions):
            raise access_denied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
        result = self.sessions.start_role_session(ctx, role, params["RoleSessionName"], params, tags=session_tags)
        audience = claims.get("aud")
        result.update({"SubjectFromWebIdentityToken": str(claims.get("sub", "")), "Provider": issuer_key,
                       "Audience": audience[0] if isinstance(audience, list) else str(audience or "")})
        if claims.get(SOURCE_IDENTITY_CLAIM):
            result["SourceIdentity"] = str(claims[SOURCE_IDENTITY_CLAIM])
        return result
