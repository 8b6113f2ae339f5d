"""IAM users and their access keys.

An access key created here is registered in ``cloud.credentials`` as a long-term key: requests
signed with it run as the user (GetCallerIdentity shows ``arn:aws:iam::ACCOUNT:user/NAME``,
CloudTrail records an ``IAMUser``); a key set Inactive is refused with InvalidClientTokenId.
"""

from __future__ import annotations

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.credentials import NEVER, IssuedCredentials
from regionbox.core.errors import ServiceError
from regionbox.services.iam.entities import USER
from regionbox.services.iam.models import User

ACCESS_KEYS_PER_USER = 2


class UsersMixin:
    def _user(self, ctx: RequestContext, name: str) -> User:
        return self._entity(ctx, USER, name)

    def _named_or_calling_user(self, ctx: RequestContext, params: dict) -> User:
        """UserName, or the calling IAM user when it is left out (as IAM does)."""
        if params.get("UserName"):
            return self._user(ctx, params["UserName"])
        if ctx.caller.type != "IAMUser":
            # Root access keys are not emulated: they would be a second way to be root.
            raise ServiceError("ValidationError", "Must specify userName when calling with non-User credentials")
        return self._user(ctx, ctx.caller.arn.rsplit("/", 1)[-1])

    @staticmethod
    def _user_shape(user: User) -> dict:
        shape = {"Path": user.path, "UserName": user.name, "UserId": user.user_id, "Arn": user.arn,
                 "CreateDate": user.create_date}
        if user.permissions_boundary:
            shape["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                            "PermissionsBoundaryArn": user.permissions_boundary}
        if user.tags:
            shape["Tags"] = user.tags
        return shape

    def create_user(self, ctx: RequestContext, params: dict) -> dict:
        name, path = params["UserName"], params.get("Path") or "/"
        if self.users.get(ctx.global_scope, name.lower()) is not None:
            raise ServiceError("EntityAlreadyExists", f"User with name {name} already exists.", status=409)
        user = User(name=name, user_id=ids.upper_id("AIDA", 17), arn=f"arn:aws:iam::{ctx.account_id}:user{path}{name}",
                    path=path, create_date=clock.epoch(), permissions_boundary=params.get("PermissionsBoundary"),
                    tags=self._checked_tags(params.get("Tags") or []))
        self._save_entity(ctx, USER, user)
        return {"User": self._user_shape(user)}

    def get_user(self, ctx: RequestContext, params: dict) -> dict:
        if not params.get("UserName") and ctx.caller.type == "Root":
            # The root user describes itself by its account (no user name, no path).
            return {"User": {"UserId": ctx.account_id, "Arn": ctx.caller.arn, "CreateDate": self.cloud.started_at}}
        return {"User": self._user_shape(self._named_or_calling_user(ctx, params))}

    def list_users(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("PathPrefix") or "/"
        users = sorted((u for u in self.users.values(ctx.global_scope) if u.path.startswith(prefix)),
                       key=lambda u: u.name.lower())
        page, marker = self._page(users, params)
        return self._truncated({"Users": [{k: v for k, v in self._user_shape(u).items() if k != "Tags"} for u in page]},
                               marker)

    def delete_user(self, ctx: RequestContext, params: dict) -> dict:
        user = self._user(ctx, params["UserName"])
        if user.access_keys:
            raise ServiceError("DeleteConflict", "Cannot delete entity, must delete access keys first.", status=409)
        self._delete_entity(ctx, USER, user)
        return {}

    # -- the user's inline and attached policies -----------------------------------------------
    def put_user_policy(self, ctx: RequestContext, params: dict) -> dict:
        return self._put_inline(ctx, USER, params["UserName"], params)

    def get_user_policy(self, ctx: RequestContext, params: dict) -> dict:
        return self._get_inline(ctx, USER, params["UserName"], params)

    def list_user_policies(self, ctx: RequestContext, params: dict) -> dict:
        return self._list_inline(ctx, USER, params["UserName"], params)

    def delete_user_policy(self, ctx: RequestContext, params: dict) -> dict:
        return self._delete_inline(ctx, USER, params["UserName"], params)

    def attach_user_policy(self, ctx: RequestContext, params: dict) -> dict:
        return self._attach(ctx, USER, params["UserName"], params["PolicyArn"])

    def detach_user_policy(self, ctx: RequestContext, params: dict) -> dict:
        return self._detach(ctx, USER, params["UserName"], params["PolicyArn"])

    def list_attached_user_policies(self, ctx: RequestContext, params: dict) -> dict:
        return self._list_attached(ctx, USER, params["UserName"], params)

    # -- access keys ---------------------------------------------------------------------------
    def create_access_key(self, ctx: RequestContext, params: dict) -> dict:
        user = self._named_or_calling_user(ctx, params)
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
            self.cloud.credentials.register(key)
            user.access_keys.append(summary)
            self._save_entity(ctx, USER, user)
        ctx.touched("AWS::IAM::AccessKey", key.access_key_id)
        return {"AccessKey": {"UserName": user.name, **summary, "SecretAccessKey": key.secret_access_key}}

    def _access_key(self, user: User, key_id: str) -> dict:
        for summary in user.access_keys:
            if summary["AccessKeyId"] == key_id:
                return summary
        raise ServiceError("NoSuchEntity", f"The Access Key with id {key_id} cannot be found.", status=404)

    def list_access_keys(self, ctx: RequestContext, params: dict) -> dict:
        user = self._named_or_calling_user(ctx, params)
        page, marker = self._page([{"UserName": user.name, **k} for k in user.access_keys], params)
        return self._truncated({"AccessKeyMetadata": page}, marker)

    def update_access_key(self, ctx: RequestContext, params: dict) -> dict:
        user = self._named_or_calling_user(ctx, params)
        summary = self._access_key(user, params["AccessKeyId"])
        summary["Status"] = params["Status"]
        issued = self.cloud.credentials.issued(summary["AccessKeyId"])
        with self.store.transaction():
            if issued is not None:
                issued.active = params["Status"] == "Active"
                self.cloud.credentials.register(issued)
            self._save_entity(ctx, USER, user)
        ctx.touched("AWS::IAM::AccessKey", summary["AccessKeyId"])
        return {}

    def delete_access_key(self, ctx: RequestContext, params: dict) -> dict:
        user = self._named_or_calling_user(ctx, params)
        summary = self._access_key(user, params["AccessKeyId"])
        with self.store.transaction():
            user.access_keys.remove(summary)
            self._save_entity(ctx, USER, user)
            self.cloud.credentials.forget(summary["AccessKeyId"])
        ctx.touched("AWS::IAM::AccessKey", summary["AccessKeyId"])
        return {}
