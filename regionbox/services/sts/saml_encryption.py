"""Encrypted SAML assertions (XML Encryption 1.0/1.1), as an IdP sends them to a SAML provider
that has private keys (IAM's AddPrivateKey): an ``EncryptedAssertion`` holds the assertion
encrypted with a random AES key (CBC or GCM), and that key encrypted to the provider's RSA key
(RSA-OAEP, or PKCS#1 v1.5 from older IdPs). Any of the provider's keys may be the one the IdP
used: during a rotation there are two.
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ElementTree

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

XENC = "{http://www.w3.org/2001/04/xmlenc#}"
XENC11 = "{http://www.w3.org/2009/xmlenc11#}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
_DIGESTS = {"http://www.w3.org/2000/09/xmldsig#sha1": hashes.SHA1, "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256,
            "http://www.w3.org/2001/04/xmlenc#sha512": hashes.SHA512}
_MGFS = {"http://www.w3.org/2009/xmlenc11#mgf1sha1": hashes.SHA1, "http://www.w3.org/2009/xmlenc11#mgf1sha256": hashes.SHA256,
         "http://www.w3.org/2009/xmlenc11#mgf1sha512": hashes.SHA512}


class DecryptionFailed(Exception):
    pass


def _cipher_value(element: ElementTree.Element) -> bytes:
    text = element.findtext(f"{XENC}CipherData/{XENC}CipherValue")
    if not text:
        raise DecryptionFailed("no CipherValue")
    try:
        return base64.b64decode("".join(text.split()))
    except binascii.Error:
        raise DecryptionFailed("CipherValue is not base64") from None


def _key_padding(method: ElementTree.Element | None) -> padding.AsymmetricPadding:
    algorithm = "" if method is None else method.get("Algorithm", "")
    if algorithm.endswith("#rsa-1_5"):
        return padding.PKCS1v15()
    digest_method = None if method is None else method.find(f"{DS}DigestMethod")
    digest = _DIGESTS.get("" if digest_method is None else digest_method.get("Algorithm", ""), hashes.SHA1)
    mgf_method = None if method is None else method.find(f"{XENC11}MGF")
    mgf = hashes.SHA1 if algorithm.endswith("#rsa-oaep-mgf1p") or mgf_method is None else _MGFS.get(mgf_method.get("Algorithm", ""), hashes.SHA1)
    return padding.OAEP(mgf=padding.MGF1(mgf()), algorithm=digest(), label=None)


def _content_key(encrypted_key: ElementTree.Element, pems: tuple[str, ...]) -> bytes:
    wrapped = _cipher_value(encrypted_key)
    scheme = _key_padding(encrypted_key.find(f"{XENC}EncryptionMethod"))
    for pem in pems:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        try:
            return key.decrypt(wrapped, scheme)  # type: ignore[union-attr] - IAM only keeps RSA keys
        except ValueError:
            continue
    raise DecryptionFailed("no private key of the provider decrypts the assertion's key")


def _decrypt_content(algorithm: str, key: bytes, data: bytes) -> bytes:
    if algorithm.endswith("-gcm"):
        try:
            return AESGCM(key).decrypt(data[:12], data[12:], None)
        except InvalidTag:
            raise DecryptionFailed("the assertion does not decrypt") from None
    if algorithm.endswith("-cbc") and len(data) > 16 and len(data) % 16 == 0:
        decryptor = Cipher(algorithms.AES(key), modes.CBC(data[:16])).decryptor()
        plain = decryptor.update(data[16:]) + decryptor.finalize()
        pad = plain[-1]  # XML Encryption's padding: only its last byte (the length) is defined
        if 0 < pad <= 16:
            return plain[:-pad]
    raise DecryptionFailed(f"unsupported content encryption {algorithm!r}")


def decrypt_assertion(encrypted: ElementTree.Element, pems: tuple[str, ...]) -> ElementTree.Element:
    """The Assertion inside an EncryptedAssertion, decrypted with one of the provider's keys."""
    data = encrypted.find(f"{XENC}EncryptedData")
    if data is None:
        raise DecryptionFailed("no EncryptedData")
    encrypted_key = data.find(f"{DS}KeyInfo/{XENC}EncryptedKey")
    if encrypted_key is None:  # IdPs may put it beside the data instead
        encrypted_key = encrypted.find(f"{XENC}EncryptedKey")
    if encrypted_key is None:
        raise DecryptionFailed("no EncryptedKey")
    method = data.find(f"{XENC}EncryptionMethod")
    algorithm = "" if method is None else method.get("Algorithm", "")
    try:
        plain = _decrypt_content(algorithm, _content_key(encrypted_key, pems), _cipher_value(data))
        return ElementTree.fromstring(plain)
    except (ValueError, ElementTree.ParseError):
        raise DecryptionFailed("the decrypted assertion is not XML") from None
