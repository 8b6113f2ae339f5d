"""Request handling every EC2 operation shares."""

from __future__ import annotations

from regionbox.core.errors import ServiceError


def check_dry_run(params: dict) -> None:
    """DryRun=true: EC2 answers that the request would have succeeded, and does nothing."""
    if params.get("DryRun"):
        raise ServiceError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", status=412)
