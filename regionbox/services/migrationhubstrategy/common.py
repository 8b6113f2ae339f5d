"""What Strategy Recommendations' handlers share: its errors, its page rule, the ordering and
filters of its listings."""

from __future__ import annotations

from typing import Callable, Sequence

from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator


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


def filtered_page(paginator: Paginator, items: Sequence, params: dict, criteria_member: str,
                  keeps: Callable[[object, str, str | None], bool], name: Callable[[object], str]) -> tuple[list, str | None]:
    """ListServers' and ListApplicationComponents' rule: a criterion with its filterValue, then
    by name (``sort`` ASC or DESC), a page at a time."""
    criteria, value = params.get(criteria_member) or "NOT_DEFINED", params.get("filterValue")
    if criteria != "NOT_DEFINED" and value is None:
        raise invalid(f"filterValue is required when {criteria_member} is {criteria}.")
    kept = sorted((item for item in items if criteria == "NOT_DEFINED" or keeps(item, criteria, value)),
                  key=lambda item: (name(item).lower(), item.id), reverse=params.get("sort") == "DESC")
    query = [criteria, value, params.get("sort"), params.get("groupIdFilter")]
    return paginator.paginate(kept, params, PAGES, query=query)
