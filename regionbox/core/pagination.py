"""Opaque, tamper-evident pagination tokens.

A token is base64url(JSON payload) + "." + HMAC. A token that was changed, truncated or made up
raises ``InvalidToken``; each provider maps that to its service's error (InvalidNextToken,
ValidationException ...), so a bad token is an error and never a crash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any, Sequence

import orjson


class InvalidToken(ValueError):
    pass


class Paginator:
    def __init__(self, secret: bytes | None = None):
        self.secret = secret or secrets.token_bytes(32)

    def _mac(self, body: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.new(self.secret, body, hashlib.sha256).digest()[:16]).decode().rstrip("=")

    def encode(self, payload: Any) -> str:
        body = base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")
        return f"{body}.{self._mac(body.encode())}"

    def decode(self, token: str) -> Any:
        try:
            body, mac = token.rsplit(".", 1)
            if not hmac.compare_digest(mac, self._mac(body.encode())):
                raise InvalidToken(token)
            return orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            raise InvalidToken(token) from exc

    def page(self, items: Sequence, token: str | None, limit: int | None, default_limit: int = 100) -> tuple[list, str | None]:
        """Slice ``items`` (a stable ordering) from a token; return the page and the next token."""
        start = 0
        if token is not None:
            payload = self.decode(token)
            if not isinstance(payload, dict) or not isinstance(payload.get("o"), int) or payload["o"] < 0:
                raise InvalidToken(token)
            start = payload["o"]
        size = limit or default_limit
        page = list(items[start : start + size])
        following = start + size
        return page, (self.encode({"o": following}) if following < len(items) else None)
