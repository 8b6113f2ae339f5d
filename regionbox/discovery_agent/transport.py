"""Signed JSON calls to the agent-ingest route (services/discovery/ingest.py), over one kept-alive
HTTP connection. SigV4 is computed here (service ``discovery``), not with botocore, to keep the
agent small: importing botocore alone costs more memory than the agent's whole budget share.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
from datetime import datetime, timezone
from urllib.parse import urlsplit

from regionbox.config import AwsCredentials

PATH = "/_discovery/agent/"


class IngestError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


class Unreachable(Exception):
    """The cloud did not answer (down, restarting, network): try again later."""


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(method: str, host: str, path: str, body: bytes, credentials: AwsCredentials, region: str,
         service: str = "discovery", now: datetime | None = None) -> dict[str, str]:
    """The headers of a SigV4-signed request (host, x-amz-date, x-amz-content-sha256, authorization)."""
    now = now or datetime.now(timezone.utc)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": stamp}
    if credentials.session_token:
        headers["x-amz-security-token"] = credentials.session_token
    names = sorted(headers)
    canonical = "\n".join([method, path, "", *(f"{n}:{headers[n]}" for n in names), "", ";".join(names), payload])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + credentials.secret_access_key).encode(), day), region), service),
                "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={credentials.access_key_id}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return headers


class Transport:
    def __init__(self, endpoint: str, credentials: AwsCredentials, region: str, timeout: float = 30.0) -> None:
        parts = urlsplit(endpoint)
        self.https = parts.scheme == "https"
        self.host = parts.netloc
        self.credentials = credentials
        self.region = region
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def call(self, action: str, document: dict) -> dict:
        body = json.dumps(document, separators=(",", ":")).encode()
        path = PATH + action
        headers = sign("POST", self.host, path, body, self.credentials, self.region)
        headers["content-type"] = "application/json"
        for attempt in (0, 1):  # a kept-alive connection the server closed meanwhile: once more on a new one
            try:
                if self._connection is None:
                    kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
                    self._connection = kind(self.host, timeout=self.timeout)
                self._connection.request("POST", path, body, headers)
                response = self._connection.getresponse()
                answer = response.read()
                break
            except (OSError, http.client.HTTPException) as error:
                self.close()
                if attempt:
                    raise Unreachable(str(error)) from error
        try:
            parsed = json.loads(answer or b"{}")
        except ValueError:
            parsed = {}
        if response.status >= 500:
            raise Unreachable(f"{response.status}: {parsed}")
        if response.status != 200:
            raise IngestError(response.status, parsed.get("__type", ""), parsed.get("message", ""))
        return parsed

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
