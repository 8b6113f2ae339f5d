"""Tags on IAM resources: at most 50 per resource, keys unique regardless of case.

One ``Tagging`` serves every taggable resource (roles, users, policies, instance profiles, MFA
devices, OIDC and SAML providers, server certificates): Tag*/Untag*/List*Tags differ only in how
the resource is found. IAM's rule on case: for users and roles a key differing only in case is
the same key (tagging ``department=hr`` replaces ``Department=finance``); for the other resources
keys are case sensitive.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Callable, Iterable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid

TAGS_MAX = 50
_TAG_CHARACTERS = set("_.:/=+-@")
TAG_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"


def _valid_text(text: str) -> bool:
    # IAM's pattern [\p{L}\p{Z}\p{N}_.:/=+\-@]*: letters, separators, numbers and a few symbols.
    return all(c in _TAG_CHARACTERS or unicodedata.category(c)[0] in "LZN" for c in text)


def _check_characters(tags: list[dict]) -> None:
    for index, tag in enumerate(tags, 1):
        if not _valid_text(tag["Key"]):
            raise invalid(f"1 validation error detected: Value '{tag['Key']}' at 'tags.{index}.member.key' failed to "
                          f"satisfy constraint: Member must satisfy regular expression pattern: {TAG_PATTERN}")
        value = tag.get("Value", "")
        if value and not _valid_text(value):
            raise invalid(f"1 validation error detected: Value '{value}' at 'tags.{index}.member.value' failed to "
                          f"satisfy constraint: Member must satisfy regular expression pattern: [\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]*")


def checked_tags(tags: list[dict], existing: Iterable[dict] = (), case_insensitive: bool = True) -> list[dict]:
    """``existing`` with ``tags`` added or replaced, in IAM's order (first set first)."""
    _check_characters(tags)
    fold = (lambda key: key.lower()) if case_insensitive else (lambda key: key)
    merged = {fold(t["Key"]): t for t in existing}
    seen: set[str] = set()
    for tag in tags:
        if tag["Key"].lower() in seen:
            raise ServiceError("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        seen.add(tag["Key"].lower())
        merged[fold(tag["Key"])] = {"Key": tag["Key"], "Value": tag.get("Value", "")}
    if len(merged) > TAGS_MAX:
        raise ServiceError("LimitExceeded", "The number of tags has reached the maximum limit.", status=409)
    return list(merged.values())


class Tagging:
    """Tag, Untag and List...Tags of one kind of resource: ``find(ctx, params)`` gives the
    resource the request names (with a ``tags`` list), ``save(ctx, resource)`` stores it."""

    def __init__(self, find: Callable[[RequestContext, dict], Any], save: Callable[[RequestContext, Any], None],
                 listing, case_insensitive: bool = False) -> None:
        self.find = find
        self.save = save
        self.listing = listing
        self.case_insensitive = case_insensitive

    def tag(self, ctx: RequestContext, params: dict) -> dict:
        resource = self.find(ctx, params)
        resource.tags = checked_tags(params["Tags"], resource.tags, self.case_insensitive)
        self.save(ctx, resource)
        return {}

    def untag(self, ctx: RequestContext, params: dict) -> dict:
        resource = self.find(ctx, params)
        fold = (lambda key: key.lower()) if self.case_insensitive else (lambda key: key)
        removed = {fold(key) for key in params["TagKeys"]}
        resource.tags = [t for t in resource.tags if fold(t["Key"]) not in removed]
        self.save(ctx, resource)
        return {}

    def list_tags(self, ctx: RequestContext, params: dict) -> dict:
        return self.listing.page("Tags", self.find(ctx, params).tags, params)
