"""regionbox as a real process, for restart and kill -9 tests and for benchmarks."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from regionbox.engines.supervisor import kill_recorded
from regionbox.testing.clients import ClientFactory, free_port


class CloudProcess(ClientFactory):
    def __init__(self, state_dir: Path | str | None = None, port: int | None = None, extra_args: list[str] | None = None,
                 env: dict[str, str] | None = None, max_open_files: int | None = None):
        """``max_open_files``: the process's descriptor limit (RLIMIT_NOFILE), to test it under one."""
        self._tmp = None
        if state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="regionbox-proc-")
            state_dir = self._tmp.name
        self.state_dir = Path(state_dir)
        self.port = port or free_port()
        self.extra_args = extra_args or []
        self.env = env or {}
        self.max_open_files = max_open_files
        self.process: subprocess.Popen | None = None
        self.log_path = self.state_dir / "regionbox.log"
        super().__init__(f"http://127.0.0.1:{self.port}")

    def start(self, timeout: float = 30) -> "CloudProcess":
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "regionbox", "up", "--port", str(self.port), "--state-dir", str(self.state_dir), *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}, preexec_fn=self._limits,
        )
        log.close()
        self.wait_ready(timeout)
        return self

    def _limits(self) -> None:
        if self.max_open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.max_open_files, self.max_open_files))

    def wait_ready(self, timeout: float = 30) -> float:
        started = time.time()
        while time.time() - started < timeout:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"regionbox exited with {self.process.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_regionbox/health", timeout=1) as response:
                    if response.status == 200:
                        return time.time() - started
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.02)
        raise TimeoutError(f"regionbox not ready after {timeout}s: {self.log_path.read_text()[-2000:]}")

    def kill9(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)
            self.process = None

    def stop(self, timeout: float = 30) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None

    def cleanup(self) -> None:
        self.stop()
        # Engine nodes outlive a regionbox killed with -9 (a cloud restarted adopts them); a test
        # that crashed its cloud and walks away must not leave them running.
        kill_recorded(self.state_dir / "engines")
        if self._tmp is not None:
            self._tmp.cleanup()
