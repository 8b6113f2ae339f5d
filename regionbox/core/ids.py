"""Identifiers in the shapes AWS uses."""

from __future__ import annotations

import secrets
import string
import uuid

_UPPER_ALNUM = string.ascii_uppercase + string.digits
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ALNUM = string.ascii_letters + string.digits


def request_id() -> str:
    return str(uuid.uuid4())


def hex_id(prefix: str = "", length: int = 17) -> str:
    """EC2-style ids: ``vpc-0a1b2c3d4e5f67890`` (prefix plus lowercase hex)."""
    return f"{prefix}{secrets.token_hex((length + 1) // 2)[:length]}"


def upper_id(prefix: str, length: int) -> str:
    """IAM-style unique ids (``AROA`` + base32 characters), also access key ids."""
    return prefix + "".join(secrets.choice(_BASE32) for _ in range(length))


def access_key_id(prefix: str = "ASIA") -> str:
    return upper_id(prefix, 16)


def secret_access_key() -> str:
    return "".join(secrets.choice(_ALNUM + "/+") for _ in range(40))


def token(length: int = 32) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def lower_alnum(length: int) -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(length))
