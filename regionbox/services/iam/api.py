"""What IAM offers other services (``cloud.services.api("iam")``): STS finds the role it is asked
to assume, asks whether the role's trust policy lets the caller in, checks a session policy, and
records that the role was used. Nothing else of IAM's state is handed out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from regionbox.core import clock
from regionbox.core.arns import Arn
from regionbox.services.iam import policy
from regionbox.services.iam.models import Role
from regionbox.services.iam.state import IamState, global_scope


@dataclass(frozen=True)
class RoleInfo:
    """A role as other services see it: read-only."""

    account: str
    name: str
    arn: str
    role_id: str
    max_session_duration: int


class IamApi:
    def __init__(self, state: IamState) -> None:
        self._roles = state.roles

    def _stored(self, account: str, name: str) -> Role | None:
        return self._roles.get(global_scope(account), name.lower())

    def role(self, account: str, name: str) -> RoleInfo | None:
        found = self._stored(account, name)
        if found is None:
            return None
        return RoleInfo(account=account, name=found.name, arn=found.arn, role_id=found.role_id,
                        max_session_duration=found.max_session_duration)

    def role_by_arn(self, role_arn: str) -> RoleInfo | None:
        """The role an ARN names, if it exists with exactly that ARN (path included)."""
        try:
            arn = Arn.parse(role_arn)
        except ValueError:
            return None
        if arn.service != "iam" or not arn.resource.startswith("role/"):
            return None
        found = self.role(arn.account, arn.resource.rsplit("/", 1)[-1])
        return found if found is not None and found.arn == role_arn else None

    def trust_allows(self, role: RoleInfo, *, account_id: str, principal_arn: str, action: str,
                     aliases: list[str], context: dict[str, Any]) -> bool:
        """Whether the role's trust policy allows ``action`` (sts:AssumeRole, sts:TagSession ...)
        to the principal; False for a role deleted meanwhile."""
        found = self._stored(role.account, role.name)
        if found is None or found.arn != role.arn:
            return False
        trust = policy.parse(found.assume_role_policy_document, trust=True)
        request = policy.Request(account_id=account_id, principal_arn=principal_arn, action=action,
                                 aliases=aliases, context=context)
        return policy.allows(trust, request)

    def check_session_policy(self, document: str) -> None:
        """Raise IAM's MalformedPolicyDocument error for a session policy IAM would refuse."""
        policy.parse(document, trust=False)

    def mark_role_used(self, role: RoleInfo, region: str) -> None:
        """Record the role's last use (GetRole's RoleLastUsed)."""
        found = self._stored(role.account, role.name)
        if found is None or found.arn != role.arn:
            return
        found.last_used, found.last_used_region = clock.epoch(), region
        self._roles.put(global_scope(role.account), found.name.lower(), found)
