"""Which runtimes this machine runs, and with what.

python3.x functions run under one Python interpreter (the one running regionbox unless
``REGIONBOX_LAMBDA_PYTHON`` names another; it has boto3, as Lambda's Python runtimes do), whatever
minor version the function names; nodejs functions under ``node`` when it is installed. Other
runtimes (Java, .NET, Ruby, custom runtimes, container images) are accepted as AWS accepts them,
and an invocation answers that this machine cannot run them.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys

# Runtimes AWS no longer takes for new functions or updates (CreateFunction refuses them).
DEPRECATED = {"python2.7", "python3.6", "python3.7", "nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10",
              "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1",
              "dotnetcore3.1", "ruby2.5", "ruby2.7", "java8", "go1.x", "provided"}


class Runtimes:
    def __init__(self, python: str = "", node: str = "") -> None:
        self.python = python or sys.executable
        self.node = node or shutil.which("node") or ""

    @staticmethod
    def language(runtime: str) -> str | None:
        if runtime.startswith("python3"):
            return "python"
        if runtime.startswith("nodejs"):
            return "node"
        return None

    def argv(self, runtime: str) -> tuple[str, ...] | None:
        """The interpreter command for a runtime, or None when this machine cannot run it."""
        language = self.language(runtime)
        if language == "python":
            return (self.python, "-u")
        if language == "node" and self.node:
            return (self.node,)
        return None

    def unavailable(self, runtime: str) -> str:
        if self.language(runtime) == "node":
            return f"The runtime {runtime} needs Node.js, which is not installed on the machine running regionbox " \
                   "(install nodejs, or set REGIONBOX_LAMBDA_NODE)."
        return f"regionbox runs python3.x and nodejs runtimes; {runtime} cannot run on this machine."

    @functools.cached_property
    def python_version(self) -> str:
        if self.python == sys.executable:
            return sys.version.split()[0]
        return _version([self.python, "-c", "import sys; print(sys.version.split()[0])"])

    @functools.cached_property
    def node_version(self) -> str:
        return _version([self.node, "--version"]).lstrip("v") if self.node else ""

    def describe(self) -> dict[str, str]:
        """For `regionbox status`: what runs each runtime family (Python's version, whether node is installed)."""
        node = (f"node {self.node_version} ({self.node}) runs nodejs runtimes" if self.node
                else "not available: install Node.js (nodejs) for nodejs runtimes")
        return {"lambda-python": f"Python {self.python_version} ({self.python}) runs every python3.x runtime",
                "lambda-nodejs": node,
                "lambda-other": "java, dotnet, ruby, provided (custom) runtimes and container images are not run"}


def _version(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@functools.cache
def describe_machine(python: str, node: str) -> dict[str, str]:
    """The runtimes of this machine (for `regionbox status` before Lambda is loaded); the
    versions are asked once per process."""
    return Runtimes(python, node).describe()
