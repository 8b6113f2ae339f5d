"""IAM users' access keys.

An access key created here is registered in ``cloud.credentials`` as a long-term key: requests
signed with it run as the user (GetCallerIdentity shows ``arn:aws:iam::ACCOUNT:user/NAME``,
CloudTrail records an ``IAMUser``); a key set Inactive is refused with InvalidClientTokenId.
"""

from __future__ import annotations

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.credentials import NEVER, CredentialRegistry, IssuedCredentials
from regionbox.core.errors import ServiceError
from regionbox.core.store import Store
from regionbox.services.iam.entities import Entities
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import User
from regionbox.services.iam.users import named_or_calling_user

ACCESS_KEYS_PER_USER = 2
ACCESS_KEY_RESOURCE = "AWS::IAM::AccessKey"


def _summary(user: User, key_id: str) -> dict:
    for summary in user.access_keys:
        if summary["AccessKeyId"] == key_id:
            return summary
    raise ServiceError("NoSuchEntity", f"The Access Key with id {key_id} cannot be found.", status=404)


class AccessKeys:
    def __init__(self, users: Entities[User], credentials: CredentialRegistry, store: Store, listing: Listing) -> None:
        self.users = users
        self.credentials = credentials
        self.store = store
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
        ctx.touched(ACCESS_KEY_RESOURCE, summary["AccessKeyId"])
        return {}
