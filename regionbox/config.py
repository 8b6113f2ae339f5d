"""Settings, from command-line flags or REGIONBOX_* environment variables (flags win).

This is the only module that reads the environment: every knob of every service is a field here,
documented in the README's settings table.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs


def _env(name: str, default: str) -> str:
    return os.environ.get(f"REGIONBOX_{name}", default)


def _flag(name: str, default: str = "0") -> bool:
    return _env(name, default).lower() in ("1", "true", "yes", "on")


def _list(name: str) -> list[str]:
    return [item.strip() for item in _env(name, "").split(",") if item.strip()]


def default_state_dir() -> Path:
    return Path(platformdirs.user_data_dir("regionbox"))


def botocore_data_path() -> str:
    """Where botocore looks for models besides its own (AWS_DATA_PATH): regionbox then loads
    models through botocore's loader, as the SDKs talking to it would."""
    return os.environ.get("AWS_DATA_PATH", "")


def client_endpoint() -> str:
    """Where the `regionbox` command finds a running cloud (status, az ...)."""
    return os.environ.get("REGIONBOX_ENDPOINT", os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"))


@dataclass(frozen=True)
class AwsCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    region: str


def aws_credentials(profile: str | None = None) -> AwsCredentials:
    """The usual AWS credentials and Region, as the SDKs find them, for regionbox's own clients
    (the discovery agent): AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the
    profile (``profile``, AWS_PROFILE or "default") of ~/.aws/credentials and ~/.aws/config;
    AWS_REGION / AWS_DEFAULT_REGION, else the profile's region."""
    import configparser

    name = profile or os.environ.get("AWS_PROFILE", "default")
    files = configparser.ConfigParser()
    files.read([os.environ.get("AWS_SHARED_CREDENTIALS_FILE", os.path.expanduser("~/.aws/credentials"))])
    stored = dict(files[name]) if files.has_section(name) else {}
    settings = configparser.ConfigParser()
    settings.read([os.environ.get("AWS_CONFIG_FILE", os.path.expanduser("~/.aws/config"))])
    section = "default" if name == "default" else f"profile {name}"
    configured = dict(settings[section]) if settings.has_section(section) else {}
    from_env = "AWS_ACCESS_KEY_ID" in os.environ and profile is None
    return AwsCredentials(
        access_key_id=os.environ["AWS_ACCESS_KEY_ID"] if from_env else stored.get("aws_access_key_id", ""),
        secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "") if from_env else stored.get("aws_secret_access_key", ""),
        session_token=os.environ.get("AWS_SESSION_TOKEN", "") if from_env else stored.get("aws_session_token", ""),
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or configured.get("region", ""))


