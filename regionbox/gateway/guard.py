"""Only the user may drive the cloud: requests that a web page made the user's browser send are
refused before they reach anything.

A page on any site can make the browser send a plain form, an image GET or a fetch to
localhost, and DNS rebinding can make a site's own name point at 127.0.0.1. So:

- the Host must be an address (no name to rebind), ``localhost``, ``*.localhost``, AWS's own
  ``*.amazonaws.com`` (which no attacker's DNS serves), the name regionbox listens on, or one the
  user allows (``REGIONBOX_ALLOWED_HOSTS``);
- a request a browser marks as coming from another origin (``Origin``, or ``Sec-Fetch-Site``
  cross-site or same-site) is refused unless that origin is one the user allows for CORS
  (``REGIONBOX_CORS_ORIGINS``, as browser-based AWS SDK apps need), and then answered with the
  CORS headers those SDKs read, preflights included;
- a service may answer for origins it was configured to allow (S3's bucket CORS, ``Service.cors``):
  the gateway asks it only after this guard refused, and never for a Host refused here;
- the internal endpoints change state only for requests no form can send: a JSON content type
  or the ``X-Regionbox`` header;
- JSON protocols take JSON: the content types a form can send are refused, as AWS refuses them.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from urllib.parse import urlsplit

from regionbox.config import Config
from regionbox.core.errors import ServiceError
from regionbox.protocol.http import HttpRequest, HttpResponse

# What a form, an <img> or a no-preflight fetch can send: never JSON.
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
# Response headers browser SDKs read (request ids, S3's object metadata and checksums).
EXPOSED_HEADERS = ("x-amzn-requestid, x-amzn-errortype, x-amz-request-id, x-amz-id-2, x-amzn-query-error, etag, "
                   "x-amz-version-id, x-amz-delete-marker, x-amz-server-side-encryption, content-length, content-type, "
                   "date, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-sha1, x-amz-checksum-sha256")
ALLOWED_METHODS = "GET, HEAD, POST, PUT, DELETE, PATCH"


class CrossSiteRefused(ServiceError):
    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", f"regionbox refused a cross-site request: {message}", status=403)


def _hostname(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:4566
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Guard:
    def __init__(self, config: Config) -> None:
        self.listen_host = config.host.lower()
        self.allowed_hosts = [pattern.lower() for pattern in config.allowed_hosts]
        self.cors_origins = {origin.rstrip("/").lower() for origin in config.cors_origins}

    def host_allowed(self, host_header: str) -> bool:
        name = _hostname(host_header)
        if not name or _is_address(name) or name == self.listen_host:
            return True
        if name == "localhost" or name.endswith(".localhost"):
            return True
        if name.endswith(".amazonaws.com"):
            # AWS's own names (an invoke URL's "<api>.execute-api.<region>.amazonaws.com" sent with
            # its Host header): no web page's DNS can rebind them to this machine.
            return True
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.allowed_hosts)

    def origin_allowed(self, origin: str, host_header: str) -> bool:
        origin = origin.rstrip("/").lower()
        if "*" in self.cors_origins or origin in self.cors_origins:
            return True
        # A page regionbox itself served (same scheme-less host and port) is not cross-site.
        return origin != "null" and urlsplit(origin).netloc == host_header.lower()

    def check(self, request: HttpRequest) -> str | None:
        """Raise ``CrossSiteRefused`` for a request a web page sent; return the origin to answer
        with CORS headers (an allowed cross-origin browser request), else None."""
        if not self.host_allowed(request.host):
            raise CrossSiteRefused(f"Host '{request.host}' is not an address regionbox serves "
                                   "(allow a name with REGIONBOX_ALLOWED_HOSTS).")
        origin = request.headers.get("origin")
        if origin is not None:
            if not self.origin_allowed(origin, request.host):
                raise CrossSiteRefused(f"Origin '{origin}' is not allowed (allow it with REGIONBOX_CORS_ORIGINS).")
            return origin
        if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
            raise CrossSiteRefused("the browser says this request comes from another site.")
        return None

    @staticmethod
    def preflight(request: HttpRequest, origin: str) -> HttpResponse:
        """The answer to a CORS preflight (OPTIONS with Access-Control-Request-Method)."""
        headers = cors_headers(origin) + [
            ("Access-Control-Allow-Methods", ALLOWED_METHODS),
            ("Access-Control-Max-Age", "600"),
            ("Content-Length", "0"),
        ]
        asked = request.headers.get("access-control-request-headers")
        if asked:
            headers.append(("Access-Control-Allow-Headers", asked))
        return HttpResponse(200, headers)


def cors_headers(origin: str) -> list[tuple[str, str]]:
    return [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Expose-Headers", EXPOSED_HEADERS), ("Vary", "Origin")]


def is_preflight(request: HttpRequest) -> bool:
    return request.method == "OPTIONS" and "access-control-request-method" in request.headers


def internal_write_allowed(request: HttpRequest) -> bool:
    """A POST to /_regionbox/ that no HTML form can send: JSON, or regionbox's own header."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return content_type == "application/json" or "x-regionbox" in request.headers


def form_content_type(request: HttpRequest) -> bool:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return content_type in FORM_CONTENT_TYPES


def is_form_post(request: HttpRequest) -> bool:
    """A browser form upload: an unsigned POST of multipart/form-data (S3's POST Object carries
    its signature in the form); a signed one is an AWS request of the service it is signed for."""
    return (request.method == "POST" and "authorization" not in request.headers
            and request.headers.get("content-type", "").lower().startswith("multipart/form-data"))
