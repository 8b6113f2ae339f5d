"""CloudTrail's pages: a NextToken and a page size (MaxResults, 1 to 1000 for Lake's listings),
with AWS's errors for a size out of range and a token that is not one."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.cloudtrail import errors


def rule(*, size: str = "MaxResults", default: int = 1000, maximum: int = 1000) -> PageRule:
    return PageRule(token="NextToken", size=size, default=default, maximum=maximum,
                    out_of_range=lambda n: errors.max_results(), bad_token=lambda t: errors.next_token())


LISTING = rule()


def listed(paginator: Paginator, items: Sequence, params: dict, page_rule: PageRule, query: Any, member: str,
           shape: Callable[[Any], Any]) -> dict:
    """The output of a listing: ``member`` holds the page's items as ``shape`` renders them, and
    NextToken is there when more follow."""
    page, token = paginator.paginate(items, params, page_rule, query=query)
    result: dict = {member: [shape(item) for item in page]}
    if token:
        result["NextToken"] = token
    return result