@dataclass
class Config:
    host: str = field(default_factory=lambda: _env("HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(_env("PORT", "4566")))
    state_dir: Path | None = field(default_factory=lambda: Path(_env("STATE_DIR", "")) if _env("STATE_DIR", "") else None)
    ephemeral: bool = field(default_factory=lambda: _flag("EPHEMERAL"))
    default_account: str = field(default_factory=lambda: _env("DEFAULT_ACCOUNT", "000000000000"))
    default_region: str = field(default_factory=lambda: _env("DEFAULT_REGION", "us-east-1"))
    # Host names (fnmatch patterns) a browser may reach regionbox by, besides addresses,
    # localhost and *.localhost: anything else is refused, which stops DNS rebinding.
    allowed_hosts: list[str] = field(default_factory=lambda: _list("ALLOWED_HOSTS"))
    # Web origins whose pages may call regionbox (CORS), e.g. http://localhost:3000 for a
    # browser app using the AWS SDK; "*" allows every origin. Other cross-site requests are refused.
    cors_origins: list[str] = field(default_factory=lambda: _list("CORS_ORIGINS"))
    # IAM evaluates every request of a user or role (not of an account's root) as AWS does;
    # "0" turns that off, for a permissive cloud where any key may do anything.
    iam_enforcement: bool = field(default_factory=lambda: _flag("IAM_ENFORCEMENT", "1"))
    # Import the protocol machinery on a second thread once ready (the first request of any
    # service is then faster). Off for a cloud inside a test process: CPython 3.11 before 3.11.8
    # can fail ("AST constructor recursion depth mismatch") when two threads compile at once, and
    # pytest compiles every module it rewrites.
    warm_up: bool = True
    # Seconds a client has to send a request's headers; idle keep-alive connections close after
    # keep_alive_timeout (the AWS SDKs reuse connections; ALB's default idle timeout is 60 s).
    header_timeout: float = field(default_factory=lambda: float(_env("HEADER_TIMEOUT", "10")))
    keep_alive_timeout: float = field(default_factory=lambda: float(_env("KEEP_ALIVE_TIMEOUT", "65")))
    # Each engine node and data-plane listener gets its own 127.x.y.z address (Linux routes 127/8
    # to lo); "0" puts them on ports of 127.0.0.1 instead.
    loopback_addresses: bool = field(default_factory=lambda: _env("LOOPBACK_ADDRESSES", "auto") != "0")
    # DynamoDB: seconds between sweeps for expired TTL items; seconds a new table or index stays
    # CREATING; when a stream shard rolls over (by age in seconds, and by record count, 0 = no limit).
    dynamodb_ttl_interval: float = field(default_factory=lambda: float(_env("DYNAMODB_TTL_INTERVAL", "2")))
    dynamodb_create_delay: float = field(default_factory=lambda: float(_env("DYNAMODB_CREATE_DELAY", "0")))
    dynamodb_shard_seconds: float = field(default_factory=lambda: float(_env("DYNAMODB_SHARD_SECONDS", str(4 * 3600))))
    dynamodb_shard_records: int = field(default_factory=lambda: int(_env("DYNAMODB_SHARD_RECORDS", "0")))
    # CloudWatch Logs: seconds between sweeps that delete events older than their group's
    # retention; how long a live tail session lasts before it ends (AWS: 3 hours).
    logs_retention_interval: float = field(default_factory=lambda: float(_env("LOGS_RETENTION_INTERVAL", "60")))
    logs_live_tail_seconds: float = field(default_factory=lambda: float(_env("LOGS_LIVE_TAIL_SECONDS", str(3 * 3600))))
    # ElastiCache: how many seconds a "day" lasts for automatic snapshots (each cluster's daily
    # snapshot in its SnapshotWindow, pruned beyond SnapshotRetentionLimit days): shorten it to
    # watch a week of backups in a test.
    elasticache_snapshot_day: float = field(default_factory=lambda: float(_env("ELASTICACHE_SNAPSHOT_DAY", "86400")))
    # RDS: seconds between the AWS/RDS metrics published to CloudWatch (AWS: 60); shorten it to
    # watch DatabaseConnections move in a test.
    # RDS: how many seconds a "day" lasts for automated backups (a snapshot daily in each instance's
    # PreferredBackupWindow, expired after BackupRetentionPeriod days): shorten it in a test.
    rds_backup_day: float = field(default_factory=lambda: float(_env("RDS_BACKUP_DAY", "86400")))
    rds_metrics_interval: float = field(default_factory=lambda: float(_env("RDS_METRICS_INTERVAL", "60")))
    # DAX: seconds between the AWS/DAX metrics published to CloudWatch (AWS: 60).
    dax_metrics_interval: float = field(default_factory=lambda: float(_env("DAX_METRICS_INTERVAL", "60")))
    # S3: seconds between lifecycle sweeps (expirations due are carried out at the next one).
    s3_lifecycle_interval: float = field(default_factory=lambda: float(_env("S3_LIFECYCLE_INTERVAL", "60")))
    # S3: how many seconds a "day" lasts for S3's clocked work: inventory reports (daily, weekly) and
    # restores from GLACIER / DEEP_ARCHIVE (hours of a day to restore, days to keep): shorten it in a test.
    s3_day: float = field(default_factory=lambda: float(_env("S3_DAY", "86400")))
    # AppSync: seconds between the "ka" keep-alives sent on a real-time WebSocket (AWS: about 60).
    appsync_keepalive_interval: float = field(default_factory=lambda: float(_env("APPSYNC_KEEPALIVE_INTERVAL", "60")))
    # Lambda: the interpreter of the python3.x runtimes ("" = the one running regionbox, which has
    # boto3 as Lambda's runtime does) and node for nodejs runtimes ("" = `node` on the PATH); seconds
    # an idle worker (a warm execution environment) is kept; the account's concurrency limit;
    # seconds a new function stays Pending; a factor on AWS's retry delays of asynchronous
    # invocations and event source mappings (1 minute, then 2: 0.01 makes them 0.6 and 1.2 s).
    lambda_python: str = field(default_factory=lambda: _env("LAMBDA_PYTHON", ""))
    lambda_node: str = field(default_factory=lambda: _env("LAMBDA_NODE", ""))
    lambda_idle_seconds: float = field(default_factory=lambda: float(_env("LAMBDA_IDLE_SECONDS", "600")))
    lambda_concurrency: int = field(default_factory=lambda: int(_env("LAMBDA_CONCURRENCY", "1000")))
    lambda_create_delay: float = field(default_factory=lambda: float(_env("LAMBDA_CREATE_DELAY", "0")))
    lambda_retry_scale: float = field(default_factory=lambda: float(_env("LAMBDA_RETRY_SCALE", "1")))
    # CloudTrail: seconds between deliveries of a logging trail's log files (AWS: within about
    # 5 minutes) and events to event data stores, and between its digest files (AWS: hourly).
    cloudtrail_delivery_interval: float = field(default_factory=lambda: float(_env("CLOUDTRAIL_DELIVERY_INTERVAL", "5")))
    cloudtrail_digest_interval: float = field(default_factory=lambda: float(_env("CLOUDTRAIL_DIGEST_INTERVAL", "3600")))

    @property
    def endpoint_url(self) -> str:
        """Where the cloud is reached from this host (AWS_ENDPOINT_URL inside functions, presigned
        download URLs): its own address, or loopback when it listens on every address."""
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

    def __post_init__(self) -> None:
        self._tmp: tempfile.TemporaryDirectory | None = None

    def resolve_state_dir(self) -> Path:
        """The state directory, created; a fresh temporary one when ephemeral."""
        if self.ephemeral:
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="regionbox-")
            path = Path(self._tmp.name)
        else:
            path = self.state_dir or default_state_dir()
        path.mkdir(parents=True, exist_ok=True)
        self.state_dir = path
        return path

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
