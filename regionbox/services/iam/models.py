"""IAM state: roles (with their trust policy) and users, their inline and attached policies;
managed policies."""

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
    # ARNs of attached managed policies, in attachment order
    attached_policies: list[str] = field(default_factory=list)


@dataclass
class User:
    name: str
    user_id: str
    arn: str
    path: str
    create_date: float
    permissions_boundary: str | None = None
    tags: list[dict] = field(default_factory=list)
    inline_policies: dict[str, str] = field(default_factory=dict)
    attached_policies: list[str] = field(default_factory=list)
    # [{"AccessKeyId", "Status", "CreateDate"}]; secrets live in the credential registry only
    access_keys: list[dict] = field(default_factory=list)


@dataclass
class InstanceProfile:
    name: str
    profile_id: str
    arn: str
    path: str
    create_date: float
    role_names: list[str] = field(default_factory=list)  # at most one, as on AWS
    tags: list[dict] = field(default_factory=list)


@dataclass
class PolicyVersion:
    version_id: str  # "v1", "v2" ...
    document: str
    create_date: float


@dataclass
class ManagedPolicy:
    """A customer managed policy: named, versioned (at most five versions), attachable."""

    name: str
    policy_id: str
    arn: str
    path: str
    create_date: float
    update_date: float
    default_version_id: str
    versions: list[PolicyVersion]
    next_version: int = 2
    description: str | None = None
    tags: list[dict] = field(default_factory=list)
    attachment_count: int = 0
