"""Who is calling: the SigV4 credential scope (access key, date, region, signing service) and,
for keys regionbox issued, the signature itself.

DESIGN: any access key is accepted (a 12-digit key is that account's root, others the default
account), so a key regionbox never issued has no secret to check against. Keys it did issue, STS
session credentials and IAM users' access keys, have one, and AWS refuses a request signed with
the wrong secret or sent without its session token: so does regionbox.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from posixpath import normpath
from urllib.parse import quote, unquote

from regionbox.core.credentials import CredentialRegistry, InvalidClientTokenId, IssuedCredentials
from regionbox.core.errors import ServiceError
from regionbox.protocol.aws_chunked import ChunkSignatures
from regionbox.protocol.http import HttpRequest

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


@dataclass(frozen=True)
class CredentialScope:
    access_key_id: str
    date: str
    region: str
    service: str


class SignatureDoesNotMatch(ServiceError):
    def __init__(self) -> None:
        super().__init__("SignatureDoesNotMatch",
                         "The request signature we calculated does not match the signature you provided. Check your "
                         "AWS Secret Access Key and signing method. Consult the service documentation for details.",
                         status=403)


# A region as AWS names them: ap-northeast-1, us-gov-west-1, cn-north-1, eu-isoe-west-1 ...
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


class InvalidRegionScope(SignatureDoesNotMatch):
    def __init__(self, region: str) -> None:
        ServiceError.__init__(self, "SignatureDoesNotMatch", f"Credential should be scoped to a valid region, not '{region}'. ",
                              status=403)


def check_region(scope: CredentialScope) -> None:
    """A signature scoped to something that is no region name is refused, as AWS refuses it;
    any well-formed name is a region here (each has its own state and AZs)."""
    if scope.region and not _REGION.fullmatch(scope.region):
        raise InvalidRegionScope(scope.region)


def credential_scope(request: HttpRequest) -> CredentialScope | None:
    """From the Authorization header, or X-Amz-Credential of a presigned URL."""
    credential = None
    auth = request.headers.get("authorization", "")
    if auth.startswith(ALGORITHM):
        start = auth.find("Credential=")
        if start >= 0:
            credential = auth[start + 11 :].split(",", 1)[0].strip()
    elif auth.startswith("AWS "):
        # SigV2 (old S3 clients): only the access key is known.
        return CredentialScope(auth[4:].split(":", 1)[0], "", "", "")
    elif "X-Amz-Credential" in request.query_string:
        credential = request.query_param("X-Amz-Credential")
    elif "AWSAccessKeyId" in request.query_string and request.query_param("AWSAccessKeyId"):
        # A SigV2 presigned URL (what AWS CLI v1's `s3 presign` writes): only the access key is known.
        return CredentialScope(request.query_param("AWSAccessKeyId"), "", "", "")
    if not credential:
        return None
    parts = credential.split("/")
    if len(parts) < 5:
        return CredentialScope(parts[0], "", "", "")
    return CredentialScope(parts[0], parts[1], parts[2], parts[3])


class RequestExpired(ServiceError):
    def __init__(self, expires: str, server_time: str, seconds: str) -> None:
        fields = {"X-Amz-Expires": seconds} if seconds else {}
        super().__init__("AccessDenied", "Request has expired", status=403,
                         **fields, Expires=expires, ServerTime=server_time)


def check_presigned_expiry(request: HttpRequest, now: float | None = None) -> None:
    """A presigned URL (X-Amz-Date + X-Amz-Expires) past its expiry is refused whoever signed
    it: the URL says when it ends, no secret is needed to see that."""
    if "authorization" in request.headers:
        return
    current = datetime.fromtimestamp(time.time() if now is None else now, timezone.utc)
    seconds, signed_at = request.query_param("X-Amz-Expires"), request.query_param("X-Amz-Date")
    expires_v2 = request.query_param("Expires") if request.query_param("AWSAccessKeyId") else None
    if expires_v2 is not None and expires_v2.isdigit():  # SigV2: Expires is the end, in epoch seconds
        end = datetime.fromtimestamp(int(expires_v2), timezone.utc)
        if current > end:
            raise RequestExpired(end.strftime("%Y-%m-%dT%H:%M:%SZ"), current.strftime("%Y-%m-%dT%H:%M:%SZ"), "")
        return
    if seconds is None or signed_at is None:
        return
    try:
        start = datetime.strptime(signed_at, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        lifetime = int(seconds)
    except ValueError:
        raise ServiceError("AuthorizationQueryParametersError",
                           "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"", 400) from None
    if not 0 <= lifetime <= 604800:
        raise ServiceError("AuthorizationQueryParametersError",
                           "X-Amz-Expires must be less than a week (in seconds) that is 604800", 400)
    end = start + timedelta(seconds=lifetime)
    if current > end:
        raise RequestExpired(end.strftime("%Y-%m-%dT%H:%M:%SZ"), current.strftime("%Y-%m-%dT%H:%M:%SZ"), seconds)


def verify_signature(request: HttpRequest, body: bytes, scope: CredentialScope, issued: IssuedCredentials,
                     raw_path: bool = False) -> ChunkSignatures | None:
    """Raise unless ``request`` is signed with ``issued``'s secret and carries its session token.
    ``body`` is the body as received, before any Content-Encoding is undone. ``raw_path``: the
    service signs the path exactly as sent (S3's conventions), not normalized and encoded again.
    For a body sent as signed aws-chunked chunks, return what verifies each chunk as it arrives."""
    presigned = "authorization" not in request.headers
    if issued.session_token:
        token = request.query_param("X-Amz-Security-Token") if presigned else request.headers.get("x-amz-security-token")
        if token != issued.session_token:
            raise InvalidClientTokenId()
    if presigned:
        fields = {"Signature": request.query_param("X-Amz-Signature"),
                  "SignedHeaders": request.query_param("X-Amz-SignedHeaders")}
        amz_date = request.query_param("X-Amz-Date")
    else:
        auth = request.headers["authorization"]
        if not auth.startswith(ALGORITHM):
            raise SignatureDoesNotMatch()  # SigV2: never for keys that are this new
        fields = dict(part.strip().split("=", 1) for part in auth[len(ALGORITHM):].split(",") if "=" in part)
        amz_date = request.headers.get("x-amz-date") or ""
    signature, signed_headers = fields.get("Signature"), fields.get("SignedHeaders")
    if not signature or not signed_headers or not amz_date or not scope.date:
        raise SignatureDoesNotMatch()
    credential_scope_text = f"{scope.date}/{scope.region}/{scope.service}/aws4_request"
    key = _signing_key(issued.secret_access_key, scope)
    for payload_hash in _payload_hashes(request, body, presigned):
        canonical = _canonical_request(request, raw_path, signed_headers, payload_hash, presigned)
        string_to_sign = "\n".join((ALGORITHM, amz_date, credential_scope_text,
                                    hashlib.sha256(canonical.encode("utf-8")).hexdigest()))
        expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, signature):
            if payload_hash.startswith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"):
                return ChunkSignatures(key, amz_date, credential_scope_text, signature)
            return None
    raise SignatureDoesNotMatch()


def _signing_key(secret: str, scope: CredentialScope) -> bytes:
    key = ("AWS4" + secret).encode("utf-8")
    for part in (scope.date, scope.region, scope.service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def _payload_hashes(request: HttpRequest, body: bytes, presigned: bool) -> list[str]:
    declared = request.headers.get("x-amz-content-sha256")
    if declared:  # S3 and others that declare it sign exactly what they declare
        return [declared]
    body_hash = hashlib.sha256(body).hexdigest()
    # A presigned URL signs either no payload (S3's way) or the body.
    return [UNSIGNED_PAYLOAD, body_hash] if presigned else [body_hash]


def _canonical_request(request: HttpRequest, raw_path: bool, signed_headers: str, payload_hash: str, presigned: bool) -> str:
    headers = "".join(f"{name}:{' '.join(request.headers.get(name, '').split())}\n" for name in signed_headers.split(";"))
    return "\n".join((request.method, _canonical_uri(request.path, raw_path), _canonical_query(request.query_string, presigned),
                      headers, signed_headers, payload_hash))


def _canonical_uri(path: str, raw_path: bool) -> str:
    if raw_path:
        return path or "/"  # S3 signs the path as sent: no normalization, no second encoding
    normalized = normpath(path) if path not in ("", "/") else "/"
    if path.endswith("/") and not normalized.endswith("/"):
        normalized += "/"
    return quote(normalized.replace("//", "/"), safe="/~")


def _canonical_query(query_string: str, presigned: bool) -> str:
    pairs = []
    for pair in query_string.split("&") if query_string else []:
        name, _, value = pair.partition("=")
        name, value = unquote(name), unquote(value)
        if presigned and name == "X-Amz-Signature":
            continue
        pairs.append((quote(name, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def signed_caller(request: HttpRequest, body: bytes, scope: CredentialScope, credentials: CredentialRegistry):
    """Who signed a request a data plane checks itself (a function URL with AWS_IAM, an API
    Gateway method with AWS_IAM), as the gateway checks an AWS request: the region, a presigned
    URL's expiry, and the signature of a key regionbox issued. Returns (caller, issued
    credentials or None); raises the ServiceError the gateway would answer."""
    check_region(scope)
    check_presigned_expiry(request)
    issued = credentials.issued(scope.access_key_id)
    caller = credentials.resolve(scope.access_key_id)
    if issued is not None:
        verify_signature(request, body, scope, issued)
    return caller, issued
