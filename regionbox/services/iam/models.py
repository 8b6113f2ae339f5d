"""IAM state: roles (with their trust policy), users and groups, their inline and attached
policies; managed policies; MFA devices, identity providers, certificates and the account's own
settings."""

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
    # A service-linked role: the AWS service it belongs to ("elasticache.amazonaws.com")
    service_linked: str | None = None


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
    # {"CreateDate", "PasswordResetRequired", "Hash", "Salt"} and the hashes of earlier passwords
    login_profile: dict | None = None
    password_history: list[str] = field(default_factory=list)
    password_last_used: float | None = None
    password_last_changed: float | None = None
    # [{"CertificateId", "CertificateBody", "Status", "UploadDate"}]
    signing_certificates: list[dict] = field(default_factory=list)
    # [{"SSHPublicKeyId", "Fingerprint", "SSHPublicKeyBody", "Status", "UploadDate"}]
    ssh_public_keys: list[dict] = field(default_factory=list)
    # [{"ServiceSpecificCredentialId", "ServiceName", "ServiceUserName", "ServicePassword", "Status", "CreateDate"}]
    service_credentials: list[dict] = field(default_factory=list)


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


@dataclass
class Group:
    """A group: its members (user names as stored) and its inline and attached policies, which
    count for every member (principals.py)."""

    name: str
    group_id: str
    arn: str
    path: str
    create_date: float
    inline_policies: dict[str, str] = field(default_factory=dict)
    attached_policies: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    # Entities' common shape: groups carry neither a boundary nor tags on AWS.
    permissions_boundary: None = None
    tags: list[dict] = field(default_factory=list)


@dataclass
class VirtualMfaDevice:
    """A virtual MFA device: its TOTP seed, and the user it is enabled for (None until then)."""

    name: str
    serial: str  # the device's ARN
    path: str
    seed: str  # Base32, as CreateVirtualMFADevice returns it
    create_date: float
    user_name: str | None = None
    enable_date: float | None = None
    tags: list[dict] = field(default_factory=list)
    # The TOTP step of the last code accepted: a code is never accepted twice.
    last_step: int = 0


@dataclass
class AccountSettings:
    """What IAM keeps for the account itself (one document per account)."""

    password_policy: dict | None = None
    aliases: list[str] = field(default_factory=list)
    credential_report: dict | None = None  # {"generated": epoch, "content": csv text}
    sts_token_version: str = "v1Token"
    outbound_issuer: str | None = None  # the issuer URL, once outbound web identity federation was enabled
    outbound_enabled: bool = False
    properties: dict[str, str] = field(default_factory=dict)


@dataclass
class OidcProvider:
    url: str  # without "https://", as in the ARN
    arn: str
    create_date: float
    client_ids: list[str] = field(default_factory=list)
    thumbprints: list[str] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    context_provider: dict | None = None  # trusted identity propagation (identity_propagation.py)


@dataclass
class SamlProvider:
    name: str
    arn: str
    uuid: str
    metadata: str
    create_date: float
    valid_until: float
    entity_id: str  # the IdP's entityID from the metadata: an assertion's Issuer must be it
    certificates: list[str] = field(default_factory=list)  # base64 DER signing certificates of the IdP
    assertion_encryption_mode: str = "Allowed"
    tags: list[dict] = field(default_factory=list)
    context_provider: dict | None = None  # trusted identity propagation (identity_propagation.py)
    # The keys that decrypt the IdP's encrypted assertions: {"KeyId", "Timestamp", "Pem"}, at most two
    private_keys: list[dict] = field(default_factory=list)


@dataclass
class ServerCertificate:
    name: str
    certificate_id: str
    arn: str
    path: str
    body: str
    chain: str | None
    upload_date: float
    expiration: float
    tags: list[dict] = field(default_factory=list)


@dataclass
class DeletionTask:
    """DeleteServiceLinkedRole's task (GetServiceLinkedRoleDeletionStatus)."""

    task_id: str
    role_name: str
    status: str  # SUCCEEDED / FAILED
    reason: dict | None = None


@dataclass
class KeyUse:
    """The last use of a user's access key (GetAccessKeyLastUsed)."""

    when: float
    service: str
    region: str


@dataclass
class LastAccessedJob:
    """GenerateServiceLastAccessedDetails' job: the entity and its report, computed at once."""

    job_id: str
    arn: str
    granularity: str
    created: float
    services: list[dict] = field(default_factory=list)
    entities: dict[str, list[dict]] = field(default_factory=dict)  # namespace -> EntityDetails
