"""The account's password policy (Update/Get/DeleteAccountPasswordPolicy) and the check every
new password of a login profile passes (CreateLoginProfile, UpdateLoginProfile, ChangePassword),
with IAM's PasswordPolicyViolation messages.

Without a policy IAM applies its default one: at least 8 characters, and three of the four kinds
(upper case, lower case, numbers, symbols).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam.state import IamState

SYMBOLS = set("!@#$%^&*()_+-=[]{}|'")
# The members UpdateAccountPasswordPolicy takes, with the value an omitted one gets.
DEFAULTS = {"MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": False,
            "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
            "AllowUsersToChangePassword": False, "MaxPasswordAge": 0, "PasswordReusePrevention": 0, "HardExpiry": False}
DEFAULT_MINIMUM = 8


def violation(message: str) -> ServiceError:
    return ServiceError("PasswordPolicyViolation", message, status=400)


def hashed(password: str, salt: str | None = None) -> str:
    """"salt$hash" (PBKDF2): IAM never returns a password, so only its hash is kept."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), 20000).hex()
    return f"{salt}${digest}"


def matches(password: str, stored: str) -> bool:
    salt, _, _ = stored.partition("$")
    return hmac.compare_digest(hashed(password, salt), stored)


def _kinds(password: str) -> dict[str, bool]:
    return {"uppercase": any(c.isascii() and c.isupper() for c in password),
            "lowercase": any(c.isascii() and c.islower() for c in password),
            "number": any(c.isascii() and c.isdigit() for c in password),
            "symbol": any(c in SYMBOLS for c in password)}


def check_password(policy: dict | None, password: str, history: list[str]) -> None:
    """Raise PasswordPolicyViolation unless ``password`` satisfies ``policy`` (None: IAM's default)."""
    kinds = _kinds(password)
    if policy is None:
        if len(password) < DEFAULT_MINIMUM or sum(kinds.values()) < 3:
            raise violation("Password does not conform to the account password policy.")
        return
    if len(password) < policy["MinimumPasswordLength"]:
        raise violation(f"Password should have a minimum length of {policy['MinimumPasswordLength']}")
    for member, kind, words in (("RequireUppercaseCharacters", "uppercase", "uppercase letter"),
                                ("RequireLowercaseCharacters", "lowercase", "lowercase letter"),
                                ("RequireNumbers", "number", "number"), ("RequireSymbols", "symbol", "symbol")):
        if policy[member] and not kinds[kind]:
            raise violation(f"Password should have at least one {words}")
    reuse = policy.get("PasswordReusePrevention") or 0
    if reuse and any(matches(password, old) for old in history[-reuse:]):
        raise violation(f"Password should not be one of your previous {reuse} passwords")


class PasswordPolicy:
    def __init__(self, state: IamState) -> None:
        self.state = state

    def policy(self, ctx: RequestContext) -> dict | None:
        return self.state.account(ctx.global_scope).password_policy

    def update_account_password_policy(self, ctx: RequestContext, params: dict) -> dict:
        settings = self.state.account(ctx.global_scope)
        settings.password_policy = {member: default if params.get(member) is None else params[member]
                                    for member, default in DEFAULTS.items()}
        self.state.save_account(ctx.global_scope, settings)
        return {}

    def _existing(self, ctx: RequestContext) -> dict:
        found = self.policy(ctx)
        if found is None:
            raise ServiceError("NoSuchEntity", f"The Password Policy with domain name {ctx.account_id} cannot be found.",
                               status=404)
        return found

    def get_account_password_policy(self, ctx: RequestContext, params: dict) -> dict:
        policy = dict(self._existing(ctx))
        policy["ExpirePasswords"] = bool(policy["MaxPasswordAge"])
        for member in ("MaxPasswordAge", "PasswordReusePrevention"):
            if not policy[member]:
                del policy[member]  # left out until set, as IAM answers
        return {"PasswordPolicy": policy}

    def delete_account_password_policy(self, ctx: RequestContext, params: dict) -> dict:
        self._existing(ctx)
        settings = self.state.account(ctx.global_scope)
        settings.password_policy = None
        self.state.save_account(ctx.global_scope, settings)
        return {}
