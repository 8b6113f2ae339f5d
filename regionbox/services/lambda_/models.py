"""Lambda's stored documents. Code itself is files (code.py); these say what exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

LATEST = "$LATEST"


@dataclass
class FunctionConfig:
    """One version's configuration: $LATEST (a ``Function``) or a published version (frozen)."""

    SCHEMA_VERSION: ClassVar[int] = 1

    name: str
    version: str
    runtime: str
    role: str
    handler: str
    code_sha256: str  # base64 of the zip's SHA-256, as AWS shows it
    code_size: int
    code_key: str  # the unpacked code's directory name (hex SHA-256 of the zip)
    code_unzipped: int
    last_modified: str
    revision_id: str
    description: str = ""
    timeout: int = 3
    memory: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    layers: list[dict] = field(default_factory=list)  # [{"Arn", "CodeSize"}]
    architectures: list[str] = field(default_factory=lambda: ["x86_64"])
    ephemeral_storage: int = 512
    tracing: str = "PassThrough"
    dead_letter_target: str | None = None
    kms_key_arn: str | None = None
    logging: dict = field(default_factory=dict)  # LoggingConfig as given (LogGroup, LogFormat ...)
    vpc: dict | None = None
    file_systems: list[dict] = field(default_factory=list)
    state: str = "Pending"
    state_reason: str | None = "The function is being created."
    state_reason_code: str | None = "Creating"
    last_update_status: str | None = None
    last_update_reason: str | None = None
    last_update_reason_code: str | None = None


@dataclass
class Function(FunctionConfig):
    """A function: its $LATEST configuration and what belongs to the function as a whole."""

    created: float = 0.0
    tags: dict[str, str] = field(default_factory=dict)
    reserved_concurrency: int | None = None
    last_version: int = 0  # the highest version ever published (numbers are never reused)
    recursion: str = "Terminate"
    runtime_update: dict = field(default_factory=lambda: {"UpdateRuntimeOn": "Auto"})
    code_signing_config: str | None = None  # a CodeSigningConfig's ARN


@dataclass
class Alias:
    SCHEMA_VERSION: ClassVar[int] = 1

    function: str
    name: str
    version: str
    revision_id: str
    description: str = ""
    weights: dict[str, float] = field(default_factory=dict)  # additional version -> weight (0..1)


@dataclass
class LayerVersion:
    SCHEMA_VERSION: ClassVar[int] = 1

    name: str
    version: int
    created: str
    code_sha256: str
    code_size: int
    code_key: str
    code_unzipped: int = 0
    description: str = ""
    runtimes: list[str] = field(default_factory=list)
    architectures: list[str] = field(default_factory=list)
    license: str | None = None
    statements: list[dict] = field(default_factory=list)
    policy_revision: str = ""


@dataclass
class Policy:
    """A function's resource-based policy, of the function or of one version or alias."""

    SCHEMA_VERSION: ClassVar[int] = 1

    function: str
    qualifier: str  # "" for the unqualified function
    statements: list[dict] = field(default_factory=list)
    revision_id: str = ""
    header: dict = field(default_factory=dict)  # Version and Id of a document given whole (PutResourcePolicy)


@dataclass
class InvokeConfig:
    """PutFunctionEventInvokeConfig: how asynchronous invocations are retried and where they go."""

    SCHEMA_VERSION: ClassVar[int] = 1

    function: str
    qualifier: str
    last_modified: float
    max_retries: int | None = None
    max_age: int | None = None
    destination: dict = field(default_factory=dict)


@dataclass
class QueuedEvent:
    """An asynchronous invocation, kept until it has run (or run out of retries and age)."""

    SCHEMA_VERSION: ClassVar[int] = 1

    id: str  # the request id Invoke answered
    function: str
    qualifier: str
    payload: str
    enqueued: float
    due: float
    attempts: int = 0
    throttles: int = 0
    # Who sent it, for the destination record and for loops (s3, logs, lambda destinations).
    source: dict = field(default_factory=dict)


@dataclass
class EventSourceMapping:
    SCHEMA_VERSION: ClassVar[int] = 1

    uuid: str
    function_arn: str  # as given: unqualified, or qualified by a version or alias
    source_arn: str
    batch_size: int
    starting_position: str
    last_modified: float
    state: str = "Creating"
    state_reason: str = "USER_INITIATED"
    enabled: bool = True
    window: int = 0  # MaximumBatchingWindowInSeconds
    filters: list[dict] = field(default_factory=list)
    destination: dict = field(default_factory=dict)
    max_age: int = -1
    bisect: bool = False
    max_retries: int = -1
    parallelization: int = 1
    response_types: list[str] = field(default_factory=list)
    tumbling: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    last_result: str = "No records processed"
    # Where each shard was read to (the last sequence number handled) and the shards done with.
    positions: dict[str, str] = field(default_factory=dict)
    finished: list[str] = field(default_factory=list)
    started: bool = False  # its starting position has been fixed in ``positions``


@dataclass
class FunctionUrl:
    """A function URL: of the unqualified function or of one alias (key ``<function>:<alias or "">``)."""

    SCHEMA_VERSION: ClassVar[int] = 1

    function: str
    qualifier: str  # "" or an alias name
    url_id: str  # the URL's host label (32 lowercase letters and digits, as on AWS)
    auth_type: str  # NONE or AWS_IAM
    created: str
    last_modified: str
    invoke_mode: str = "BUFFERED"
    cors: dict | None = None


@dataclass
class ProvisionedConcurrency:
    """PutProvisionedConcurrencyConfig on a version or an alias (key ``<function>:<qualifier>``)."""

    SCHEMA_VERSION: ClassVar[int] = 1

    function: str
    qualifier: str
    requested: int
    last_modified: str


@dataclass
class CodeSigningConfig:
    SCHEMA_VERSION: ClassVar[int] = 1

    id: str  # csc-<17 hex>
    arn: str
    last_modified: str
    description: str = ""
    publishers: list[str] = field(default_factory=list)  # signing profile version ARNs
    untrusted: str = "Warn"  # CodeSigningPolicies.UntrustedArtifactOnDeployment
    tags: dict[str, str] = field(default_factory=dict)
