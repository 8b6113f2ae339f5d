"""Tags on EC2 resources: CreateTags, DeleteTags, DescribeTags, and TagSpecifications on create.

A resource's tags are part of its document. EC2 allows 50 tags per resource, keys up to 128 and
values up to 256 characters, and reserves keys starting with ``aws:``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.services.ec2 import filters
from regionbox.services.ec2.common import PAGES, Describer, not_found, page
from regionbox.services.ec2.default_vpc import DefaultNetwork
from regionbox.services.ec2.state import KINDS, Ec2State, resource_id

MAX_TAGS = 50


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def with_tags(shape: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    """EC2 leaves the tag set out of a resource that has none."""
    if tags:
        shape["Tags"] = tag_list(tags)
    return shape


def checked(tags: list[dict] | None) -> dict[str, str]:
    """Tags from a request, as EC2 checks them."""
    found: dict[str, str] = {}
    for tag in tags or []:
        key, value = tag.get("Key"), tag.get("Value")
        if not key:
            raise invalid("Tag key must not be empty")
        if key.lower().startswith("aws:"):
            raise invalid(f"Value ( {key} ) for parameter key is invalid. "
                          "Tag keys starting with 'aws:' are reserved for internal use")
        if len(key) > 128:
            raise invalid("Tag key exceeds the maximum length of 128 characters")
        if value is not None and len(value) > 256:
            raise invalid("Tag value exceeds the maximum length of 256 characters")
        found[key] = value or ""
    return found


def from_specifications(params: dict, resource_type: str) -> dict[str, str]:
    """The tags TagSpecifications give a resource of ``resource_type`` created by this call."""
    tags: dict[str, str] = {}
    for spec in params.get("TagSpecifications") or []:
        if spec.get("ResourceType") != resource_type:
            raise invalid(f"'{spec.get('ResourceType')}' is not a valid taggable resource "
                          "type for this operation.")
        if not spec.get("Tags"):
            raise invalid("Tag specification must have at least one tag")
        tags.update(checked(spec["Tags"]))
    if len(tags) > MAX_TAGS:
        raise ServiceError("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
    return tags


def _prefix(resource: str) -> str:
    return resource.rsplit("-", 1)[0] if "-" in resource else ""


_DESCRIBE_FIELDS: filters.Fields = {
    "key": lambda t: t["Key"],
    "value": lambda t: t["Value"],
    "resource-id": lambda t: t["ResourceId"],
    "resource-type": lambda t: t["ResourceType"],
}


@dataclass
class Tags:
    state: Ec2State
    defaults: DefaultNetwork
    describer: Describer

    def _resources(self, scope, ids: list[str]) -> list[Any]:
        found = []
        for resource in ids:
            prefix = _prefix(resource)
            if prefix not in KINDS:
                raise ServiceError("InvalidID", f"The ID '{resource}' is not valid")
            record = self.state.find(scope, resource)
            if record is None:
                raise not_found(prefix, resource)
            found.append(record)
        return found

    def create_tags(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        tags = checked(params.get("Tags"))
        resources = self._resources(scope, params.get("Resources") or [])
        for record in resources:
            if len({**record.tags, **tags}) > MAX_TAGS:
                raise ServiceError("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
        with self.state.store.transaction():
            for record in resources:
                record.tags.update(tags)
                self.state.collection_for(resource_id(record)).put(scope, resource_id(record), record)
        return {}

    def delete_tags(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        resources = self._resources(scope, params.get("Resources") or [])
        wanted = params.get("Tags")
        with self.state.store.transaction():
            for record in resources:
                if wanted is None:
                    record.tags.clear()  # no Tags: every tag of the resource goes
                for tag in wanted or []:
                    key = tag.get("Key")
                    # A tag given with a value is deleted only if it has that value ("" included).
                    if key in record.tags and ("Value" not in tag or tag["Value"] == record.tags[key]):
                        del record.tags[key]
                self.state.collection_for(resource_id(record)).put(scope, resource_id(record), record)
        return {}

    def describe_tags(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.defaults.prepare(ctx, params)
        rows = [{"ResourceId": resource_id(record), "ResourceType": kind, "Key": key, "Value": value}
                for kind, record in self.state.taggable(scope) for key, value in record.tags.items()]
        rows = filters.apply(rows, params.get("Filters"), _DESCRIBE_FIELDS)
        found, token = self.describer.paginator.paginate(rows, params, PAGES, query=params.get("Filters") or [])
        return page({"Tags": found}, token)

