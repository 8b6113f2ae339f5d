"""Certificates for AS2 profiles: ImportCertificate (an X.509 certificate in PEM, its chain, and
for a local profile's signing or decryption its private key), DescribeCertificate,
ListCertificates, UpdateCertificate (active dates, description), DeleteCertificate.

The certificate is really read (cryptography): NotBeforeDate, NotAfterDate and Serial come from
it; a private key must be the certificate's. ActiveDate and InactiveDate default to the
certificate's validity; the status follows them: PENDING_ROTATION before ActiveDate, ACTIVE
between, INACTIVE after InactiveDate.
"""

from __future__ import annotations

import secrets

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.transfer.models import Certificate
from regionbox.services.transfer.state import TransferState, bad_request

RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [1, 1000]"), default=1000, maximum=1000)


def _parse(body: str, chain: str, private_key: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        certificate = x509.load_pem_x509_certificate(body.strip().encode())
    except ValueError:
        raise bad_request("Invalid certificate: not a PEM-encoded X.509 certificate") from None
    if chain:
        try:
            x509.load_pem_x509_certificates(chain.strip().encode())
        except ValueError:
            raise bad_request("Invalid certificate chain: not PEM-encoded X.509 certificates") from None
    if private_key:
        try:
            key = serialization.load_pem_private_key(private_key.strip().encode(), password=None)
        except (ValueError, TypeError):
            raise bad_request("Invalid private key: not an unencrypted PEM private key") from None
        mine = serialization.PublicFormat.SubjectPublicKeyInfo
        if key.public_key().public_bytes(serialization.Encoding.DER, mine) != \
                certificate.public_key().public_bytes(serialization.Encoding.DER, mine):
            raise bad_request("The private key does not match the certificate")
    return certificate


def status(certificate: Certificate, now: float | None = None) -> str:
    now = clock.epoch() if now is None else now
    if now < certificate.active:
        return "PENDING_ROTATION"
    return "INACTIVE" if now >= certificate.inactive else "ACTIVE"


class Certificates:
    def __init__(self, state: TransferState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def import_certificate(self, ctx: RequestContext, params: dict) -> dict:
        chain, private_key = params.get("CertificateChain") or "", params.get("PrivateKey") or ""
        parsed = _parse(params["Certificate"], chain, private_key)
        not_before, not_after = parsed.not_valid_before_utc.timestamp(), parsed.not_valid_after_utc.timestamp()
        active = clock.to_epoch(params["ActiveDate"]) if params.get("ActiveDate") else not_before
        inactive = clock.to_epoch(params["InactiveDate"]) if params.get("InactiveDate") else not_after
        if active >= inactive:
            raise bad_request("ActiveDate must be before InactiveDate")
        certificate_id = f"cert-{secrets.token_hex(9)[:17]}"
        certificate = Certificate(
            certificate_id=certificate_id, arn=ctx.arn("transfer", f"certificate/{certificate_id}"), usage=params["Usage"],
            body=params["Certificate"].strip(), serial=format(parsed.serial_number, "x"), not_before=not_before,
            not_after=not_after, active=active, inactive=inactive, chain=chain.strip(), private_key=private_key.strip(),
            description=params.get("Description") or "", tags=list(params.get("Tags") or []))
        self.state.certificates.put(ctx.scope, certificate_id, certificate)
        ctx.touched("AWS::Transfer::Certificate", certificate_id)
        return {"CertificateId": certificate_id}

    @staticmethod
    def _type(certificate: Certificate) -> str:
        return "CERTIFICATE_WITH_PRIVATE_KEY" if certificate.private_key else "CERTIFICATE"

    def describe_certificate(self, ctx: RequestContext, params: dict) -> dict:
        c = self.state.certificate(ctx.scope, params["CertificateId"])
        shown = {"Arn": c.arn, "CertificateId": c.certificate_id, "Usage": c.usage, "Status": status(c),
                 "Certificate": c.body, "ActiveDate": c.active, "InactiveDate": c.inactive, "Serial": c.serial,
                 "NotBeforeDate": c.not_before, "NotAfterDate": c.not_after, "Type": self._type(c), "Tags": c.tags}
        if c.chain:
            shown["CertificateChain"] = c.chain
        if c.description:
            shown["Description"] = c.description
        return {"Certificate": shown}

    def list_certificates(self, ctx: RequestContext, params: dict) -> dict:
        page, token = self.paginator.paginate(self.state.certificates.values(ctx.scope), params, RULE)
        listed = []
        for c in page:
            item = {"Arn": c.arn, "CertificateId": c.certificate_id, "Usage": c.usage, "Status": status(c),
                    "ActiveDate": c.active, "InactiveDate": c.inactive, "Type": self._type(c)}
            if c.description:
                item["Description"] = c.description
            listed.append(item)
        return {"Certificates": listed, **({"NextToken": token} if token else {})}

    def update_certificate(self, ctx: RequestContext, params: dict) -> dict:
        certificate = self.state.certificate(ctx.scope, params["CertificateId"])
        if params.get("ActiveDate"):
            certificate.active = clock.to_epoch(params["ActiveDate"])
        if params.get("InactiveDate"):
            certificate.inactive = clock.to_epoch(params["InactiveDate"])
        if certificate.active >= certificate.inactive:
            raise bad_request("ActiveDate must be before InactiveDate")
        if "Description" in params:
            certificate.description = params["Description"]
        self.state.certificates.put(ctx.scope, certificate.certificate_id, certificate)
        return {"CertificateId": certificate.certificate_id}

    def delete_certificate(self, ctx: RequestContext, params: dict) -> dict:
        certificate = self.state.certificate(ctx.scope, params["CertificateId"])
        users = [p.profile_id for p in self.state.profiles.values(ctx.scope) if certificate.certificate_id in p.certificate_ids]
        if users:
            raise bad_request(f"Certificate {certificate.certificate_id} is used by profile {users[0]}: remove it from "
                              "the profile first")
        self.state.certificates.delete(ctx.scope, certificate.certificate_id)
        ctx.touched("AWS::Transfer::Certificate", certificate.certificate_id)
        return {}
