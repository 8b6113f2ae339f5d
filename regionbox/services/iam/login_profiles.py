"""Login profiles: a user's console password (Create/Get/Update/DeleteLoginProfile, and
ChangePassword by the user itself). Every new password passes the account's password policy
(password_policy.py); only a hash of it is kept."""

from __future__ import annotations

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam.entities import Entities
from regionbox.services.iam.models import User
from regionbox.services.iam.password_policy import PasswordPolicy, check_password, hashed, matches
from regionbox.services.iam.users import named_or_calling_user

HISTORY_KEPT = 24  # PasswordReusePrevention's maximum


def _profile_shape(user: User) -> dict:
    profile = user.login_profile or {}
    shape = {"UserName": user.name, "CreateDate": profile["CreateDate"],
             "PasswordResetRequired": profile.get("PasswordResetRequired", False)}
    if profile.get("MaxSigninSessionDuration"):
        shape["MaxSigninSessionDuration"] = profile["MaxSigninSessionDuration"]
    return shape


class LoginProfiles:
    def __init__(self, users: Entities[User], password_policy: PasswordPolicy) -> None:
        self.users = users
        self.password_policy = password_policy

    def _with_profile(self, ctx: RequestContext, params: dict) -> User:
        user = named_or_calling_user(self.users, ctx, params)
        if user.login_profile is None:
            raise ServiceError("NoSuchEntity", f"Login Profile for User {user.name} cannot be found.", status=404)
        return user

    def _set_password(self, ctx: RequestContext, user: User, password: str) -> None:
        check_password(self.password_policy.policy(ctx), password, user.password_history)
        digest = hashed(password)
        user.login_profile["Hash"] = digest
        user.password_history = (user.password_history + [digest])[-HISTORY_KEPT:]
        user.password_last_changed = clock.epoch()

    def create_login_profile(self, ctx: RequestContext, params: dict) -> dict:
        user = named_or_calling_user(self.users, ctx, params)
        if user.login_profile is not None:
            raise ServiceError("EntityAlreadyExists", f"Login Profile for user {user.name} already exists.", status=409)
        if not params.get("Password"):
            raise ServiceError("PasswordPolicyViolation", "Password is required.")
        user.login_profile = {"CreateDate": clock.epoch(), "PasswordResetRequired": bool(params.get("PasswordResetRequired")),
                              "MaxSigninSessionDuration": params.get("MaxSigninSessionDuration")}
        try:
            self._set_password(ctx, user, params["Password"])
        except ServiceError:
            user.login_profile = None
            raise
        self.users.save(ctx, user)
        return {"LoginProfile": _profile_shape(user)}

    def get_login_profile(self, ctx: RequestContext, params: dict) -> dict:
        return {"LoginProfile": _profile_shape(self._with_profile(ctx, params))}

    def update_login_profile(self, ctx: RequestContext, params: dict) -> dict:
        user = self._with_profile(ctx, params)
        if params.get("Password"):
            self._set_password(ctx, user, params["Password"])
        if params.get("PasswordResetRequired") is not None:
            user.login_profile["PasswordResetRequired"] = params["PasswordResetRequired"]
        self.users.save(ctx, user)
        return {}

    def delete_login_profile(self, ctx: RequestContext, params: dict) -> dict:
        user = self._with_profile(ctx, params)
        user.login_profile = None
        self.users.save(ctx, user)
        return {}

    def change_password(self, ctx: RequestContext, params: dict) -> dict:
        """A user changes its own password: the old one must be right."""
        if ctx.caller.type != "IAMUser":
            raise ServiceError("InvalidUserType", "Only IAM Users can change their own password.")
        user = self._with_profile(ctx, {})
        if not matches(params["OldPassword"], user.login_profile["Hash"]):
            raise ServiceError("AccessDenied", "The old password was incorrect.", status=403)
        self._set_password(ctx, user, params["NewPassword"])
        user.login_profile["PasswordResetRequired"] = False
        self.users.save(ctx, user)
        return {}
