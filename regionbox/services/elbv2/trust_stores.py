"""Trust stores for mutual TLS: Create/Describe/Modify/DeleteTrustStore, their revocations
(Add/Remove/DescribeTrustStoreRevocations), DescribeTrustStoreAssociations,
GetTrustStoreCaCertificatesBundle and GetTrustStoreRevocationContent.

As on AWS, a trust store's CA bundle and its revocation lists (CRLs) are read from S3 (regionbox's
own, through ``cloud.services.api("s3")``) when given, and kept: an HTTPS listener whose
MutualAuthentication mode is ``verify`` requires a client certificate that chains to the bundle
and is not revoked (nodes.py builds its TLS context). A change to a trust store reopens the
listeners that use it. The Get* operations answer a presigned URL (ten minutes, as AWS's) of the
S3 objects the bundle and the lists came from.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from regionbox.core import ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.elbv2.load_balancers import page_of
from regionbox.services.elbv2.models import Elbv2State, TrustStore, chosen

if TYPE_CHECKING:
    from regionbox.services.elbv2.nodes import Nodes

MAX_TRUST_STORES = 20  # AWS's default quota per region
MAX_CA_CERTIFICATES = 100  # per bundle
LINK_SECONDS = 600


async def _read(s3, account: str, region: str, bucket: str, key: str, version: str | None,
                not_found: ServiceError) -> bytes:
    try:
        _, body = await s3.get_object(account, bucket, key, region=region, version_id=version)
        chunks = [chunk async for chunk in body]
    except ServiceError:  # no such bucket, key or version (or a malformed version id): not found, to ELBv2
        raise not_found from None
    return b"".join(chunks)


def parse_bundle(data: bytes) -> list[x509.Certificate]:
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        certificates = []
    if not certificates or len(certificates) > MAX_CA_CERTIFICATES:
        raise ServiceError("InvalidCaCertificatesBundle", "The provided ca certificates bundle is invalid")
    return certificates


def parse_crl(data: bytes) -> x509.CertificateRevocationList:
    for load in (x509.load_pem_x509_crl, x509.load_der_x509_crl):
        try:
            return load(data)
        except ValueError:
            continue
    raise ServiceError("InvalidRevocationContent", "The provided revocation file is not a valid CRL")


def describe(store: TrustStore) -> dict[str, Any]:
    return {"Name": store.name, "TrustStoreArn": store.arn, "Status": store.status,
            "NumberOfCaCertificates": store.certificates,
            "TotalRevokedEntries": sum(r["NumberOfRevokedEntries"] for r in store.revocations.values())}


def _revocation_out(store: TrustStore, revocation: dict) -> dict[str, Any]:
    return {"TrustStoreArn": store.arn, "RevocationId": int(revocation["RevocationId"]),
            "RevocationType": revocation["RevocationType"], "NumberOfRevokedEntries": revocation["NumberOfRevokedEntries"]}


class TrustStores:
    def __init__(self, state: Elbv2State, nodes: "Nodes", s3: Callable[[], Any], paginator: Paginator,
                 endpoint: Callable[[], str]) -> None:
        self.state = state
        self.nodes = nodes
        self.s3 = s3  # () -> S3's api
        self.paginator = paginator
        self.endpoint = endpoint  # the cloud's URL, for presigned links

    async def _bundle(self, ctx: RequestContext, params: dict) -> tuple[str, int, dict[str, str]]:
        source = {"S3Bucket": params["CaCertificatesBundleS3Bucket"], "S3Key": params["CaCertificatesBundleS3Key"]}
        if params.get("CaCertificatesBundleS3ObjectVersion"):
            source["S3ObjectVersion"] = params["CaCertificatesBundleS3ObjectVersion"]
        data = await _read(self.s3(), ctx.account_id, ctx.region, source["S3Bucket"], source["S3Key"],
                           source.get("S3ObjectVersion"),
                           ServiceError("CaCertificatesBundleNotFound", "The specified ca certificates bundle does not exist"))
        certificates = parse_bundle(data)
        pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates)
        return pem, len(certificates), source

    async def create_trust_store(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        if len(name) > 32 or not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", name):
            raise invalid(f"Trust store name '{name}' can only contain alphanumeric characters or hyphens, "
                          "and cannot begin or end with a hyphen; at most 32 characters")
        existing = self.state.trust_stores.values(ctx.scope)
        if any(store.name == name for store in existing):
            raise ServiceError("DuplicateTrustStoreName", f"A trust store with the name '{name}' already exists")
        if len(existing) >= MAX_TRUST_STORES:
            raise ServiceError("TooManyTrustStores", f"You've reached the limit on the number of trust stores "
                               f"('{MAX_TRUST_STORES}')")
        pem, count, source = await self._bundle(ctx, params)
        store = TrustStore(arn=ctx.arn("elasticloadbalancing", f"truststore/{name}/{ids.hex_id(length=16)}"), name=name,
                           bundle=pem, bundle_source=source, certificates=count,
                           tags={tag["Key"]: tag.get("Value", "") for tag in params.get("Tags") or []})
        self.state.trust_stores.put(ctx.scope, store.arn, store)
        return {"TrustStores": [describe(store)]}

    def describe_trust_stores(self, ctx: RequestContext, params: dict) -> dict:
        arns, names = params.get("TrustStoreArns"), params.get("Names")
        everything = sorted(self.state.trust_stores.values(ctx.scope), key=lambda store: store.name)
        found = chosen(everything, arns, names, lambda arn: self.state.trust_store(ctx.scope, arn), "TrustStoreNotFound",
                       "Trust stores")
        return page_of(self.paginator, found, params, "TrustStores", describe, [arns, names])

    async def modify_trust_store(self, ctx: RequestContext, params: dict) -> dict:
        store = self.state.trust_store(ctx.scope, params["TrustStoreArn"])
        store.bundle, store.certificates, store.bundle_source = await self._bundle(ctx, params)
        self.state.trust_stores.put(ctx.scope, store.arn, store)
        await self.nodes.reload_trust_store(ctx.scope, store.arn)
        return {"TrustStores": [describe(store)]}

    def delete_trust_store(self, ctx: RequestContext, params: dict) -> dict:
        store = self.state.trust_store(ctx.scope, params["TrustStoreArn"])
        if self._users(ctx.scope, store.arn):
            raise ServiceError("TrustStoreInUse", f"Trust store '{store.arn}' is in use by one or more listeners")
        self.state.trust_stores.delete(ctx.scope, store.arn)
        return {}

    def _users(self, scope: Scope, arn: str) -> list[str]:
        """The load balancers whose listeners verify clients with the trust store."""
        users: list[str] = []
        for listener in self.state.listeners.values(scope):
            if (listener.mutual_authentication or {}).get("TrustStoreArn") == arn and listener.lb_arn not in users:
                users.append(listener.lb_arn)
        return users

    def describe_trust_store_associations(self, ctx: RequestContext, params: dict) -> dict:
        store = self.state.trust_store(ctx.scope, params["TrustStoreArn"])
        return page_of(self.paginator, self._users(ctx.scope, store.arn), params, "TrustStoreAssociations",
                       lambda arn: {"ResourceArn": arn}, [store.arn])

    # -- revocations -----------------------------------------------------------------------------
    async def add_trust_store_revocations(self, ctx: RequestContext, params: dict) -> dict:
        store = self.state.trust_store(ctx.scope, params["TrustStoreArn"])
        added = []
        for content in params.get("RevocationContents") or []:
            if content.get("RevocationType", "CRL") != "CRL":
                raise ServiceError("InvalidRevocationContent", "Only CRL revocation content is supported")
            data = await _read(self.s3(), ctx.account_id, ctx.region, content["S3Bucket"], content["S3Key"],
                               content.get("S3ObjectVersion"),
                               ServiceError("RevocationContentNotFound", "The specified revocation file does not exist"))
            crl = parse_crl(data)
            revocation = {"RevocationId": str(store.next_revocation), "RevocationType": "CRL",
                          "NumberOfRevokedEntries": len(list(crl)), "S3Bucket": content["S3Bucket"],
                          "S3Key": content["S3Key"], "crl": crl.public_bytes(serialization.Encoding.PEM).decode()}
            if content.get("S3ObjectVersion"):
                revocation["S3ObjectVersion"] = content["S3ObjectVersion"]
            store.revocations[revocation["RevocationId"]] = revocation
            store.next_revocation += 1
            added.append(revocation)
        self.state.trust_stores.put(ctx.scope, store.arn, store)
        await self.nodes.reload_trust_store(ctx.scope, store.arn)
        return {"TrustStoreRevocations": [_revocation_out(store, r) for r in added]}

    def _revocation(self, store: TrustStore, revocation_id: int) -> dict:
        found = store.revocations.get(str(revocation_id))
        if found is None:
            raise ServiceError("RevocationIdNotFound", f"Revocation ID '{revocation_id}' not found")
        return found

    async def remove_trust_store_revocations(self, ctx: RequestContext, params: dict) -> dict:
        store = self.state.trust_store(ctx.scope, params["TrustStoreArn"])
        for revocation_id in params["RevocationIds"]:
            self._revocation(store, revocation_id)
        for revocation_id in params["RevocationIds"]:
            store.revocations.pop(str(revocation_id), None)
        self.state.trust_stores.put(ctx.scope, store.arn, store)
        await self.nodes.reload_trust_store(ctx.scope, store.arn)
        return {}

    def describe_trust_store_revocations(self, ctx: RequestContext, params: dict) -> dict:
        store = self.state.trust_store(ctx.scope, params["TrustStoreArn"])
        ids_asked = params.get("RevocationIds")
        found = ([self._revocation(store, r) for r in ids_asked] if ids_asked
                 else sorted(store.revocations.values(), key=lambda r: int(r["RevocationId"])))
        return page_of(self.paginator, found, params, "TrustStoreRevocations", lambda r: _revocation_out(store, r), [store.arn, ids_asked])

    def get_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        """A trust store's resource policy is the one RAM attaches when it is shared; regionbox's RAM
        does not share trust stores, so an account's own trust store has none."""
        if self.state.trust_stores.get(ctx.scope, params["ResourceArn"]) is None:
            raise ServiceError("ResourceNotFound", f"The specified resource does not exist: '{params['ResourceArn']}'")
        return {}

    # -- links to the S3 objects -------------------------------------------------------------------
    def _link(self, scope: Scope, source: dict) -> str:
        url = f"{self.endpoint()}/{source['S3Bucket']}/{source['S3Key']}"
        if source.get("S3ObjectVersion"):
            url += f"?versionId={source['S3ObjectVersion']}"
        request = AWSRequest("GET", url)
        S3SigV4QueryAuth(Credentials(scope[0], "regionbox"), "s3", scope[1], expires=LINK_SECONDS).add_auth(request)
        return request.url

    def get_trust_store_ca_certificates_bundle(self, ctx: RequestContext, params: dict) -> dict:
        store = self.state.trust_store(ctx.scope, params["TrustStoreArn"])
        return {"Location": self._link(ctx.scope, store.bundle_source)}

    def get_trust_store_revocation_content(self, ctx: RequestContext, params: dict) -> dict:
        store = self.state.trust_store(ctx.scope, params["TrustStoreArn"])
        return {"Location": self._link(ctx.scope, self._revocation(store, params["RevocationId"]))}
