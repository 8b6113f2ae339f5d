"""Log file integrity validation: the cloud's signing keys, one RSA key pair per region as on AWS
(ListPublicKeys), and digest files signed as AWS documents them.

A digest names the log files a trail delivered in a region since its previous digest, with the
SHA-256 of each (uncompressed), and chains to the previous digest by its hash and signature. Its
signature (SHA256withRSA, hex, in the object's ``x-amz-meta-signature``) covers the string
"<digestEndTime>\\n<bucket>/<key>\\n<hex SHA-256 of the uncompressed digest>\\n<previous
signature, or "null">". The public key's fingerprint is the hex MD5 of its DER (PKCS #1) form.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.store import Store
from regionbox.services.cloudtrail import errors


@dataclass(frozen=True)
class SigningKey:
    private: rsa.RSAPrivateKey
    public_der: bytes  # PKCS #1 DER, what ListPublicKeys returns
    fingerprint: str
    created: float

    def sign(self, text: bytes) -> str:
        return self.private.sign(text, padding.PKCS1v15(), hashes.SHA256()).hex()


def _generate() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class DigestKeys:
    """One key pair per region, made on first need and kept in the state directory."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._keys: dict[str, SigningKey] = {}

    def _loaded(self, region: str) -> SigningKey | None:
        if region in self._keys:
            return self._keys[region]
        raw = self.store.get_meta(f"cloudtrail.digest-key.{region}")
        if raw is None:
            return None
        saved = orjson.loads(raw)
        private = serialization.load_pem_private_key(saved["pem"].encode(), password=None)
        return self._remember(region, private, saved["created"])

    def _remember(self, region: str, private, created: float) -> SigningKey:
        der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        key = SigningKey(private, der, hashlib.md5(der).hexdigest(), created)  # noqa: S324 - AWS's fingerprint
        self._keys[region] = key
        return key

    async def key(self, region: str) -> SigningKey:
        found = self._loaded(region)
        if found is not None:
            return found
        private = await asyncio.to_thread(_generate)  # a 2048-bit key takes a while: off the loop
        found = self._loaded(region)  # made meanwhile by another caller
        if found is not None:
            return found
        created = clock.epoch()
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        self.store.set_meta(f"cloudtrail.digest-key.{region}", orjson.dumps({"pem": pem, "created": created}))
        return self._remember(region, private, created)

    def forget(self) -> None:
        self._keys.clear()

    async def list_public_keys(self, ctx: RequestContext, params: dict) -> dict:
        """ListPublicKeys: the region's key, valid from when it was made (keys are not rotated)."""
        start, end = params.get("StartTime"), params.get("EndTime")
        start_epoch = start.timestamp() if start is not None else None
        end_epoch = end.timestamp() if end is not None else clock.epoch()
        if start_epoch is not None and start_epoch > end_epoch:
            raise errors.error("InvalidTimeRangeException", "Start time must be earlier than end time.")
        if params.get("NextToken"):
            raise errors.error("InvalidTokenException", "Reset the token and try again.")
        key = await self.key(ctx.region)
        if end_epoch < key.created - 1:
            return {"PublicKeyList": []}
        return {"PublicKeyList": [{"Value": key.public_der, "ValidityStartTime": clock.from_epoch(key.created),
                                   "Fingerprint": key.fingerprint}]}


def digest_document(*, account: str, start: float, end: float, bucket: str, key: str, fingerprint: str,
                    files: list[dict], previous: dict | None) -> bytes:
    """The digest's JSON (uncompressed), as AWS lays it out."""
    newest = max((f["newestEventTime"] for f in files), default=None)
    oldest = min((f["oldestEventTime"] for f in files), default=None)
    document = {
        "awsAccountId": account,
        "digestStartTime": _second(start),
        "digestEndTime": _second(end),
        "digestS3Bucket": bucket,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": fingerprint,
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": newest,
        "oldestEventTime": oldest,
        "previousDigestS3Bucket": previous["bucket"] if previous else None,
        "previousDigestS3Object": previous["key"] if previous else None,
        "previousDigestHashValue": previous["hash"] if previous else None,
        "previousDigestHashAlgorithm": "SHA-256" if previous else None,
        "previousDigestSignature": previous["signature"] if previous else None,
        "logFiles": [{"s3Bucket": f["s3Bucket"], "s3Object": f["s3Object"], "hashValue": f["hashValue"],
                      "hashAlgorithm": "SHA-256", "newestEventTime": f["newestEventTime"],
                      "oldestEventTime": f["oldestEventTime"]} for f in files],
    }
    return orjson.dumps(document)


def string_to_sign(end: float, bucket: str, key: str, document: bytes, previous_signature: str | None) -> bytes:
    return (f"{_second(end)}\n{bucket}/{key}\n{hashlib.sha256(document).hexdigest()}\n"
            f"{previous_signature or 'null'}").encode()


def _second(when: float) -> str:
    return clock.iso(when).split(".")[0] + "Z"
