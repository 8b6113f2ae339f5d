"""From an access key to a caller.

DESIGN: a 12-digit access key id is that account's root; keys minted by STS belong to the
account of the role assumed (they are stored, so they survive restarts); anything else is the
default account. Session keys past their expiration are refused with ``ExpiredToken``, as AWS
refuses them, instead of silently becoming the default account.
"""

from __future__ import annotations

import dataclasses
import time

from regionbox.core.context import Caller
from regionbox.core.errors import ServiceError
from regionbox.core.store import Store

_SCOPE = ("", "")


class ExpiredToken(ServiceError):
    def __init__(self) -> None:
        super().__init__("ExpiredToken", "The security token included in the request is expired", status=400)


@dataclasses.dataclass
class SessionCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float
    # Caller fields (account_id, arn, user_id, type, role_arn, session_name) the key acts as.
    caller: dict


class CredentialRegistry:
    def __init__(self, store: Store, default_account: str):
        self.default_account = default_account
        self._sessions = store.collection("sts.sessions", SessionCredentials)

    def register(self, credentials: SessionCredentials) -> None:
        self._purge_expired()
        self._sessions.put(_SCOPE, credentials.access_key_id, credentials)

    def session(self, access_key_id: str) -> SessionCredentials | None:
        return self._sessions.get(_SCOPE, access_key_id)

    def account_of(self, access_key_id: str) -> str:
        """The account an access key belongs to (GetAccessKeyInfo), expired or not."""
        if len(access_key_id) == 12 and access_key_id.isdigit():
            return access_key_id
        session = self.session(access_key_id)
        return session.caller["account_id"] if session is not None else self.default_account

    def resolve(self, access_key_id: str | None) -> Caller:
        """The caller behind a key; raises ``ExpiredToken`` for an expired STS session key."""
        if not access_key_id:
            return Caller.root(self.default_account)
        if len(access_key_id) == 12 and access_key_id.isdigit():
            return Caller.root(access_key_id, access_key_id)
        session = self._sessions.get(_SCOPE, access_key_id)
        if session is not None:
            if session.expiration <= time.time():
                raise ExpiredToken()
            return Caller(**{**session.caller, "access_key_id": access_key_id})
        return Caller.root(self.default_account, access_key_id)

    def _purge_expired(self) -> None:
        # Keep expired sessions a day so their callers get ExpiredToken rather than the default
        # account; after that the registry forgets them.
        horizon = time.time() - 86400
        for _, key, session in list(self._sessions.all()):
            if session.expiration < horizon:
                self._sessions.delete(_SCOPE, key)
