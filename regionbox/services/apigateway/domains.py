"""Custom domain names and their base path mappings: Create/Get/Update/DeleteDomainName,
GetDomainNames, Create/Get/Update/DeleteBasePathMapping, GetBasePathMappings.

A domain name routes for real: a call whose Host is the domain name (or its regional domain name,
``d-<id>.execute-api.<region>.amazonaws.com``, which the data plane's host patterns already take)
reaches the API stage its longest matching base path maps, with the base path taken off the path;
a mapping without a stage takes the stage from the next path segment, as on AWS. The domain name
claims its Host on the cloud's port (``cloud.services.claim_host``); the cross-site guard still
decides which Hosts it serves (``*.localhost``, ``*.amazonaws.com`` and REGIONBOX_ALLOWED_HOSTS).
regionbox serves no ACM: any certificate ARN is taken, and TLS, where a client wants it, is the
cloud's own. Private custom domain names (and their access associations) and mutual TLS are
refused: they need VPC endpoints and a TLS listener per domain.
"""

from __future__ import annotations

import re
from typing import Callable

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.models import DomainName, new_id
from regionbox.services.apigateway.paging import listing
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, conflict, not_found
from regionbox.services.apigateway.tags import api_arn, checked_tags

NONE = "(none)"  # the base path of a mapping without one, as AWS names it
# API Gateway's Route 53 hosted zones for regional domain names (AWS's table); CloudFront's for edge ones.
REGIONAL_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8", "us-east-2": "ZOJJZC49E0EPZ", "us-west-1": "Z2MOQ2XYR0SVUS",
    "us-west-2": "Z2OJLYMUO9EFXC", "eu-west-1": "ZLY8HYME6SFDD", "eu-west-2": "ZJ5UAJN8Y3Z2Q",
    "eu-central-1": "Z1U9ULNL0V5AJ3", "ap-northeast-1": "Z1YSHQZHG15GKL", "ap-northeast-2": "Z20JF4UZKIW1U8",
    "ap-southeast-1": "ZL327KTPIQFUL", "ap-southeast-2": "Z2RPCDW04V8134", "ap-south-1": "Z3VO1THU9YC4UR",
}
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"
_BASE_PATH = re.compile(r"^[A-Za-z0-9$\-_.+!*'()]+(/[A-Za-z0-9$\-_.+!*'()]+)*$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
DOMAIN_WRITABLE = ("certificateName", "certificateArn", "regionalCertificateName", "regionalCertificateArn",
                   "securityPolicy", "endpointConfiguration")


def mapped(domain: DomainName, path: str) -> tuple[str, str, str] | None:
    """(API id, stage, the rest of the path) that ``path`` reaches through the domain's mappings."""
    segments = [s for s in path.split("/") if s]
    best: tuple[int, dict] | None = None
    for base, mapping in domain.mappings.items():
        parts = [] if base == NONE else base.split("/")
        if segments[:len(parts)] == parts and (best is None or len(parts) > best[0]):
            best = (len(parts), mapping)
    if best is None:
        return None
    rest, mapping = segments[best[0]:], best[1]
    stage = mapping.get("stage")
    if not stage:
        if not rest:
            return None
        stage, rest = rest[0], rest[1:]
    trailing = "/" if path.endswith("/") and rest else ""
    return mapping["restApiId"], stage, "/" + "/".join(rest) + trailing


class Domains:
    def __init__(self, state: ApiGatewayState, paginator: Paginator, claim: Callable[[str, bool], None]) -> None:
        self.state = state
        self.paginator = paginator
        self.claim = claim  # (host, claimed) -> None: the cloud's port sends that Host to API Gateway

    def restore(self) -> None:
        for _, name, _ in self.state.domains.all():
            self.claim(name, True)

    # -- domain names ----------------------------------------------------------------------------
    def create_domain_name(self, ctx: RequestContext, params: dict) -> dict:
        name = params["domainName"].lower()
        if not _DOMAIN.match(name):
            raise bad_request(f"Invalid domain name identifier specified: {params['domainName']}")
        if self.state.domain_by_host(name) is not None:
            raise conflict("The domain name you provided already exists.")
        types = (params.get("endpointConfiguration") or {}).get("types") or ["EDGE"]
        if len(types) != 1:
            raise bad_request("Only one endpoint type may be specified.")
        if types[0] == "PRIVATE":
            raise bad_request("Private custom domain names need VPC endpoints, which regionbox does not serve.")
        if params.get("mutualTlsAuthentication"):
            raise bad_request("Mutual TLS on custom domain names is not served by regionbox.")
        if params.get("routingMode", "BASE_PATH_MAPPING_ONLY") != "BASE_PATH_MAPPING_ONLY":
            raise bad_request("Routing rules are not served by regionbox: use BASE_PATH_MAPPING_ONLY.")
        regional = types[0] == "REGIONAL"
        if regional and not (params.get("regionalCertificateArn") or params.get("regionalCertificateName")):
            raise bad_request("A regional certificate ARN or name is required for a REGIONAL domain name.")
        if not regional and not (params.get("certificateArn") or params.get("certificateName")):
            raise bad_request("A certificate ARN or name is required for an EDGE domain name.")
        body = {"domainName": name, "domainNameArn": api_arn(ctx.region, f"/domainnames/{name}"),
                "certificateUploadDate": int(clock.epoch()), "domainNameStatus": "AVAILABLE",
                "endpointConfiguration": {"types": types,
                                          "ipAddressType": (params.get("endpointConfiguration") or {}).get(
                                              "ipAddressType", "ipv4")},
                "securityPolicy": params.get("securityPolicy", "TLS_1_2"), "routingMode": "BASE_PATH_MAPPING_ONLY"}
        for member in ("certificateName", "certificateArn", "regionalCertificateName", "regionalCertificateArn"):
            if params.get(member):
                body[member] = params[member]
        if regional:
            body.update(regionalDomainName=f"d-{new_id(10)}.execute-api.{ctx.region}.amazonaws.com",
                        regionalHostedZoneId=REGIONAL_ZONES.get(ctx.region, REGIONAL_ZONES["us-east-1"]))
        else:
            body.update(distributionDomainName=f"d{new_id(13)}.cloudfront.net", distributionHostedZoneId=CLOUDFRONT_ZONE)
        if params.get("tags"):
            body["tags"] = checked_tags(params["tags"])
        self.state.domains.put(ctx.scope, name, DomainName(name, body))
        self.state.domains_changed()
        self.claim(name, True)
        return dict(body)

    def get_domain_name(self, ctx: RequestContext, params: dict) -> dict:
        return dict(self.state.domain(ctx.scope, params["domainName"].lower()).body)

    def get_domain_names(self, ctx: RequestContext, params: dict) -> dict:
        domains = sorted(self.state.domains.values(ctx.scope), key=lambda d: d.name)
        return listing(self.paginator, [dict(d.body) for d in domains], params)

    def update_domain_name(self, ctx: RequestContext, params: dict) -> dict:
        domain = self.state.domain(ctx.scope, params["domainName"].lower())
        body = patch.apply(dict(domain.body), params.get("patchOperations"), "DomainName", DOMAIN_WRITABLE)
        if body.get("endpointConfiguration", {}).get("types") != domain.body["endpointConfiguration"]["types"]:
            raise bad_request("The endpoint type of a domain name cannot be changed by regionbox.")
        domain.body = body
        self.state.domains.put(ctx.scope, domain.name, domain)
        return dict(body)

    def delete_domain_name(self, ctx: RequestContext, params: dict) -> dict:
        domain = self.state.domain(ctx.scope, params["domainName"].lower())
        self.state.domains.delete(ctx.scope, domain.name)
        self.state.domains_changed()
        self.claim(domain.name, False)
        return {}

    # -- base path mappings ----------------------------------------------------------------------
    def _target(self, scope: Scope, api_id: str, stage: str | None) -> None:
        if self.state.apis.get(scope, api_id) is None:
            raise bad_request("Invalid REST API identifier specified")
        if stage and self.state.stages.get(scope, f"{api_id}/{stage}") is None:
            raise bad_request("Invalid stage identifier specified")

    @staticmethod
    def _base_path(value: str | None) -> str:
        base = (value or "").strip("/") or NONE
        if base != NONE and not _BASE_PATH.match(base):
            raise bad_request("Base path contains invalid characters.")
        return base

    def create_base_path_mapping(self, ctx: RequestContext, params: dict) -> dict:
        domain = self.state.domain(ctx.scope, params["domainName"].lower())
        base = self._base_path(params.get("basePath"))
        self._target(ctx.scope, params["restApiId"], params.get("stage"))
        if base in domain.mappings:
            raise conflict("Base path already exists for this domain name")
        mapping = {"basePath": base, "restApiId": params["restApiId"]}
        if params.get("stage"):
            mapping["stage"] = params["stage"]
        domain.mappings[base] = mapping
        self.state.domains.put(ctx.scope, domain.name, domain)
        return dict(mapping)

    def _mapping(self, ctx: RequestContext, params: dict) -> tuple[DomainName, dict]:
        domain = self.state.domain(ctx.scope, params["domainName"].lower())
        found = domain.mappings.get(self._base_path(params.get("basePath")))
        if found is None:
            raise not_found("Invalid base path mapping identifier specified")
        return domain, found

    def get_base_path_mapping(self, ctx: RequestContext, params: dict) -> dict:
        return dict(self._mapping(ctx, params)[1])

    def get_base_path_mappings(self, ctx: RequestContext, params: dict) -> dict:
        domain = self.state.domain(ctx.scope, params["domainName"].lower())
        return listing(self.paginator, [dict(m) for _, m in sorted(domain.mappings.items())], params)

    def update_base_path_mapping(self, ctx: RequestContext, params: dict) -> dict:
        domain, mapping = self._mapping(ctx, params)
        changed = patch.apply(dict(mapping), params.get("patchOperations"), "BasePathMapping",
                              ("basePath", "restApiId", "stage"))
        changed["basePath"] = self._base_path(changed.get("basePath"))
        self._target(ctx.scope, changed.get("restApiId", ""), changed.get("stage"))
        if changed["basePath"] != mapping["basePath"] and changed["basePath"] in domain.mappings:
            raise conflict("Base path already exists for this domain name")
        del domain.mappings[mapping["basePath"]]
        domain.mappings[changed["basePath"]] = changed
        self.state.domains.put(ctx.scope, domain.name, domain)
        return dict(changed)

    def delete_base_path_mapping(self, ctx: RequestContext, params: dict) -> dict:
        domain, mapping = self._mapping(ctx, params)
        del domain.mappings[mapping["basePath"]]
        self.state.domains.put(ctx.scope, domain.name, domain)
        return {}
