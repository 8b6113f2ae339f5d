"""Read the SigV4 credential scope: access key, date, region, signing service.

Signatures are not verified unless the cloud is started with verification on (DESIGN: optional,
off by default); the scope is always read, because it names the account and the region.
"""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.protocol.http import HttpRequest


@dataclass(frozen=True)
class CredentialScope:
    access_key_id: str
    date: str
    region: str
    service: str


def credential_scope(request: HttpRequest) -> CredentialScope | None:
    """From the Authorization header, or X-Amz-Credential of a presigned URL."""
    credential = None
    auth = request.headers.get("authorization", "")
    if auth.startswith("AWS4-HMAC-SHA256"):
        start = auth.find("Credential=")
        if start >= 0:
            credential = auth[start + 11 :].split(",", 1)[0].strip()
    elif auth.startswith("AWS "):
        # SigV2 (old S3 clients): only the access key is known.
        return CredentialScope(auth[4:].split(":", 1)[0], "", "", "")
    elif "X-Amz-Credential" in request.query_string:
        credential = request.query_param("X-Amz-Credential")
    if not credential:
        return None
    parts = credential.split("/")
    if len(parts) < 5:
        return CredentialScope(parts[0], "", "", "")
    return CredentialScope(parts[0], parts[1], parts[2], parts[3])
