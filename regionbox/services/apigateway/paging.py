"""API Gateway's listings: ``position`` and ``limit`` in, ``items`` and ``position`` out."""

from __future__ import annotations

from typing import Any, Sequence

from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.apigateway.state import bad_request

PAGES = PageRule(token="position", size="limit", default=25, minimum=1, maximum=500,
                 out_of_range=lambda n: bad_request("Invalid limit specified. Limit must be between 1 and 500."),
                 bad_token=lambda t: bad_request("Invalid position parameter"))


def listing(paginator: Paginator, items: Sequence, params: dict, query: Any = None) -> dict:
    page, position = paginator.paginate(items, params, PAGES, query)
    result: dict[str, Any] = {"items": page}
    if position is not None:
        result["position"] = position
    return result
