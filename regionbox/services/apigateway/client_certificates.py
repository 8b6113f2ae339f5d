"""Client certificates: GenerateClientCertificate, GetClientCertificate(s), UpdateClientCertificate,
DeleteClientCertificate.

As on AWS, API Gateway generates the key pair and a self-signed certificate (RSA 2048, valid 365
days) and keeps the private key; a backend trusts the PEM it is shown. A stage that names one
(``clientCertificateId``) presents it to the HTTPS backends of its HTTP and HTTP_PROXY integrations
(``tls_files``; integrate.py and http_client.py).
"""

from __future__ import annotations

import datetime
import os
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.apigateway import patch
from regionbox.services.apigateway.models import ClientCertificate, new_id
from regionbox.services.apigateway.paging import listing
from regionbox.services.apigateway.state import ApiGatewayState
from regionbox.services.apigateway.tags import checked_tags

VALID_DAYS = 365


def generate(certificate_id: str) -> tuple[str, str, int, int]:
    """(certificate PEM, private key PEM, created, expires) of a new self-signed client certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amazon Web Services"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "API Gateway"),
                      x509.NameAttribute(NameOID.COMMON_NAME, certificate_id)])
    expires = now + datetime.timedelta(days=VALID_DAYS)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(expires)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return pem, private, int(now.timestamp()), int(expires.timestamp())


class ClientCertificates:
    def __init__(self, state: ApiGatewayState, paginator: Paginator, directory: Path) -> None:
        self.state = state
        self.paginator = paginator
        self.directory = directory  # the certificates' files, for ssl's load_cert_chain

    def generate_client_certificate(self, ctx: RequestContext, params: dict) -> dict:
        certificate_id = new_id(6)
        pem, private, created, expires = generate(certificate_id)
        body = {"clientCertificateId": certificate_id, "pemEncodedCertificate": pem, "createdDate": created,
                "expirationDate": expires}
        if params.get("description") is not None:
            body["description"] = params["description"]
        if params.get("tags"):
            body["tags"] = checked_tags(params["tags"])
        self.state.client_certificates.put(ctx.scope, certificate_id, ClientCertificate(certificate_id, body, private))
        return dict(body)

    def get_client_certificate(self, ctx: RequestContext, params: dict) -> dict:
        return dict(self.state.client_certificate(ctx.scope, params["clientCertificateId"]).body)

    def get_client_certificates(self, ctx: RequestContext, params: dict) -> dict:
        found = sorted(self.state.client_certificates.values(ctx.scope), key=lambda c: c.body["createdDate"])
        return listing(self.paginator, [dict(c.body) for c in found], params)

    def update_client_certificate(self, ctx: RequestContext, params: dict) -> dict:
        certificate = self.state.client_certificate(ctx.scope, params["clientCertificateId"])
        certificate.body = patch.apply(dict(certificate.body), params.get("patchOperations"), "ClientCertificate",
                                       ("description",))
        self.state.client_certificates.put(ctx.scope, certificate.id, certificate)
        return dict(certificate.body)

    def delete_client_certificate(self, ctx: RequestContext, params: dict) -> dict:
        certificate = self.state.client_certificate(ctx.scope, params["clientCertificateId"])
        self.state.client_certificates.delete(ctx.scope, certificate.id)
        return {}

    def tls_files(self, scope: Scope, certificate_id: str) -> tuple[Path, Path] | None:
        """The certificate and key files a stage presents to its backends (None: no such certificate)."""
        certificate = self.state.client_certificates.get(scope, certificate_id)
        if certificate is None or certificate.body.get("expirationDate", 0) < time.time():
            return None
        folder = self.directory / f"{scope[0]}-{scope[1]}-{certificate_id}"
        cert_path, key_path = folder / "client.crt", folder / "client.key"
        if not cert_path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            for path, text in ((key_path, certificate.private_key), (cert_path, certificate.body["pemEncodedCertificate"])):
                fd, partial = tempfile.mkstemp(dir=folder)
                with os.fdopen(fd, "w") as handle:
                    handle.write(text)
                os.replace(partial, path)
        return cert_path, key_path
