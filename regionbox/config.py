"""Settings, from command-line flags or REGIONBOX_* environment variables (flags win)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs


def _env(name: str, default: str) -> str:
    return os.environ.get(f"REGIONBOX_{name}", default)


def default_state_dir() -> Path:
    return Path(platformdirs.user_data_dir("regionbox"))


@dataclass
class Config:
    host: str = field(default_factory=lambda: _env("HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(_env("PORT", "4566")))
    state_dir: Path | None = field(default_factory=lambda: Path(_env("STATE_DIR", "")) if _env("STATE_DIR", "") else None)
    ephemeral: bool = field(default_factory=lambda: _env("EPHEMERAL", "0") in ("1", "true", "yes"))
    default_account: str = field(default_factory=lambda: _env("DEFAULT_ACCOUNT", "000000000000"))
    default_region: str = field(default_factory=lambda: _env("DEFAULT_REGION", "us-east-1"))
    # Each engine node gets its own 127.x.y.z address (Linux routes 127/8 to lo); off elsewhere.
    loopback_addresses: bool = field(default_factory=lambda: _env("LOOPBACK_ADDRESSES", "auto") != "0")

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
