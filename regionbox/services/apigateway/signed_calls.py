"""AWS_IAM methods: a call must be signed with SigV4 for ``execute-api`` and the caller allowed
``execute-api:Invoke`` on the method's ARN
(``arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>``), by its identity policies
and the API's resource policy (RestApi ``policy``), as IAM evaluates every other request here.

The signature is checked the way the gateway checks AWS requests (gateway/identity.py): for keys
regionbox issued (STS sessions, IAM users' keys) against their secret; any other key is an
account's root or the default account, whose secret regionbox does not know. Refusals are the
gateway responses AWS sends: MISSING_AUTHENTICATION_TOKEN (no signature), INVALID_SIGNATURE,
EXPIRED_TOKEN and ACCESS_DENIED, each with AWS's message.
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.credentials import CredentialRegistry
from regionbox.core.errors import ServiceError
from regionbox.core.service import Access
from regionbox.gateway.identity import credential_scope, signed_caller
from regionbox.protocol.http import HttpRequest


def method_arn(region: str, account: str, api_id: str, stage: str, http_method: str, path: str) -> str:
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{http_method}/{path.lstrip('/')}"


class SignedCalls:
    def __init__(self, credentials: CredentialRegistry, iam: Callable[[], Any], enforced: bool) -> None:
        self.credentials = credentials
        self.iam = iam
        self.enforced = enforced

    def check(self, request: HttpRequest, body: bytes, region: str, arn: str, policy: str | None,
              context: dict) -> tuple[str, str | None] | None:
        """None when the call may go on, else (gateway response type, message)."""
        scope = credential_scope(request)
        if scope is None:
            return "MISSING_AUTHENTICATION_TOKEN", None
        if scope.service and scope.service != "execute-api":
            return "INVALID_SIGNATURE", "Credential should be scoped to correct service: 'execute-api'. "
        try:
            caller, issued = signed_caller(request, body, scope, self.credentials)
        except ServiceError as error:
            kind = "EXPIRED_TOKEN" if error.code in ("ExpiredToken", "AccessDenied") else "INVALID_SIGNATURE"
            return kind, error.message or "The security token included in the request is invalid."
        context["identity"].update(accountId=caller.account_id, caller=caller.user_id, user=caller.user_id,
                                   userArn=caller.arn, accessKey=scope.access_key_id)
        if not self.enforced:
            return None
        ctx = RequestContext(caller=caller, region=region, request_id=context["requestId"], service="execute-api",
                             operation="Invoke", source_ip=context["identity"].get("sourceIp", "127.0.0.1"),
                             user_agent=request.headers.get("user-agent", ""))
        denial = self.iam().authorize(ctx, issued, "execute-api:Invoke", [Access(arn)],
                                      (lambda resource: policy) if policy else None)
        if denial is not None:
            return "ACCESS_DENIED", (f"User: {caller.arn} is not authorized to perform: execute-api:Invoke on "
                                     f"resource: {arn} {denial.reason}".rstrip())
        return None
