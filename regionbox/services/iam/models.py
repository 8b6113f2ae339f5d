"""IAM state: roles with their trust policy and inline policies."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Role:
    name: str
    role_id: str
    arn: str
    path: str
    # Kept exactly as the caller sent it: IAM returns the document it was given (URL-encoded).
    assume_role_policy_document: str
    create_date: float
    max_session_duration: int = 3600
    description: str | None = None
    permissions_boundary: str | None = None
    tags: list[dict] = field(default_factory=list)
    # policy name -> document, in the order they were added (ListRolePolicies sorts by name)
    inline_policies: dict[str, str] = field(default_factory=dict)
    last_used: float | None = None
    last_used_region: str | None = None
