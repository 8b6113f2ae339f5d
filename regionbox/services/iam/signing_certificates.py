"""A user's X.509 signing certificates (UploadSigningCertificate ... DeleteSigningCertificate):
real PEMs, parsed with ``cryptography``; at most two per user."""

from __future__ import annotations

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam import certificates
from regionbox.services.iam.entities import Entities
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import User
from regionbox.services.iam.users import named_or_calling_user

CERTIFICATES_PER_USER = 2


class SigningCertificates:
    def __init__(self, users: Entities[User], listing: Listing) -> None:
        self.users = users
        self.listing = listing

    @staticmethod
    def _certificate(user: User, certificate_id: str) -> dict:
        for found in user.signing_certificates:
            if found["CertificateId"] == certificate_id:
                return found
        raise ServiceError("NoSuchEntity", f"The Certificate with id {certificate_id} cannot be found.", status=404)

    def upload_signing_certificate(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        body = params["CertificateBody"].strip()
        certificates.certificate(body)
        if any(c["CertificateBody"] == body for u in self.users.all(ctx) for c in u.signing_certificates):
            raise ServiceError("DuplicateCertificate", "The certificate already exists.", status=409)
        if len(user.signing_certificates) >= CERTIFICATES_PER_USER:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for CertificatesPerUser: {CERTIFICATES_PER_USER}",
                               status=409)
        entry = {"CertificateId": ids.upper_id("", 32), "CertificateBody": body, "Status": "Active",
                 "UploadDate": clock.epoch()}
        user.signing_certificates.append(entry)
        self.users.save(ctx, user)
        return {"Certificate": {"UserName": user.name, **entry}}

    def list_signing_certificates(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        return self.listing.page("Certificates", [{"UserName": user.name, **c} for c in user.signing_certificates], params)

    def update_signing_certificate(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        self._certificate(user, params["CertificateId"])["Status"] = params["Status"]
        self.users.save(ctx, user)
        return {}

    def delete_signing_certificate(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        user.signing_certificates.remove(self._certificate(user, params["CertificateId"]))
        self.users.save(ctx, user)
        return {}
