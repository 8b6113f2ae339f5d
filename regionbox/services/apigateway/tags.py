"""Tags by ARN: TagResource, UntagResource, GetTags, for REST APIs, stages, API keys and usage
plans (``arn:aws:apigateway:<region>::/restapis/<id>[/stages/<name>]``, ``::/apikeys/<id>``,
``::/usageplans/<id>``: API Gateway's ARNs name no account). At most 50 tags, no ``aws:`` keys.
"""

from __future__ import annotations

from regionbox.core.arns import partition_of
from regionbox.core.context import RequestContext
from regionbox.services.apigateway.state import ApiGatewayState, bad_request, not_found

TAGS_MAX = 50


def api_arn(region: str, path: str) -> str:
    return f"arn:{partition_of(region)}:apigateway:{region}::{path}"


def checked_tags(tags: dict | None) -> dict:
    tags = dict(tags or {})
    if any(key.lower().startswith("aws:") for key in tags):
        raise bad_request("Tag keys starting with 'aws:' are reserved for AWS use.")
    if len(tags) > TAGS_MAX:
        raise bad_request(f"A resource can have at most {TAGS_MAX} tags.")
    return tags


class Tags:
    def __init__(self, state: ApiGatewayState) -> None:
        self.state = state

    def _document(self, ctx: RequestContext, arn: str):
        """(collection, key, document) of the resource an ARN names."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "apigateway" or not parts[5].startswith("/"):
            raise bad_request("Invalid ARN specified in the request")
        if parts[3] != ctx.region:
            raise not_found("Invalid Resource identifier specified")
        path = parts[5].strip("/").split("/")
        scope = ctx.scope
        if len(path) == 2 and path[0] == "restapis":
            return self.state.apis, path[1], self.state.api(scope, path[1])
        if len(path) == 4 and path[0] == "restapis" and path[2] == "stages":
            key = f"{path[1]}/{path[3]}"
            return self.state.stages, key, self.state.stage(scope, path[1], path[3])
        if len(path) == 2 and path[0] == "apikeys":
            return self.state.keys, path[1], self.state.key(scope, path[1])
        if len(path) == 2 and path[0] == "usageplans":
            return self.state.plans, path[1], self.state.plan(scope, path[1])
        raise not_found("Invalid Resource identifier specified")

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        collection, key, document = self._document(ctx, params["resourceArn"])
        merged = {**document.body.get("tags", {}), **checked_tags(params.get("tags"))}
        if len(merged) > TAGS_MAX:
            raise bad_request(f"A resource can have at most {TAGS_MAX} tags.")
        document.body["tags"] = merged
        collection.put(ctx.scope, key, document)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        collection, key, document = self._document(ctx, params["resourceArn"])
        tags = document.body.get("tags", {})
        for name in params.get("tagKeys") or []:
            tags.pop(name, None)
        if tags:
            document.body["tags"] = tags
        else:
            document.body.pop("tags", None)
        collection.put(ctx.scope, key, document)
        return {}

    def get_tags(self, ctx: RequestContext, params: dict) -> dict:
        return {"tags": dict(self._document(ctx, params["resourceArn"])[2].body.get("tags", {}))}
