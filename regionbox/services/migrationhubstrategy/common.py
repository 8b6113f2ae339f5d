"""What Strategy Recommendations' handlers share: its errors, its page rule, the ordering and
filters of its listings."""

from __future__ import annotations

from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, status=404)


PAGES = PageRule(default=100, minimum=1, maximum=100, token="nextToken", size="maxResults",
                 out_of_range=lambda n: invalid(f"maxResults must be between 1 and 100, got {n}."),
                 bad_token=lambda t: invalid("The nextToken is not valid."))


def with_token(result: dict, token: str | None) -> dict:
    if token:
        result["nextToken"] = token
    return result


def in_groups(resource_groups: list[dict], wanted: list[dict] | None) -> bool:
    """groupIdFilter: every group asked for is one the resource was imported with."""
    return not wanted or all(group in resource_groups for group in wanted)


def strategy_summary(strategies: list[str]) -> list[dict]:
    counts: dict[str, int] = {}
    for strategy in strategies:
        counts[strategy] = counts.get(strategy, 0) + 1
    return [{"strategy": s, "count": n} for s, n in sorted(counts.items())]
