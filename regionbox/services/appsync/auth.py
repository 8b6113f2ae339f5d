"""Who calls an API's data plane, and which fields they may reach.

A request (or a real-time connection, whose headers travel base64-encoded in the URL and in each
``start``) is authenticated by the first auth mode of the API it matches: ``x-api-key`` is
API_KEY, a SigV4 ``Authorization`` is AWS_IAM, another ``Authorization`` is a token for the
API's Lambda authorizer (AWS_LAMBDA). A field is open to the modes its directives name
(``@aws_api_key``, ``@aws_iam`` ...), else to those of its type's directives, else to the API's
default mode only, as AppSync rules. IAM callers also need ``appsync:GraphQL`` on the field's ARN."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from regionbox.core import clock, ids
from regionbox.core.arns import arn
from regionbox.core.context import Caller, RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.service import Access
from regionbox.gateway.identity import credential_scope, verify_signature
from regionbox.protocol.http import HttpRequest
from regionbox.services.appsync.models import GraphqlApi
from regionbox.services.appsync.state import AppSyncState

DIRECTIVE_OF = {"API_KEY": "aws_api_key", "AWS_IAM": "aws_iam", "AWS_LAMBDA": "aws_lambda",
                "OPENID_CONNECT": "aws_oidc", "AMAZON_COGNITO_USER_POOLS": "aws_cognito_user_pools"}
_MODE_OF = {d: m for m, d in DIRECTIVE_OF.items()} | {"aws_auth": "AMAZON_COGNITO_USER_POOLS"}
NOT_AUTHORIZED = "You are not authorized to make this call."


class Unauthorized(Exception):
    def __init__(self, message: str = NOT_AUTHORIZED) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Identity:
    """The authenticated caller: its auth mode, ``$ctx.identity``, and for IAM the caller itself."""

    mode: str
    identity: dict[str, Any] | None = None
    caller: Caller | None = None
    issued: Any = None
    source_ip: str = "127.0.0.1"
    allowed: dict[tuple[str, str], bool] = field(default_factory=dict)  # IAM verdicts per field
    denied: frozenset[str] = frozenset()  # a Lambda authorizer's deniedFields: "Type.field" or field ARNs


def _lambda_config(api: GraphqlApi) -> dict:
    if api.authentication_type == "AWS_LAMBDA":
        return api.settings.get("lambdaAuthorizerConfig") or {}
    return next((p.get("lambdaAuthorizerConfig") or {} for p in api.settings.get("additionalAuthenticationProviders") or []
                 if p["authenticationType"] == "AWS_LAMBDA"), {})


def modes(api: GraphqlApi) -> list[str]:
    return [api.authentication_type] + [p["authenticationType"]
                                        for p in api.settings.get("additionalAuthenticationProviders") or []]


class Authenticator:
    def __init__(self, state: AppSyncState, cloud) -> None:
        self.state = state
        self.cloud = cloud

    async def authenticate(self, api, scope, headers: dict[str, str], path: str, body: bytes,
                           source_ip: str = "127.0.0.1", enabled: list[str] | None = None,
                           lambda_config: dict | None = None, signed_as: tuple[tuple[str, bytes], ...] = ()) -> Identity:
        """``headers`` lower-cased; ``path`` and ``body`` as a SigV4 signature covers them.
        A GraphQL API's modes are its own; an Event API's caller names the ``enabled`` modes of
        the operation and its Lambda authorizer's config, and ``signed_as`` the other (path, body)
        pairs a client may have signed (it signs the HTTP endpoint's request, whatever it sent)."""
        enabled = modes(api) if enabled is None else enabled
        key = headers.get("x-api-key")
        if key is not None:
            if "API_KEY" not in enabled or not self._key_valid(scope, api.api_id, key):
                raise Unauthorized()
            return Identity("API_KEY", None, source_ip=source_ip)
        authorization = headers.get("authorization", "")
        if authorization.startswith("AWS4-HMAC-SHA256"):
            if "AWS_IAM" not in enabled:
                raise Unauthorized()
            # Clients sign the canonical "/graphql" of the API's own host, whatever URL reached us
            # (the no-DNS path form).
            canonical = "/graphql/connect" if path.endswith("/connect") else "/graphql"
            return self._iam(api, scope, headers, ((path, body), (canonical, body), *signed_as), source_ip)
        if authorization and "AWS_LAMBDA" in enabled:
            config = _lambda_config(api) if lambda_config is None else lambda_config
            return await self._lambda(api, scope, config, authorization, headers, body, source_ip)
        if "AWS_IAM" in enabled and "API_KEY" not in enabled:
            raise Unauthorized("Valid authorization header not provided.")
        raise Unauthorized()

    async def _lambda(self, api, scope, config: dict, token: str, headers: dict[str, str], body: bytes,
                      source_ip: str) -> Identity:
        """AppSync's Lambda authorizer: the function (which must let appsync.amazonaws.com invoke
        it) answers isAuthorized, resolverContext and deniedFields for this token."""
        pattern = config.get("identityValidationExpression")
        if pattern and re.fullmatch(pattern, token) is None:
            raise Unauthorized()
        try:
            request = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            request = {}
        request = request if isinstance(request, dict) else {}
        event = {"authorizationToken": token,
                 "requestContext": {"apiId": api.api_id, "accountId": scope[0], "requestId": ids.request_id(),
                                    "queryString": request.get("query"), "operationName": request.get("operationName"),
                                    "variables": request.get("variables") or {}},
                 "requestHeaders": dict(headers)}
        try:
            answer = (await self.cloud.services.api("lambda").invoke(
                scope[0], scope[1], config["authorizerUri"], event, principal="appsync.amazonaws.com",
                source_arn=api.arn)).json()
        except ServiceError:
            raise Unauthorized() from None
        if not isinstance(answer, dict) or answer.get("isAuthorized") is not True:
            raise Unauthorized()
        return Identity("AWS_LAMBDA", {"resolverContext": answer.get("resolverContext") or {}},
                        source_ip=source_ip, denied=frozenset(answer.get("deniedFields") or ()))

    def _key_valid(self, scope, api_id: str, key_id: str) -> bool:
        key = self.state.api_keys.get(scope, f"{api_id}/{key_id}")
        return key is not None and key.expires > clock.epoch()

    def _iam(self, api, scope, headers: dict[str, str], signed: tuple[tuple[str, bytes], ...],
             source_ip: str) -> Identity:
        """A SigV4 caller, whose signature matches one of the (path, body) requests ``signed``."""
        request = HttpRequest("POST", signed[0][0], "", dict(headers), body=signed[0][1], host=headers.get("host", ""))
        credential = credential_scope(request)
        if credential is None:
            raise Unauthorized("Valid authorization header not provided.")
        mismatch = Unauthorized("The request signature we calculated does not match the signature you provided.")
        try:
            caller = self.cloud.credentials.resolve(credential.access_key_id)
            issued = self.cloud.credentials.issued(credential.access_key_id)
        except ServiceError:
            raise mismatch from None
        if issued is not None:
            for path, body in signed:
                request.path, request.body = path, body
                try:
                    verify_signature(request, body, credential, issued)
                    break
                except ServiceError:
                    continue
            else:
                raise mismatch
        if caller.account_id != scope[0]:
            raise Unauthorized()
        identity = {"accountId": caller.account_id, "cognitoIdentityPoolId": None, "cognitoIdentityId": None,
                    "sourceIp": [source_ip], "username": caller.user_id, "userArn": caller.arn,
                    "cognitoIdentityAuthType": None, "cognitoIdentityAuthProvider": None}
        return Identity("AWS_IAM", identity, caller=caller, issued=issued, source_ip=source_ip)

    # -- fields ---------------------------------------------------------------------------------
    @staticmethod
    def field_modes(api: GraphqlApi, parent_type, field_name: str) -> set[str]:
        definition = parent_type.fields[field_name].ast_node
        for node in (definition, parent_type.ast_node):
            named = {_MODE_OF[d.name.value] for d in (getattr(node, "directives", None) or ())
                     if d.name.value in _MODE_OF}
            if named:
                return named
        return {api.authentication_type}

    def allowed(self, api: GraphqlApi, scope, who: Identity, parent_type, field_name: str, root: bool = False) -> bool:
        """Whether ``who`` reaches the field; IAM policies are asked for the operation's root
        fields (Query/fields/getPost), the schema's directives for every field."""
        if who.mode not in self.field_modes(api, parent_type, field_name):
            return False
        if who.denied and (f"{parent_type.name}.{field_name}" in who.denied or arn(
                "appsync", scope[1], scope[0], f"apis/{api.api_id}/types/{parent_type.name}/fields/{field_name}")
                in who.denied):
            return False
        if not root or who.mode != "AWS_IAM" or who.caller is None or who.caller.type == "Root":
            return True
        cached = who.allowed.get((parent_type.name, field_name))
        if cached is None:
            field_arn = arn("appsync", scope[1], scope[0], f"apis/{api.api_id}/types/{parent_type.name}/fields/{field_name}")
            cached = who.allowed[(parent_type.name, field_name)] = self.iam_allows(who, scope, "appsync:GraphQL",
                                                                                   field_arn)
        return cached

    def iam_allows(self, who: Identity, scope, action: str, resource: str) -> bool:
        """IAM's verdict on an IAM caller's ``action`` on ``resource`` (others are not IAM's)."""
        if who.mode != "AWS_IAM" or who.caller is None or who.caller.type == "Root":
            return True
        ctx = RequestContext(caller=who.caller, region=scope[1], request_id=ids.request_id(), service="appsync",
                             operation=action.split(":", 1)[1], source_ip=who.source_ip)
        return self.cloud.services.api("iam").authorize(ctx, who.issued, action, [Access(resource)]) is None
