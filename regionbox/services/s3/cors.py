"""Bucket CORS: Put/Get/DeleteBucketCors, and the answer to a browser's cross-origin request
(preflight OPTIONS included) by the bucket's rules, which the gateway asks for (Service.cors)
when the origin is not one the user allowed for the whole cloud."""

from __future__ import annotations

import fnmatch

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.protocol.http import HttpRequest
from regionbox.services.s3.errors import malformed_xml, no_configuration
from regionbox.services.s3.policies import Access
from regionbox.services.s3.state import S3State

METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD"}
MAX_RULES = 100


class BucketCors:
    def __init__(self, state: S3State, access: Access, regions: list[str]) -> None:
        self.state = state
        self.access = access
        self.regions = regions  # where to look a bucket up from a bare HTTP request: its partition

    def put_bucket_cors(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        rules = params["CORSConfiguration"].get("CORSRules") or []
        if not rules or len(rules) > MAX_RULES:
            raise malformed_xml()
        for rule in rules:
            for method in rule.get("AllowedMethods") or []:
                if method not in METHODS:
                    raise ServiceError("InvalidRequest", f"Found unsupported HTTP method in CORS config. Unsupported "
                                       f"method is {method}", 400)
            for origin in rule.get("AllowedOrigins") or []:
                if origin.count("*") > 1:
                    raise ServiceError("InvalidRequest", f"AllowedOrigin \"{origin}\" can not have more than one wildcard.", 400)
        bucket.cors = rules
        self.state.save(bucket)
        return {}

    def get_bucket_cors(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        if not bucket.cors:
            raise no_configuration("NoSuchCORSConfiguration", "The CORS configuration does not exist", bucket.name)
        return {"CORSRules": bucket.cors}

    def delete_bucket_cors(self, ctx: RequestContext, params: dict) -> dict:
        bucket = self.access.bucket(ctx, params["Bucket"])
        bucket.cors = None
        self.state.save(bucket)
        return {}

    def answer(self, request: HttpRequest, bucket_name: str | None) -> list[tuple[str, str]] | None:
        """The CORS headers the bucket's first matching rule grants, or None (refused)."""
        origin = request.headers.get("origin")
        if not bucket_name or not origin:
            return None
        bucket = next((b for b in (self.state.find(region, bucket_name) for region in self.regions) if b), None)
        if bucket is None or not bucket.cors:
            return None
        preflight = request.method == "OPTIONS"
        method = request.headers.get("access-control-request-method", "") if preflight else request.method
        asked = [h.strip().lower() for h in request.headers.get("access-control-request-headers", "").split(",") if h.strip()]
        for rule in bucket.cors:
            if not any(fnmatch.fnmatchcase(origin, allowed) for allowed in rule.get("AllowedOrigins") or []):
                continue
            if method not in (rule.get("AllowedMethods") or []):
                continue
            allowed_headers = [h.lower() for h in rule.get("AllowedHeaders") or []]
            if not all(any(fnmatch.fnmatchcase(h, pattern) for pattern in allowed_headers) for h in asked):
                continue
            wildcard = rule.get("AllowedOrigins") == ["*"]
            headers = [("Access-Control-Allow-Origin", "*" if wildcard else origin),
                       ("Access-Control-Allow-Methods", ", ".join(rule.get("AllowedMethods") or [])),
                       ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")]
            if not wildcard:
                headers.append(("Access-Control-Allow-Credentials", "true"))
            if preflight and asked:
                headers.append(("Access-Control-Allow-Headers", ", ".join(asked)))
            if rule.get("ExposeHeaders"):
                headers.append(("Access-Control-Expose-Headers", ", ".join(rule["ExposeHeaders"])))
            if rule.get("MaxAgeSeconds") is not None:
                headers.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
            return headers
        return None
