"""Who is calling, in which account and region, for which operation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from regionbox.core.arns import arn, partition_of


@dataclass
class Caller:
    """The identity behind an access key, as GetCallerIdentity and CloudTrail show it."""

    account_id: str
    arn: str
    user_id: str
    access_key_id: str = ""
    # "Root", "IAMUser", "AssumedRole" (CloudTrail's userIdentity.type)
    type: str = "Root"
    # For assumed roles: the role's ARN and the session name.
    role_arn: str | None = None
    session_name: str | None = None

    @classmethod
    def root(cls, account_id: str, access_key_id: str = "") -> "Caller":
        return cls(account_id=account_id, arn=arn("iam", "", account_id, "root"), user_id=account_id, access_key_id=access_key_id)

    @classmethod
    def assumed_role(cls, role_arn: str, role_id: str, session_name: str, account_id: str | None = None,
                     access_key_id: str = "") -> "Caller":
        """A session of a role as STS names it: ``arn:aws:sts::<account>:assumed-role/<role name>/<session>``
        (without the role's path) and user id ``<role id>:<session>``. Used wherever a service acts
        as a role it was given (Lambda, Transfer, CloudTrail, AppSync, DAX) and by STS itself."""
        parts = role_arn.split(":", 5)  # (a role named by a custom identity provider may be no ARN at all)
        partition = parts[1] if len(parts) == 6 else "aws"
        account = account_id or (parts[4] if len(parts) == 6 else "")
        role_name = role_arn.rsplit("/", 1)[-1]
        return cls(account_id=account, arn=arn("sts", "", account, f"assumed-role/{role_name}/{session_name}", partition),
                   user_id=f"{role_id}:{session_name}", access_key_id=access_key_id, type="AssumedRole",
                   role_arn=role_arn, session_name=session_name)


@dataclass
class RequestContext:
    caller: Caller
    region: str
    request_id: str
    service: str = ""
    operation: str = ""
    source_ip: str = "127.0.0.1"
    user_agent: str = ""
    # Resources a provider touched, for the audit trail: [{"ResourceType": ..., "ResourceName": ...}]
    resources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def account_id(self) -> str:
        return self.caller.account_id

    @property
    def scope(self) -> tuple[str, str]:
        """Store scope for regional resources."""
        return (self.caller.account_id, self.region)

    @property
    def global_scope(self) -> tuple[str, str]:
        """Store scope for global resources (IAM)."""
        return (self.caller.account_id, "")

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        """The ARN of the caller's resource: ``ctx.arn("dynamodb", "table/Music")``; global
        resources (IAM) have no region: ``ctx.arn("iam", "role/r", regional=False)``."""
        return arn(service, self.region if regional else "", self.account_id, resource, self.partition)

    def touched(self, resource_type: str, name: str) -> None:
        self.resources.append({"ResourceType": resource_type, "ResourceName": name})
