"""What exports, imports and bulk puts share: a ClientToken that names one job for 8 hours, how a
job ends and says so, and ListImports' and ListBulkOperations' pages, whose NextToken the models
want in hex."""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable, TypeVar

from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import InvalidToken, Paginator

TOKEN_LIFETIME = 8 * 3600
_NEXT_TOKEN_PAD = 112  # ListImports' NextToken is hex, at least 112 characters (its model's pattern)
Job = TypeVar("Job")


def _without_token(job: Any) -> dict:
    return {k: v for k, v in job.request.items() if k != "ClientToken"}


def by_client_token(jobs: Iterable[Job], token: str | None, request: dict, conflict: ServiceError,
                    token_of: Callable[[Any], Any] = lambda job: job.request.get("ClientToken"),
                    request_of: Callable[[Any], dict] = _without_token) -> Job | None:
    """The job an earlier request with this ClientToken started (None: none); the same token with
    other parameters is ``conflict``."""
    if not token:
        return None
    for job in jobs:
        if token_of(job) == token and time.time() - job.started < TOKEN_LIFETIME:  # type: ignore[attr-defined]
            if request_of(job) != request:
                raise conflict
            return job
    return None


def finish(jobs: Any, scope: Any, arn: str, status: str, failure: tuple[str, str] | None = None, **fields: Any) -> None:
    """A job still under way (IN_PROGRESS, or CANCELLING) ends in ``status``, with its failure and
    final ``fields``; one already over stays as it is."""
    job = jobs.get(scope, arn)
    if job is None or job.status not in ("IN_PROGRESS", "CANCELLING"):
        return
    job.status, job.ended = status, time.time()
    for name, value in fields.items():
        setattr(job, name, value)
    if failure is not None:
        job.failure_code, job.failure_message = failure
    jobs.put(scope, arn, job)


def ending(job: Any, out: dict) -> dict:
    """A description's EndTime, FailureCode and FailureMessage, as far as the job has them."""
    if job.ended is not None:
        out["EndTime"] = job.ended
    if job.failure_code:
        out.update(FailureCode=job.failure_code, FailureMessage=job.failure_message)
    return out


def hex_token(paginator: Paginator, offset: int, query: str | None) -> str:
    """A signed token as ListImports' and ListBulkOperations' models want it: hex, in blocks of 16
    (ListImports: at least 112 characters)."""
    raw = paginator.encode({"o": offset, "q": query}).encode().hex()
    text = f"{len(raw):04x}{raw}"
    length = max(_NEXT_TOKEN_PAD, -(-len(text) // 16) * 16)
    return text.ljust(length, "0")


def hex_page(paginator: Paginator, jobs: list[Job], params: dict, size_member: str, query: str | None = None
             ) -> tuple[list[Job], str | None]:
    """One page of ``jobs`` and the NextToken of the next one."""
    start = 0
    if params.get("NextToken"):
        try:
            start = _offset(paginator, params["NextToken"], query)
        except (InvalidToken, ValueError):
            raise invalid(f"Invalid Request: Provided nextToken is invalid: {params['NextToken']}") from None
    size = params.get(size_member) or 25
    following = hex_token(paginator, start + size, query) if start + size < len(jobs) else None
    return jobs[start:start + size], following


def _offset(paginator: Paginator, token: str, query: str | None) -> int:
    size = int(token[:4], 16)
    payload = paginator.decode(bytes.fromhex(token[4:4 + size]).decode())
    if not isinstance(payload, dict) or payload.get("q") != query or not isinstance(payload.get("o"), int):
        raise InvalidToken(token)
    return payload["o"]
