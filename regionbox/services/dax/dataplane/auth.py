"""authorizeConnection: who is on this connection, proven by a SigV4 signature.

The client signs a fixed request (``POST /`` to host ``dax.amazonaws.com``, empty body, service
``dax``) and sends the access key, the signature, the string it signed and its session token.
We check the string is that request's, in this node's region, and recent; then, as the gateway
does for every AWS request, the signature with the secret of keys regionbox issued (IAM users'
keys, STS sessions: deleted, inactive or expired keys are refused), whose session token must
match. Keys regionbox never issued have no secret here and act as the default account (the
project's rule for callers, see DESIGN.md).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime, timezone

from regionbox.core.context import Caller
from regionbox.core.errors import ServiceError

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class AuthenticationFailed(Exception):
    def __init__(self, message: str, code: str = "UnrecognizedClientException") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


INVALID_TOKEN = "The security token included in the request is invalid."
BAD_SIGNATURE = ("The request signature we calculated does not match the signature you provided. "
                 "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")


def authenticate(credentials, region: str, access_key: object, signature: object, string_to_sign: object,
                 token: object, now: float | None = None) -> Caller:
    if type(access_key) is not str or not access_key or type(signature) is not str \
            or type(string_to_sign) is not bytes or not (token is None or type(token) is str):
        raise AuthenticationFailed("Request is missing Authentication Token", "MissingAuthenticationTokenException")
    try:
        algorithm, amz_date, scope, digest = string_to_sign.decode("utf-8").split("\n")
        date, scope_region, service, terminator = scope.split("/")
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise AuthenticationFailed(BAD_SIGNATURE, "InvalidSignatureException") from None
    if algorithm != ALGORITHM or service != "dax" or terminator != "aws4_request" or amz_date[:8] != date \
            or digest != _canonical_digest(amz_date):
        raise AuthenticationFailed(BAD_SIGNATURE, "InvalidSignatureException")
    if scope_region != region:
        raise AuthenticationFailed(f"Credential should be scoped to a valid region, not '{scope_region}'.",
                                   "InvalidSignatureException")
    if abs((now if now is not None else time.time()) - signed_at) > MAX_SKEW_SECONDS:
        raise AuthenticationFailed("Signature expired: the signing date is more than 15 minutes from the time of "
                                   "the node.", "InvalidSignatureException")
    try:
        caller = credentials.resolve(access_key)
    except ServiceError as error:
        raise AuthenticationFailed(error.message, "UnrecognizedClientException") from None
    issued = credentials.issued(access_key)
    if issued is not None:
        if (issued.session_token or None) != token:
            raise AuthenticationFailed(INVALID_TOKEN)
        key = ("AWS4" + issued.secret_access_key).encode("utf-8")
        for part in (date, scope_region, "dax", "aws4_request"):
            key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
        expected = hmac.new(key, string_to_sign, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise AuthenticationFailed(BAD_SIGNATURE, "InvalidSignatureException")
    return caller


def _canonical_digest(amz_date: str) -> str:
    canonical = "\n".join(("POST", "/", "", "host:dax.amazonaws.com", f"x-amz-date:{amz_date}", "",
                           "host;x-amz-date", _EMPTY_SHA256))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# The IAM actions DAX checks for each data method (TransactWriteItems: those of its items).
ACTIONS = {"GetItem": ("dax:GetItem",), "PutItem": ("dax:PutItem",), "UpdateItem": ("dax:UpdateItem",),
           "DeleteItem": ("dax:DeleteItem",), "Query": ("dax:Query",), "Scan": ("dax:Scan",),
           "BatchGetItem": ("dax:BatchGetItem",), "BatchWriteItem": ("dax:BatchWriteItem",),
           "TransactGetItems": ("dax:GetItem",)}
TRANSACT_ACTIONS = {2: "dax:PutItem", 7: "dax:DeleteItem", 9: "dax:UpdateItem", 12: "dax:ConditionCheckItem"}


class Authorizer:
    """Whether a connection's caller may run a data action on the cluster, as IAM decides for
    the cluster's ARN. A caller acting as an account's root may use that account's clusters
    only (DAX has no resource policies to let another account in). Decisions are kept per
    connection until it authenticates again."""

    def __init__(self, cloud, view) -> None:
        self.cloud = cloud
        self.view = view

    def cluster_arn(self) -> str:
        from regionbox.core.arns import arn
        return arn("dax", self.view.region, self.view.account, f"cache/{self.view.cluster_name}")

    def denial(self, caller: Caller, credentials, action: str) -> str | None:
        """None when allowed, else AccessDeniedException's message."""
        resource = self.cluster_arn()
        if caller.type == "Root":
            if caller.account_id == self.view.account:
                return None
            return (f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource} "
                    "because no resource-based policy allows the action")
        from regionbox.core import ids
        from regionbox.core.context import RequestContext
        from regionbox.core.service import Access
        ctx = RequestContext(caller=caller, region=self.view.region, request_id=ids.request_id(), service="dax",
                             operation=action.split(":", 1)[1])
        denied = self.cloud.services.api("iam").authorize(ctx, credentials, action, [Access(resource)])
        if denied is None:
            return None
        return f"User: {caller.arn} is not authorized to perform: {denied.action} on resource: {denied.resource} {denied.reason}"
