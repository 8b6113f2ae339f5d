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
