"""Transfer Family's stored documents: servers (with their host keys and the loopback addresses
their endpoints listen on), users (with their SSH public keys), workflows and their executions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class HostKey:
    host_key_id: str
    body: str  # the private key, OpenSSH or PEM format, as imported (or generated)
    type: str  # ssh-rsa, ecdsa-sha2-nistp256, ssh-ed25519 ...
    fingerprint: str  # SHA256:...
    imported: float
    description: str = ""
    tags: list[dict] = field(default_factory=list)


@dataclass
class Endpoint:
    """Where one AZ's endpoint of a server listens; kept so a restart listens there again."""

    zone: str
    address: str
    sftp_port: int = 0
    ftp_port: int = 0  # FTP and FTPS share it (explicit TLS with AUTH TLS)


@dataclass
class Server:
    SCHEMA_VERSION: ClassVar[int] = 1

    server_id: str
    arn: str
    created: float
    protocols: list[str]
    identity_provider_type: str
    endpoint_type: str
    domain: str
    security_policy: str
    state: str  # OFFLINE, STARTING, ONLINE, STOPPING, START_FAILED, STOP_FAILED
    identity_provider_details: dict = field(default_factory=dict)
    endpoint_details: dict | None = None
    logging_role: str = ""
    protocol_details: dict = field(default_factory=dict)
    certificate: str = ""
    pre_banner: str = ""
    post_banner: str = ""
    tags: list[dict] = field(default_factory=list)
    workflow_details: dict | None = None
    structured_log_destinations: list[str] = field(default_factory=list)
    s3_storage_options: dict = field(default_factory=dict)
    ip_address_type: str = "IPV4"
    host_key_storage_type: str = "SERVICE_MANAGED"
    host_keys: list[HostKey] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Documents come back from the store as dicts.
        self.host_keys = [k if isinstance(k, HostKey) else HostKey(**k) for k in self.host_keys]
        self.endpoints = [e if isinstance(e, Endpoint) else Endpoint(**e) for e in self.endpoints]


@dataclass
class SshKey:
    key_id: str
    body: str
    imported: float


@dataclass
class User:
    SCHEMA_VERSION: ClassVar[int] = 1

    server_id: str
    user_name: str
    arn: str
    role: str
    home_directory: str = ""
    home_directory_type: str = "PATH"
    mappings: list[dict] = field(default_factory=list)
    policy: str = ""
    posix_profile: dict | None = None
    ssh_keys: list[SshKey] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ssh_keys = [k if isinstance(k, SshKey) else SshKey(**k) for k in self.ssh_keys]


@dataclass
class Workflow:
    SCHEMA_VERSION: ClassVar[int] = 1

    workflow_id: str
    arn: str
    steps: list[dict]
    on_exception_steps: list[dict] = field(default_factory=list)
    description: str = ""
    tags: list[dict] = field(default_factory=list)
    structured_log_destinations: list[str] = field(default_factory=list)


@dataclass
class Execution:
    SCHEMA_VERSION: ClassVar[int] = 1

    execution_id: str
    workflow_id: str
    started: float
    initial_file: dict  # {"S3FileLocation": {"Bucket", "Key", "VersionId", "Etag"}}
    user: dict  # {"UserName", "ServerId", "SessionId"}
    execution_role: str
    status: str = "IN_PROGRESS"  # IN_PROGRESS, COMPLETED, EXCEPTION, HANDLING_EXCEPTION
    posix_profile: dict | None = None
    logging: dict | None = None  # {"LoggingRole", "LogGroupName"}
    steps: list[dict] = field(default_factory=list)  # results: {"StepType", "Outputs", "Error"}
    exception_steps: list[dict] = field(default_factory=list)


@dataclass
class Connector:
    """An SFTP connector: Transfer Family as a client of a remote SFTP server."""

    SCHEMA_VERSION: ClassVar[int] = 1

    connector_id: str
    arn: str
    url: str  # sftp://host[:port]
    access_role: str
    sftp_config: dict = field(default_factory=dict)  # UserSecretId, TrustedHostKeys, MaxConcurrentConnections
    logging_role: str = ""
    security_policy: str = ""
    tags: list[dict] = field(default_factory=list)


@dataclass
class FileTransfer:
    """One StartFileTransfer: each file's status, as ListFileTransferResults shows it."""

    SCHEMA_VERSION: ClassVar[int] = 1

    connector_id: str
    transfer_id: str
    started: float
    results: list[dict] = field(default_factory=list)  # {"FilePath", "StatusCode", "FailureCode"?, "FailureMessage"?}


@dataclass
class Certificate:
    """An imported X.509 certificate (with its private key, when given) for AS2 profiles."""

    SCHEMA_VERSION: ClassVar[int] = 1

    certificate_id: str
    arn: str
    usage: str  # SIGNING, ENCRYPTION, TLS
    body: str
    serial: str
    not_before: float
    not_after: float
    active: float
    inactive: float
    chain: str = ""
    private_key: str = ""
    description: str = ""
    tags: list[dict] = field(default_factory=list)


@dataclass
class Profile:
    SCHEMA_VERSION: ClassVar[int] = 1

    profile_id: str
    arn: str
    as2_id: str
    profile_type: str  # LOCAL, PARTNER
    certificate_ids: list[str] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)


@dataclass
class Agreement:
    SCHEMA_VERSION: ClassVar[int] = 1

    agreement_id: str
    arn: str
    server_id: str
    local_profile_id: str
    partner_profile_id: str
    access_role: str
    status: str = "ACTIVE"
    base_directory: str = ""
    custom_directories: dict | None = None
    description: str = ""
    preserve_filename: str = "DISABLED"
    enforce_message_signing: str = "DISABLED"
    tags: list[dict] = field(default_factory=list)


@dataclass
class Access:
    """What members of one directory group (by its SID) get on a server with AWS_DIRECTORY_SERVICE."""

    SCHEMA_VERSION: ClassVar[int] = 1

    server_id: str
    external_id: str  # the group's SID, S-1-...
    role: str
    home_directory: str = ""
    home_directory_type: str = "PATH"
    mappings: list[dict] = field(default_factory=list)
    policy: str = ""
    posix_profile: dict | None = None
