"""AddTags, RemoveTags, DescribeTags over load balancers, target groups, listeners and rules."""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.services.elbv2.models import Elbv2State

MAX_TAGS = 50


class Tags:
    def __init__(self, state: Elbv2State) -> None:
        self.state = state

    def _resource(self, ctx: RequestContext, arn: str):
        """(collection, document) of a taggable ARN, with the not-found error of its kind."""
        resource = arn.split(":", 5)[-1]
        if resource.startswith("loadbalancer/"):
            return self.state.load_balancers, self.state.load_balancer(ctx.scope, arn)
        if resource.startswith("targetgroup/"):
            return self.state.target_groups, self.state.target_group(ctx.scope, arn)
        if resource.startswith("listener/"):
            return self.state.listeners, self.state.listener(ctx.scope, arn)
        if resource.startswith("listener-rule/"):
            return self.state.rules, self.state.rule(ctx.scope, arn)
        raise invalid(f"'{arn}' is not a valid load balancer, target group, listener or rule ARN")

    def add_tags(self, ctx: RequestContext, params: dict) -> dict:
        keys = [tag["Key"] for tag in params["Tags"]]
        if len(keys) != len(set(keys)):
            raise ServiceError("DuplicateTagKeys", f"Tag key '{next(k for k in keys if keys.count(k) > 1)}' is duplicated")
        found = [self._resource(ctx, arn) for arn in params["ResourceArns"]]
        with self.state.transaction():
            for collection, resource in found:
                merged = {**resource.tags, **{tag["Key"]: tag.get("Value", "") for tag in params["Tags"]}}
                if len(merged) > MAX_TAGS:
                    raise ServiceError("TooManyTags", f"The quota for the number of tags that can be assigned to a load "
                                       f"balancing resource has been reached ('{MAX_TAGS}')")
                resource.tags = merged
                collection.put(ctx.scope, resource.arn, resource)
        return {}

    def remove_tags(self, ctx: RequestContext, params: dict) -> dict:
        found = [self._resource(ctx, arn) for arn in params["ResourceArns"]]
        with self.state.transaction():
            for collection, resource in found:
                resource.tags = {key: value for key, value in resource.tags.items() if key not in params["TagKeys"]}
                collection.put(ctx.scope, resource.arn, resource)
        return {}

    def describe_tags(self, ctx: RequestContext, params: dict) -> dict:
        found = [self._resource(ctx, arn) for arn in params["ResourceArns"]]
        return {"TagDescriptions": [{"ResourceArn": resource.arn,
                                     "Tags": [{"Key": key, "Value": value} for key, value in resource.tags.items()]}
                                    for _, resource in found]}
