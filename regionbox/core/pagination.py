"""Pagination: one way for every List*/Describe* of every service.

A service declares its rule once (``PageRule``: which members carry the token and the page size,
the default size, the range AWS accepts, and the errors it answers) and every listing calls
``cloud.paginator.paginate(items, params, rule)``::

    RECORDS = PageRule(token="Marker", size="MaxRecords", default=100, minimum=20, maximum=100,
                       out_of_range=lambda n: invalid("The parameter MaxRecords must be between 20 and 100."),
                       bad_token=lambda t: invalid("Invalid Marker"))
    page, marker = cloud.paginator.paginate(groups, params, RECORDS)

Tokens are opaque and tamper-evident: base64url(JSON payload) + "." + HMAC. A token that was
changed, truncated or made up, or (with ``query``) that belongs to another query, is the rule's
``bad_token`` error, never a crash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import orjson

from regionbox.core.errors import ServiceError


class InvalidToken(ValueError):
    pass


def _invalid_token(token: str) -> ServiceError:
    return ServiceError("InvalidNextTokenException", "The pagination token is invalid.")


@dataclass(frozen=True)
class PageRule:
    """How one service pages its listings, as AWS documents and enforces it."""

    out_of_range: Callable[[int], ServiceError]  # the error for a page size outside [minimum, maximum]
    token: str = "NextToken"  # the input member with the token ("Marker")
    size: str = "MaxResults"  # the input member with the page size ("MaxRecords", "MaxItems", "Limit")
    default: int = 100
    minimum: int = 1
    maximum: int = 100
    bad_token: Callable[[str], ServiceError] = _invalid_token
    # Models whose token pattern allows only standard base64's alphabet (Migration Hub's
    # ``^[a-zA-Z0-9\/\+\=]{0,2048}$``) get the token base64-encoded once more.
    base64_token: bool = False


def _unwrap(token: str) -> str:
    try:
        return base64.b64decode(token, validate=True).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidToken(token) from exc


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

    def paginate(self, items: Sequence, params: dict, rule: PageRule, query: Any = None) -> tuple[list, str | None]:
        """The page of ``items`` (a stable ordering) that ``params`` ask for, and the token of the
        next one (None on the last page). With ``query``, a token is good only for the same query."""
        size = params.get(rule.size)
        if size is not None and not rule.minimum <= size <= rule.maximum:
            raise rule.out_of_range(size)
        size = size or rule.default
        start = 0
        token = params.get(rule.token)
        if token is not None:
            try:
                payload = self.decode(_unwrap(token) if rule.base64_token else token)
                if not isinstance(payload, dict) or payload.get("q") != query:
                    raise InvalidToken(token)
                start = payload["o"]
                if not isinstance(start, int) or isinstance(start, bool) or start < 0:
                    raise InvalidToken(token)
            except InvalidToken:
                raise rule.bad_token(token) from None
        page = list(items[start:start + size])
        following = start + size
        if following >= len(items):
            return page, None
        token = self.encode({"o": following, "q": query})
        return page, (base64.b64encode(token.encode()).decode() if rule.base64_token else token)

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
