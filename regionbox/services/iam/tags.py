"""Tags on IAM resources: keys unique regardless of case, at most 50 per resource."""

from __future__ import annotations

from typing import Iterable

from regionbox.core.errors import ServiceError

TAGS_MAX = 50


def checked_tags(tags: list[dict], existing: Iterable[dict] = ()) -> list[dict]:
    """``existing`` with ``tags`` added or replaced, in IAM's order (first set first)."""
    merged = {t["Key"]: t for t in existing}
    seen: set[str] = set()
    for tag in tags:
        if tag["Key"].lower() in seen:
            raise ServiceError("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        seen.add(tag["Key"].lower())
        merged[tag["Key"]] = {"Key": tag["Key"], "Value": tag.get("Value", "")}
    if len(merged) > TAGS_MAX:
        raise ServiceError("LimitExceeded", "The number of tags has reached the maximum limit.", status=409)
    return list(merged.values())
