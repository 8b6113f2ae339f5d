"""Parsing the certificates and keys IAM is given, with ``cryptography``, and IAM's errors for
what does not parse or does not match."""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from regionbox.core.errors import ServiceError

_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def malformed_certificate(message: str = "Unable to parse certificate. Please ensure the certificate is in PEM format.") -> ServiceError:
    return ServiceError("MalformedCertificate", message)


def certificate(pem: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.strip().encode())
    except ValueError:
        raise malformed_certificate() from None


def chain(pem: str) -> list[x509.Certificate]:
    found = _PEM_CERTIFICATE.findall(pem)
    if not found:
        raise malformed_certificate("Unable to parse certificate chain. Please ensure the chain is in PEM format.")
    return [certificate(block) for block in found]


def check_key_pair(cert: x509.Certificate, private_key_pem: str) -> None:
    try:
        key = serialization.load_pem_private_key(private_key_pem.strip().encode(), password=None)
    except (ValueError, TypeError):
        raise malformed_certificate("Unable to parse private key. Please ensure the key is in PEM format and not "
                                    "encrypted.") from None
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
        raise ServiceError("KeyPairMismatch", "Public key certificate and private key doesn't match.")


# -- SSH public keys (IAM takes RSA keys, OpenSSH or PEM, of 2048 bits and more) --------------
SSH_KEY_MIN_BITS = 2048


def _unrecognized() -> ServiceError:
    return ServiceError("UnrecognizedPublicKeyEncoding", "The public key encoding format is unsupported or unrecognized.")


def ssh_public_key(body: str) -> rsa.RSAPublicKey:
    text = body.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        elif text.startswith("ssh-"):
            key = serialization.load_ssh_public_key(text.encode())
        else:
            raise _unrecognized()
    except (ValueError, TypeError, base64.binascii.Error):
        raise ServiceError("InvalidPublicKey", "The public key is not valid.") from None
    except Exception as error:  # noqa: BLE001 - cryptography's UnsupportedAlgorithm and friends
        if isinstance(error, ServiceError):
            raise
        raise _unrecognized() from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise _unrecognized()
    if key.key_size < SSH_KEY_MIN_BITS:
        raise ServiceError("InvalidPublicKey", f"The public key must be at least {SSH_KEY_MIN_BITS} bits long.")
    return key


def ssh_encodings(key: rsa.RSAPublicKey) -> tuple[str, str]:
    """(OpenSSH line, PEM) of a key: GetSSHPublicKey returns either."""
    openssh = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return openssh, pem


def ssh_fingerprint(key: rsa.RSAPublicKey) -> str:
    """IAM's fingerprint: the MD5 of the key's SSH wire form, as colon-separated hex."""
    blob = base64.b64decode(ssh_encodings(key)[0].split()[1])
    digest = hashlib.md5(blob).hexdigest()  # noqa: S324 - the fingerprint IAM shows, not a security use
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
