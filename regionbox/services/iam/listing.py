"""Marker / MaxItems paging, the one way every IAM List* pages."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from regionbox.core.errors import invalid
from regionbox.core.pagination import PageRule, Paginator


def _out_of_range(size: int) -> Exception:
    bound = "greater than or equal to 1" if size < 1 else "less than or equal to 1000"
    return invalid(f"1 validation error detected: Value '{size}' at 'maxItems' failed to satisfy constraint: "
                   f"Member must have value {bound}")


MARKER = PageRule(token="Marker", size="MaxItems", default=100, minimum=1, maximum=1000,
                  out_of_range=_out_of_range, bad_token=lambda marker: invalid("Invalid Marker."))


class Listing:
    def __init__(self, paginator: Paginator) -> None:
        self.paginator = paginator

    def page(self, member: str, items: Sequence, params: dict, shape: Callable[[Any], Any] | None = None) -> dict:
        """``{member: [...], "IsTruncated": ..., "Marker": ...}``: the page of ``items`` the
        request's Marker and MaxItems ask for, each item passed through ``shape``."""
        page, marker = self.paginator.paginate(items, params, MARKER)
        result: dict = {member: [shape(item) for item in page] if shape else page, "IsTruncated": marker is not None}
        if marker:
            result["Marker"] = marker
        return result
