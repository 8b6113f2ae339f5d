"""Paging of Logs' listings: DescribeLogGroups and DescribeLogStreams by sort key; every other
listing by offset with the kit's paginator (``page_of``).

The token holds the sort key of the last item handed out, not an offset, so pages stay right
while groups and streams are created and deleted between calls.
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core.errors import invalid
from regionbox.core.pagination import InvalidToken, PageRule, Paginator


class KeyPages:
    def __init__(self, paginator: Paginator) -> None:
        self.paginator = paginator

    def page(self, items: list, sort_key: Callable[[Any], tuple], params: dict, *, descending: bool = False,
             default_limit: int = 50) -> tuple[list, str | None]:
        items = sorted(items, key=sort_key, reverse=descending)
        if params.get("nextToken"):
            try:
                last = tuple(self.paginator.decode(params["nextToken"])["k"])
                items = [i for i in items if (sort_key(i) < last if descending else sort_key(i) > last)]
            except (InvalidToken, KeyError, TypeError):
                raise invalid("The specified nextToken is invalid.") from None
        limit = params.get("limit") or default_limit
        page = items[:limit]
        token = self.paginator.encode({"k": list(sort_key(page[-1]))}) if len(items) > limit else None
        return page, token


def describe_rule(maximum: int = 50, size: str = "limit") -> PageRule:
    """Logs' Describe*/List* paging: ``nextToken`` and a page size of 1..``maximum`` (the model
    checks the range first, so ``out_of_range`` only backs it up)."""
    return PageRule(
        token="nextToken", size=size, default=maximum, minimum=1, maximum=maximum,
        out_of_range=lambda n: invalid(f"1 validation error detected: Value '{n}' at '{size}' failed to satisfy "
                                       f"constraint: Member must have value less than or equal to {maximum}"),
        bad_token=lambda token: invalid("The specified nextToken is invalid."))


DESCRIBE_PAGES = describe_rule()


def page_of(paginator: Paginator, items: list, params: dict, key: str, shape: Callable[[Any], dict] | None = None,
            rule: PageRule = DESCRIBE_PAGES, query: object = None) -> dict:
    """``{key: page}`` (each item shaped) plus ``nextToken`` when more follow: the output of
    most Describe* and List* calls."""
    page, token = paginator.paginate(items, params, rule, query=query)
    result: dict = {key: [shape(item) for item in page] if shape else page}
    if token:
        result["nextToken"] = token
    return result
