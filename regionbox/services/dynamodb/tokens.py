"""ClientRequestToken of TransactWriteItems and ExecuteTransaction.

A token seen in the last 10 minutes with the same request answers that request's output again
without applying it twice; the same token with a different request is
IdempotentParameterMismatchException. Tokens live in memory, as a retry follows within seconds.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import orjson

from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope

IDEMPOTENCY_WINDOW = 600  # ClientRequestToken is remembered for 10 minutes


class ClientTokens:
    def __init__(self) -> None:
        # (scope, token) -> (time, fingerprint of the request, output)
        self._seen: dict[tuple, tuple[float, str, dict]] = {}

    def clear(self) -> None:
        self._seen.clear()

    def check(self, scope: Scope, token: str | None, params: dict) -> tuple[Any, dict | None]:
        """(claim, None) for a request to run, then ``remember(claim, output)``; (None, output)
        for a replay of a request already answered."""
        if not token:
            return None, None
        now = time.time()
        for key, (at, _, _) in list(self._seen.items()):
            if now - at > IDEMPOTENCY_WINDOW:
                del self._seen[key]
        fingerprint = hashlib.sha256(orjson.dumps({k: v for k, v in params.items() if k != "ClientRequestToken"},
                                                  default=repr, option=orjson.OPT_SORT_KEYS)).hexdigest()
        key = (scope, token)
        seen = self._seen.get(key)
        if seen is not None:
            if seen[1] != fingerprint:
                raise ServiceError("IdempotentParameterMismatchException",
                                   "The request uses the same client token as a previous, but non-identical request.")
            return key, seen[2]
        return (key, fingerprint), None

    def remember(self, claim: Any, out: dict) -> None:
        """Keep a transaction's output under its token (``claim`` from ``check``)."""
        if claim is not None:
            key, fingerprint = claim
            self._seen[key] = (time.time(), fingerprint, out)
