"""GetWebIdentityToken: a JWT signed by STS that names the caller, for services outside AWS that
trust the account's issuer (IAM's EnableOutboundWebIdentityFederation gives the issuer URL).

Tokens are signed with ES384 or RS256 keys this cloud generates once and keeps in the store
(``public_keys()`` gives the JWKS a relying party would fetch from the issuer).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import TYPE_CHECKING, Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.credentials import CredentialRegistry
from regionbox.core.errors import ServiceError
from regionbox.core.store import Store

if TYPE_CHECKING:
    from regionbox.services.iam.api import IamApi

PAYLOAD_MAX = 5120  # bytes of claims a token may carry
CLAIMS_NAMESPACE = "https://sts.amazonaws.com/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _int_b64(number: int) -> str:
    return _b64(number.to_bytes((number.bit_length() + 7) // 8, "big"))


class SigningKeys:
    """One ES384 and one RS256 key per cloud, made on first use and kept in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._keys: dict[str, object] = {}

    def key(self, algorithm: str):
        if algorithm not in self._keys:
            name = f"sts.web-identity-key.{algorithm}"
            pem = self.store.get_meta(name)
            if pem is None:
                key = ec.generate_private_key(ec.SECP384R1()) if algorithm == "ES384" else \
                    rsa.generate_private_key(public_exponent=65537, key_size=2048)
                pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
                self.store.set_meta(name, pem)
            self._keys[algorithm] = serialization.load_pem_private_key(pem, password=None)
        return self._keys[algorithm]

    def key_id(self, algorithm: str) -> str:
        public = self.key(algorithm).public_key().public_bytes(serialization.Encoding.DER,
                                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(public).hexdigest()[:32]

    def sign(self, algorithm: str, data: bytes) -> bytes:
        key = self.key(algorithm)
        if algorithm == "ES384":
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA384())))
            return r.to_bytes(48, "big") + s.to_bytes(48, "big")  # JWS wants r || s, not DER
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def public_keys(self) -> dict:
        """The JWKS of both keys."""
        keys = []
        for algorithm in ("ES384", "RS256"):
            public = self.key(algorithm).public_key()
            if algorithm == "ES384":
                numbers = public.public_numbers()
                jwk = {"kty": "EC", "crv": "P-384", "x": _int_b64(numbers.x), "y": _int_b64(numbers.y)}
            else:
                numbers = public.public_numbers()
                jwk = {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}
            keys.append({**jwk, "kid": self.key_id(algorithm), "alg": algorithm, "use": "sig"})
        return {"keys": keys}


class WebIdentityTokens:
    def __init__(self, keys: SigningKeys, credentials: CredentialRegistry, iam: Callable[[], "IamApi"]) -> None:
        self.keys = keys
        self.credentials = credentials
        self.iam = iam

    def get_web_identity_token(self, ctx: RequestContext, params: dict) -> dict:
        caller = ctx.caller
        issuer = self.iam().outbound_issuer(caller.account_id)
        if issuer is None:
            raise ServiceError("OutboundWebIdentityFederationDisabledException",
                               "Outbound web identity federation is disabled for this account.", status=403)
        algorithm = params["SigningAlgorithm"]
        if algorithm not in ("ES384", "RS256"):
            raise ServiceError("ValidationError", f"Unsupported signing algorithm: {algorithm}. Valid values are ES384 "
                               "and RS256.")
        now = int(clock.epoch())
        expires = now + (params.get("DurationSeconds") or 300)
        issued = self.credentials.issued(caller.access_key_id) if caller.access_key_id else None
        if issued is not None and issued.session_token and expires > issued.expiration:
            raise ServiceError("SessionDurationEscalationException", "The requested token lifetime exceeds the "
                               "remaining lifetime of the calling session.", status=403)
        audience = params["Audience"]
        extra = {"aws_account": caller.account_id, "principal_id": caller.arn, "source_region": ctx.region}
        if params.get("Tags"):
            extra["request_tags"] = {t["Key"]: t["Value"] for t in params["Tags"]}
        claims = {"iss": issuer, "sub": caller.role_arn or caller.arn, "aud": audience[0] if len(audience) == 1 else audience,
                  "iat": now, "nbf": now, "exp": expires, "jti": str(uuid.uuid4()), CLAIMS_NAMESPACE: extra}
        payload = json.dumps(claims, separators=(",", ":")).encode()
        if len(payload) > PAYLOAD_MAX:
            raise ServiceError("JWTPayloadSizeExceededException", f"The token's claims take {len(payload)} bytes, more "
                               f"than the {PAYLOAD_MAX} allowed.")
        header = json.dumps({"alg": algorithm, "typ": "JWT", "kid": self.keys.key_id(algorithm)}, separators=(",", ":"))
        signing_input = f"{_b64(header.encode())}.{_b64(payload)}"
        token = f"{signing_input}.{_b64(self.keys.sign(algorithm, signing_input.encode()))}"
        return {"WebIdentityToken": token, "Expiration": clock.from_epoch(expires)}
