"""IAM users' access keys.

An access key created here is registered in ``cloud.credentials`` as a long-term key: requests
signed with it run as the user (GetCallerIdentity shows ``arn:aws:iam::ACCOUNT:user/NAME``,
CloudTrail records an ``IAMUser``); a key set Inactive is refused with InvalidClientTokenId.

Every request signed with a user's key records its use (GetAccessKeyLastUsed, the credential
report): the gateway tells IAM on each request (``IamApi.access_key_used``), which only updates
a map in memory; ``KeyUsage`` writes the map to the store at most once a second, and when the
cloud stops, so a busy key costs no write per request.
"""

from __future__ import annotations

import asyncio

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.credentials import NEVER, CredentialRegistry, IssuedCredentials
from regionbox.core.errors import ServiceError
from regionbox.core.store import Collection, Store
from regionbox.services.iam.entities import Entities
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import KeyUse, User
from regionbox.services.iam.state import global_scope
from regionbox.services.iam.users import named_or_calling_user

ACCESS_KEYS_PER_USER = 2
ACCESS_KEY_RESOURCE = "AWS::IAM::AccessKey"


def _summary(user: User, key_id: str) -> dict:
    for summary in user.access_keys:
        if summary["AccessKeyId"] == key_id:
            return summary
    raise ServiceError("NoSuchEntity", f"The Access Key with id {key_id} cannot be found.", status=404)


class KeyUsage:
    """The last use of each user access key: noted in memory, written in batches."""

    FLUSH_DELAY = 1.0

    def __init__(self, collection: Collection[KeyUse], store: Store) -> None:
        self.collection = collection
        self.store = store
        self._pending: dict[str, tuple[str, KeyUse]] = {}  # key id -> (account, use)
        self._timer: asyncio.TimerHandle | None = None

    def used(self, access_key_id: str, account: str, service: str, region: str) -> None:
        self._pending[access_key_id] = (account, KeyUse(clock.epoch(), service, region))
        if self._timer is None:
            try:
                self._timer = asyncio.get_running_loop().call_later(self.FLUSH_DELAY, self.flush)
            except RuntimeError:  # no event loop: write now
                self.flush()

    def last(self, account: str, access_key_id: str) -> KeyUse | None:
        pending = self._pending.get(access_key_id)
        if pending is not None:
            return pending[1]
        return self.collection.get(global_scope(account), access_key_id)

    def forget(self, account: str, access_key_id: str) -> None:
        self._pending.pop(access_key_id, None)
        self.collection.delete(global_scope(account), access_key_id)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending = self._pending, {}
        if pending:
            with self.store.transaction():
                for key_id, (account, use) in pending.items():
                    self.collection.put(global_scope(account), key_id, use)

    def reset(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending.clear()


class AccessKeys:
    def __init__(self, users: Entities[User], credentials: CredentialRegistry, store: Store, usage: KeyUsage,
                 listing: Listing) -> None:
        self.users = users
        self.credentials = credentials
        self.store = store
        self.usage = usage
        self.listing = listing

    def create_access_key(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        if len(user.access_keys) >= ACCESS_KEYS_PER_USER:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}",
                               status=409)
        key = IssuedCredentials(
            access_key_id=ids.access_key_id("AKIA"), secret_access_key=ids.secret_access_key(), session_token="",
            expiration=NEVER,
            caller={"account_id": ctx.account_id, "arn": user.arn, "user_id": user.user_id, "type": "IAMUser",
                    "role_arn": None, "session_name": None},
        )
        summary = {"AccessKeyId": key.access_key_id, "Status": "Active", "CreateDate": clock.epoch()}
        with self.store.transaction():
            self.credentials.register(key)
            user.access_keys.append(summary)
            self.users.save(ctx, user)
        ctx.touched(ACCESS_KEY_RESOURCE, key.access_key_id)
        return {"AccessKey": {"UserName": user.name, **summary, "SecretAccessKey": key.secret_access_key}}

    def list_access_keys(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        return self.listing.page("AccessKeyMetadata", [{"UserName": user.name, **k} for k in user.access_keys], params)

    def update_access_key(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        summary = _summary(user, params["AccessKeyId"])
        summary["Status"] = params["Status"]
        issued = self.credentials.issued(summary["AccessKeyId"])
        with self.store.transaction():
            if issued is not None:
                issued.active = params["Status"] == "Active"
                self.credentials.register(issued)
            self.users.save(ctx, user)
        ctx.touched(ACCESS_KEY_RESOURCE, summary["AccessKeyId"])
        return {}

    def delete_access_key(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        summary = _summary(user, params["AccessKeyId"])
        with self.store.transaction():
            user.access_keys.remove(summary)
            self.users.save(ctx, user)
            self.credentials.forget(summary["AccessKeyId"])
            self.usage.forget(ctx.account_id, summary["AccessKeyId"])
        ctx.touched(ACCESS_KEY_RESOURCE, summary["AccessKeyId"])
        return {}

    def get_access_key_last_used(self, ctx: RequestContext, params: dict) -> dict:
        key_id = params["AccessKeyId"]
        owner = next((u for u in self.users.all(ctx) if any(k["AccessKeyId"] == key_id for k in u.access_keys)), None)
        if owner is None:
            raise ServiceError("NoSuchEntity", f"The Access Key with id {key_id} cannot be found.", status=404)
        use = self.usage.last(ctx.account_id, key_id)
        if use is None:
            # Never used: IAM answers N/A for the service and the region, and no date.
            return {"UserName": owner.name, "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}
        return {"UserName": owner.name, "AccessKeyLastUsed": {"LastUsedDate": use.when, "ServiceName": use.service,
                                                               "Region": use.region}}
