"""Paging of DescribeLogGroups and DescribeLogStreams by sort key.

The token holds the sort key of the last item handed out, not an offset, so pages stay right
while groups and streams are created and deleted between calls.
"""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core.errors import invalid
from regionbox.core.pagination import InvalidToken, Paginator


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
