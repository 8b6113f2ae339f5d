"""From an access key to a caller.

DESIGN: a 12-digit access key id is that account's root; keys minted by STS belong to the
account of the role assumed, and IAM users' access keys to the user (both are stored, so they
survive restarts); anything else is the default account. A session key past its expiration is
refused with ``ExpiredToken`` and a deactivated user key with ``InvalidClientTokenId``, as AWS
refuses them, instead of silently becoming the default account.
"""

from __future__ import annotations

import dataclasses
import time

from regionbox.core import clock, ids
from regionbox.core.context import Caller
from regionbox.core.errors import ServiceError
from regionbox.core.store import Store

_SCOPE = ("", "")
# Expiration of long-term keys (IAM users' access keys): 9999-12-31.
NEVER = 253402300799.0


def is_account_id(text: str) -> bool:
    """Twelve ASCII digits (str.isdigit also takes superscripts and other scripts' digits)."""
    return len(text) == 12 and text.isascii() and text.isdigit()


class ExpiredToken(ServiceError):
    def __init__(self) -> None:
        super().__init__("ExpiredToken", "The security token included in the request is expired", status=400)


class InvalidClientTokenId(ServiceError):
    def __init__(self) -> None:
        super().__init__("InvalidClientTokenId", "The security token included in the request is invalid.", status=403)


@dataclasses.dataclass
class IssuedCredentials:
    """An access key regionbox issued: STS session credentials or an IAM user's access key."""

    access_key_id: str
    secret_access_key: str
    session_token: str  # empty for long-term keys
    expiration: float
    # Caller fields (account_id, arn, user_id, type, role_arn, session_name) the key acts as.
    caller: dict
    active: bool = True
    # What a session was narrowed to when it was issued (AssumeRole's Policy and PolicyArns) and
    # the session tags it carries: IAM evaluates them on every request the key signs.
    session_policy: str | None = None
    session_policy_arns: list[str] = dataclasses.field(default_factory=list)
    session_tags: dict[str, str] = dataclasses.field(default_factory=dict)
    # Policies a session was narrowed by later (STS GetScopedCredentials): each must allow too.
    scoped_policies: list[str] = dataclasses.field(default_factory=list)
    # Whose permissions a federated user's session draws on (GetFederationToken): the IAM user's ARN.
    issuer_arn: str | None = None

    @classmethod
    def session(cls, caller: Caller, seconds: float, **session) -> "IssuedCredentials":
        """New temporary credentials (an ASIA key) acting as ``caller`` for ``seconds``; ``session``:
        the session fields above (session_policy, session_tags ...)."""
        return cls(access_key_id=ids.access_key_id("ASIA"), secret_access_key=ids.secret_access_key(),
                   session_token=ids.token(356), expiration=int(clock.epoch()) + seconds,
                   caller={"account_id": caller.account_id, "arn": caller.arn, "user_id": caller.user_id, "type": caller.type,
                           "role_arn": caller.role_arn, "session_name": caller.session_name},
                   **session)


class CredentialRegistry:
    def __init__(self, store: Store, default_account: str):
        self.default_account = default_account
        self._issued = store.collection("credentials.issued", IssuedCredentials)
        self._purged_at = 0.0

    def register(self, credentials: IssuedCredentials) -> None:
        self._purge_expired()
        self._issued.put(_SCOPE, credentials.access_key_id, credentials)

    def forget(self, access_key_id: str) -> None:
        self._issued.delete(_SCOPE, access_key_id)

    def issued(self, access_key_id: str) -> IssuedCredentials | None:
        return self._issued.get(_SCOPE, access_key_id)

    def account_of(self, access_key_id: str) -> str:
        """The account an access key belongs to (GetAccessKeyInfo), expired or not."""
        if is_account_id(access_key_id):
            return access_key_id
        issued = self.issued(access_key_id)
        return issued.caller["account_id"] if issued is not None else self.default_account

    def resolve(self, access_key_id: str | None) -> Caller:
        """The caller behind a key; raises ``ExpiredToken`` / ``InvalidClientTokenId`` for keys
        that were issued and no longer work."""
        if not access_key_id:
            return Caller.root(self.default_account)
        if is_account_id(access_key_id):
            return Caller.root(access_key_id, access_key_id)
        issued = self._issued.get(_SCOPE, access_key_id)
        if issued is not None:
            if not issued.active:
                raise InvalidClientTokenId()
            if issued.expiration <= time.time():
                raise ExpiredToken()
            return Caller(**{**issued.caller, "access_key_id": access_key_id})
        return Caller.root(self.default_account, access_key_id)

    def _purge_expired(self) -> None:
        # Keep expired sessions a day so their callers get ExpiredToken rather than the default
        # account; after that the registry forgets them.
        now = time.time()
        if now - self._purged_at < 60:
            return  # a sweep a minute is plenty, and keeps AssumeRole O(1)
        self._purged_at = now
        horizon = now - 86400
        for _, key, issued in list(self._issued.all()):
            if issued.expiration < horizon:
                self._issued.delete(_SCOPE, key)
