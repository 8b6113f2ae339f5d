"""Server certificates (UploadServerCertificate ... DeleteServerCertificate): real PEMs, parsed
and checked against their private key (certificates.py). The private key is checked, never kept:
IAM never returns it."""

from __future__ import annotations

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam import certificates
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import ServerCertificate
from regionbox.services.iam.state import IamState
from regionbox.services.iam.tags import checked_tags

SERVER_CERTIFICATES_PER_ACCOUNT = 20
CERTIFICATE_RESOURCE = "AWS::IAM::ServerCertificate"


def _metadata(cert: ServerCertificate) -> dict:
    return {"Path": cert.path, "ServerCertificateName": cert.name, "ServerCertificateId": cert.certificate_id,
            "Arn": cert.arn, "UploadDate": cert.upload_date, "Expiration": cert.expiration}


class ServerCertificates:
    def __init__(self, state: IamState, listing: Listing) -> None:
        self.certificates = state.server_certificates
        self.listing = listing

    def _named(self, ctx: RequestContext, name: str) -> ServerCertificate:
        found = self.certificates.get(ctx.global_scope, name.lower())
        if found is None:
            raise ServiceError("NoSuchEntity", f"The Server Certificate with name {name} cannot be found.", status=404)
        return found

    def find(self, ctx: RequestContext, params: dict) -> ServerCertificate:
        return self._named(ctx, params["ServerCertificateName"])

    def save(self, ctx: RequestContext, cert: ServerCertificate) -> None:
        self.certificates.put(ctx.global_scope, cert.name.lower(), cert)
        ctx.touched(CERTIFICATE_RESOURCE, cert.name)

    def upload_server_certificate(self, ctx: RequestContext, params: dict) -> dict:
        name, path = params["ServerCertificateName"], params.get("Path") or "/"
        if (ctx.global_scope, name.lower()) in self.certificates:
            raise ServiceError("EntityAlreadyExists", f"The Server Certificate with name {name} already exists.", status=409)
        if len(self.certificates.values(ctx.global_scope)) >= SERVER_CERTIFICATES_PER_ACCOUNT:
            raise ServiceError("LimitExceeded", "Cannot exceed quota for ServerCertificatesPerAccount: "
                               f"{SERVER_CERTIFICATES_PER_ACCOUNT}", status=409)
        parsed = certificates.certificate(params["CertificateBody"])
        certificates.check_key_pair(parsed, params["PrivateKey"])
        if params.get("CertificateChain"):
            certificates.chain(params["CertificateChain"])
        cert = ServerCertificate(name=name, certificate_id=ids.upper_id("ASCA", 17),
                                 arn=ctx.arn("iam", f"server-certificate{path}{name}", regional=False), path=path,
                                 body=params["CertificateBody"].strip(), chain=(params.get("CertificateChain") or "").strip() or None,
                                 upload_date=clock.epoch(), expiration=parsed.not_valid_after_utc.timestamp(),
                                 tags=checked_tags(params.get("Tags") or [], (), False))
        self.save(ctx, cert)
        result: dict = {"ServerCertificateMetadata": _metadata(cert)}
        if cert.tags:
            result["Tags"] = cert.tags
        return result

    def get_server_certificate(self, ctx: RequestContext, params: dict) -> dict:
        cert = self.find(ctx, params)
        shape: dict = {"ServerCertificateMetadata": _metadata(cert), "CertificateBody": cert.body}
        if cert.chain:
            shape["CertificateChain"] = cert.chain
        if cert.tags:
            shape["Tags"] = cert.tags
        return {"ServerCertificate": shape}

    def list_server_certificates(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("PathPrefix") or "/"
        found = sorted((c for c in self.certificates.values(ctx.global_scope) if c.path.startswith(prefix)),
                       key=lambda c: c.name.lower())
        return self.listing.page("ServerCertificateMetadataList", found, params, _metadata)

    def update_server_certificate(self, ctx: RequestContext, params: dict) -> dict:
        cert = self.find(ctx, params)
        new_name = params.get("NewServerCertificateName") or cert.name
        if new_name.lower() != cert.name.lower() and (ctx.global_scope, new_name.lower()) in self.certificates:
            raise ServiceError("EntityAlreadyExists", f"The Server Certificate with name {new_name} already exists.",
                               status=409)
        self.certificates.delete(ctx.global_scope, cert.name.lower())
        cert.name, cert.path = new_name, params.get("NewPath") or cert.path
        cert.arn = ctx.arn("iam", f"server-certificate{cert.path}{cert.name}", regional=False)
        self.save(ctx, cert)
        return {}

    def delete_server_certificate(self, ctx: RequestContext, params: dict) -> dict:
        cert = self.find(ctx, params)
        self.certificates.delete(ctx.global_scope, cert.name.lower())
        ctx.touched(CERTIFICATE_RESOURCE, cert.name)
        return {}
