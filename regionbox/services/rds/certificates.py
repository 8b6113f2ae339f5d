"""DescribeCertificates and ModifyCertificates: the certificate authority RDS's servers are
signed by. Here that is the cloud's local CA (``regionbox ca-cert``, ``core/tls.py``), listed under
AWS's default identifier ``rds-ca-rsa2048-g1`` (the identifier instances report as
CACertificateIdentifier and tools ask for); its thumbprint and validity are the local CA's own.
There is one CA, so it is also what an account's override for new launches (ModifyCertificates)
names."""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.rds import validation as check
from regionbox.services.rds.models import RdsState

IDENTIFIER = "rds-ca-rsa2048-g1"


class Certificates:
    def __init__(self, state: RdsState, ca, paginator: Paginator) -> None:
        self.state = state
        self.ca = ca  # the cloud's LocalCA
        self.paginator = paginator

    def _override(self, ctx) -> str | None:
        found = self.state.certificate_override.get(ctx.scope, "override")
        return found["identifier"] if found else None

    def describe(self, ctx) -> dict:
        self.ca.ensure()
        cert = x509.load_pem_x509_certificate(self.ca.cert_path.read_bytes())
        override = self._override(ctx)
        described = {"CertificateIdentifier": IDENTIFIER, "CertificateType": "CA",
                     "Thumbprint": hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
                     "ValidFrom": cert.not_valid_before_utc, "ValidTill": cert.not_valid_after_utc,
                     "CertificateArn": f"arn:aws:rds:{ctx.region}::cert:{IDENTIFIER}", "CustomerOverride": override == IDENTIFIER}
        if override == IDENTIFIER:
            described["CustomerOverrideValidTill"] = cert.not_valid_after_utc
        return described

    def _check(self, identifier: str) -> None:
        if identifier != IDENTIFIER:
            raise ServiceError("CertificateNotFound", f"Certificate {identifier} not found.", 404)

    def describe_certificates(self, ctx, params: dict) -> dict:
        if params.get("CertificateIdentifier") is not None:
            self._check(params["CertificateIdentifier"])
        result = check.paged(self.paginator, "Certificates", [self.describe(ctx)], params)
        return {"DefaultCertificateForNewLaunches": IDENTIFIER, **result}

    def modify_certificates(self, ctx, params: dict) -> dict:
        identifier, remove = params.get("CertificateIdentifier"), params.get("RemoveCustomerOverride")
        if identifier is not None and remove:
            raise check.combination("You can't specify both CertificateIdentifier and RemoveCustomerOverride.")
        if identifier is None and not remove:
            raise check.combination("You must specify either CertificateIdentifier or RemoveCustomerOverride.")
        if identifier is not None:
            self._check(identifier)
            self.state.certificate_override.put(ctx.scope, "override", {"identifier": identifier})
        else:
            self.state.certificate_override.delete(ctx.scope, "override")
        return {"Certificate": self.describe(ctx)}
