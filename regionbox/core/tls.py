"""The cloud's local certificate authority, for every TLS endpoint a service serves.

ElastiCache nodes with in-transit encryption, FTPS servers, HTTPS listeners: one CA per state
directory (``<state>/tls/ca.pem``), printed by ``regionbox ca-cert``, so clients trust it once
and keep trusting it across restarts. Each server gets a certificate naming every address a
client may use to reach it (a cache node: its own address and its group's endpoints).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def ca_directory(state_dir: Path | str) -> Path:
    """Where the CA of a state directory lives: the cloud and `regionbox ca-cert` agree on it.

    State directories from before the CA was shared kept it under elasticache/; it moves, so
    clients that trust it keep trusting it."""
    directory = Path(state_dir) / "tls"
    earlier = Path(state_dir) / "elasticache" / "tls"
    if (earlier / "ca.pem").exists() and not directory.exists():
        shutil.move(str(earlier), str(directory))
    return directory


def _write_key(path: Path, key) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


class LocalCA:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.cert_path = self.root / "ca.pem"
        self.key_path = self.root / "ca.key"

    def ensure(self) -> Path:
        if not self.cert_path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "regionbox local CA")])
            now = datetime.datetime.now(datetime.timezone.utc)
            cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                    .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                    .not_valid_after(now + datetime.timedelta(days=3650))
                    .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                    .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                                 key_encipherment=False, data_encipherment=False, key_agreement=False,
                                                 encipher_only=False, decipher_only=False), critical=True)
                    .sign(key, hashes.SHA256()))
            _write_key(self.key_path, key)
            # The certificate appears whole or not at all: `regionbox ca-cert` may read it
            # from another process at any moment, and its presence says the key is there too.
            partial = self.cert_path.with_suffix(f".pem.{os.getpid()}")
            partial.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            os.replace(partial, self.cert_path)
        return self.cert_path

    def issue(self, directory: Path, addresses: list[str]) -> tuple[Path, Path]:
        """A server certificate for ``addresses`` (IPs or names), written to ``directory``.

        A node keeps its certificate across restarts and failovers: its addresses never change."""
        cert_path, key_path = directory / "node.crt", directory / "node.key"
        if cert_path.exists() and key_path.exists():
            return cert_path, key_path
        self.ensure()
        ca_key = serialization.load_pem_private_key(self.key_path.read_bytes(), None)
        ca_cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = []
        for address in dict.fromkeys(a for a in addresses if a):
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(address)))
            except ValueError:
                names.append(x509.DNSName(address))
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, addresses[0])]))
                .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=825))
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .sign(ca_key, hashes.SHA256()))
        directory.mkdir(parents=True, exist_ok=True)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key_path, key)
        return cert_path, key_path
