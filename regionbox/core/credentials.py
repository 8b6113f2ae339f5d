"""From an access key to a caller.

DESIGN: a 12-digit access key id is that account's root; keys minted by STS belong to the
account of the role assumed (they are stored, so they survive restarts); anything else is the
default account.
"""

from __future__ import annotations

import dataclasses
import time

from regionbox.core.context import Caller
from regionbox.core.store import Store


@dataclasses.dataclass
class SessionCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float
    caller: dict


class CredentialRegistry:
    def __init__(self, store: Store, default_account: str):
        self.default_account = default_account
        self._sessions = store.collection("sts.sessions", SessionCredentials)

    def register(self, credentials: SessionCredentials) -> None:
        self._sessions.put(("", ""), credentials.access_key_id, credentials)

    def session(self, access_key_id: str) -> SessionCredentials | None:
        return self._sessions.get(("", ""), access_key_id)

    def resolve(self, access_key_id: str | None) -> Caller:
        if not access_key_id:
            return Caller.root(self.default_account)
        if len(access_key_id) == 12 and access_key_id.isdigit():
            return Caller.root(access_key_id, access_key_id)
        session = self._sessions.get(("", ""), access_key_id)
        if session is not None and session.expiration > time.time():
            return Caller(**{**session.caller, "access_key_id": access_key_id})
        return Caller.root(self.default_account, access_key_id)
