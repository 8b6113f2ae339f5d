"""A function's execution role: checked when the function is created (Lambda must be able to
assume it), and the session credentials its code runs with.

As on AWS, Lambda assumes the role (session name: the function's name) and hands the session's
keys to the function as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN. The keys are
registered in the cloud's credential registry, so a call the function makes with boto3 is signed
with them and evaluated by IAM as the role's session: the function can do what its role allows,
in the role's account, and nothing else.
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core import clock, ids
from regionbox.core.context import Caller
from regionbox.core.credentials import CredentialRegistry, IssuedCredentials
from regionbox.core.errors import ServiceError

SESSION_SECONDS = 12 * 3600
RENEW_BEFORE = 3600  # a worker started later gets a fresh session once less than this is left
PRINCIPAL = "lambda.amazonaws.com"


def cannot_assume() -> ServiceError:
    return ServiceError("InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.",
                        Type="User")


class ExecutionRoles:
    def __init__(self, credentials: CredentialRegistry, iam: Callable[[], Any]) -> None:
        self.credentials = credentials
        self.iam = iam  # IAM's API, reached when a role is first checked
        self._sessions: dict[tuple[str, str], tuple[dict[str, str], float]] = {}

    def check(self, role_arn: str) -> None:
        """AWS's refusal of a role that does not exist or does not trust Lambda."""
        iam = self.iam()
        if iam.role_by_arn(role_arn) is None or not iam.service_allowed(iam.trust_policy(role_arn), PRINCIPAL,
                                                                        "sts:AssumeRole", role_arn, {}):
            raise cannot_assume()

    def session(self, role_arn: str, function: str, region: str) -> dict[str, str]:
        """The environment variables of a session of the role for the function."""
        cached = self._sessions.get((role_arn, function))
        if cached is not None and cached[1] - clock.epoch() > RENEW_BEFORE:
            return cached[0]
        iam = self.iam()
        role = iam.role_by_arn(role_arn)
        role_id = role.role_id if role else "AROA" + ids.upper_id("", 17)
        issued = IssuedCredentials.session(Caller.assumed_role(role_arn, role_id, function), SESSION_SECONDS)
        self.credentials.register(issued)
        if role is not None:
            iam.mark_role_used(role, region)
        variables = {"AWS_ACCESS_KEY_ID": issued.access_key_id, "AWS_SECRET_ACCESS_KEY": issued.secret_access_key,
                     "AWS_SESSION_TOKEN": issued.session_token}
        self._sessions[(role_arn, function)] = (variables, issued.expiration)
        return variables

    def forget(self) -> None:
        self._sessions.clear()
