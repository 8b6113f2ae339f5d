"""Which service a request is for.

AWS tells services apart by host name; with one endpoint for all of them we read what the SDKs
send anyway: the SigV4 signing name (and for JSON services the X-Amz-Target prefix, for query
services the Version), falling back to the Action or target alone for unsigned calls. The facts
come from the models' metadata (``routing_facts``), without loading the models themselves.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from regionbox.core.errors import ServiceError
from regionbox.protocol.cbor import rpc_v2_service
from regionbox.protocol.http import HttpRequest
from regionbox.protocol.specs import routing_facts


# Signing names a service's endpoint rules give some of its operations, which its model's metadata
# does not list: S3's directory-bucket (S3 Express One Zone) operations sign as "s3express".
ENDPOINT_SIGNING_NAMES = {"s3": ("s3express",)}


class UnservedService(ServiceError):
    """A request signed for a service regionbox does not serve (yet)."""

    def __init__(self, signing_name: str) -> None:
        super().__init__("NotImplemented", f"regionbox does not serve the service '{signing_name}'.", status=501,
                         sender_fault=False)
        self.signing_name = signing_name


class ServiceIndex:
    def __init__(self, services: list[str], unsigned_fallback: str | None = None):
        self.unsigned_fallback = unsigned_fallback  # the service of unsigned requests nothing else claims
        self.by_signing_name: dict[str, list[str]] = {}
        self.by_target_prefix: dict[str, str] = {}
        self.by_action: dict[str, list[str]] = {}
        self.api_version: dict[str, str] = {}
        for name, facts in routing_facts(services).items():
            for key in (*facts.signing_names, *ENDPOINT_SIGNING_NAMES.get(name, ())):
                self.by_signing_name.setdefault(key, []).append(name)
            if facts.target_prefix:
                self.by_target_prefix[facts.target_prefix] = name
            self.api_version[name] = facts.api_version
            for operation in facts.query_actions:
                self.by_action.setdefault(operation, []).append(name)

    def route(self, request: HttpRequest, signing_name: str | None) -> str:
        target = request.headers.get("x-amz-target")
        if target:
            service = self.by_target_prefix.get(target.rsplit(".", 1)[0])
            if service:
                return service
        # smithy-rpc-v2 (CloudWatch): POST /service/{ServiceName}/operation/{Operation}; the name
        # tells apart services that share a signing name (EventBridge and EventBridgeV2).
        service = self.by_target_prefix.get(rpc_v2_service(request.path) or "")
        if service:
            return service
        candidates = self.by_signing_name.get(signing_name or "", [])
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1 or not signing_name:
            service = self._by_query_action(request, candidates)
            if service:
                return service
            if candidates:
                return candidates[0]
        if signing_name:
            raise UnservedService(signing_name)
        if self.unsigned_fallback is not None:
            return self.unsigned_fallback
        raise ServiceError("MissingAuthenticationToken", "Request is missing Authentication Token", status=403)

    def _by_query_action(self, request: HttpRequest, candidates: list[str]) -> str | None:
        fields = request.query
        if request.body and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            fields = fields + parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        values = dict(fields)
        action, version = values.get("Action"), values.get("Version")
        if not action:
            return None
        matches = [s for s in self.by_action.get(action, []) if not candidates or s in candidates]
        if version:
            matches = [s for s in matches if self.api_version[s] == version] or matches
        return matches[0] if matches else None
