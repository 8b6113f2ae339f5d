"""Tags of functions and event source mappings: TagResource, UntagResource, ListTags."""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.lambda_.errors import invalid_value, no_such_resource, not_found
from regionbox.services.lambda_.state import LambdaState

TAG_LIMIT = 50


class Tags:
    def __init__(self, state: LambdaState) -> None:
        self.state = state

    def _owner(self, ctx: RequestContext, resource: str):
        """(collection, scope, key, document) of a taggable ARN."""
        parts = resource.split(":")
        if len(parts) < 7 or parts[0] != "arn" or parts[2] != "lambda":
            raise invalid_value(f"Invalid resource ARN: {resource}")
        scope = (parts[4], parts[3])
        if parts[5] == "function":
            if len(parts) > 7:
                raise invalid_value("Tags on function aliases and versions are not supported. Please specify a function ARN.")
            found = self.state.functions.get(scope, parts[6])
            if found is None:
                raise not_found("Function", resource)
            return self.state.functions, scope, parts[6], found
        if parts[5] == "event-source-mapping":
            found = self.state.mappings.get(scope, parts[6])
            if found is None:
                raise no_such_resource()
            return self.state.mappings, scope, parts[6], found
        raise ServiceError("ResourceNotFoundException", f"Resource not found: {resource}", status=404, Type="User")

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        collection, scope, key, found = self._owner(ctx, params["Resource"])
        tags = {**found.tags, **params["Tags"]}
        if len(tags) > TAG_LIMIT:
            raise invalid_value(f"Number of tags exceeds resource tag limit of {TAG_LIMIT}.")
        found.tags = tags
        collection.put(scope, key, found)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        collection, scope, key, found = self._owner(ctx, params["Resource"])
        found.tags = {k: v for k, v in found.tags.items() if k not in set(params["TagKeys"])}
        collection.put(scope, key, found)
        return {}

    def list_tags(self, ctx: RequestContext, params: dict) -> dict:
        _, _, _, found = self._owner(ctx, params["Resource"])
        return {"Tags": dict(found.tags)}
