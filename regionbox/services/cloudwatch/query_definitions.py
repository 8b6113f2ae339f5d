"""Metric data query definitions: PutMetricDataQueryDefinition, GetMetricDataQueryDefinition,
ListMetricDataQueryDefinitions, DeleteMetricDataQueryDefinition. Saved queries (PromQL, Metrics
Insights SQL or metric math) under a unique path; CloudWatch neither checks nor runs the
expression when it saves it, and neither does regionbox."""

from __future__ import annotations

import base64
import binascii
import time
import uuid

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.cloudwatch.metric_data import invalid_value, too_many
from regionbox.services.cloudwatch.models import CloudWatchState, QueryDefinition

MAX_DEFINITIONS = 1000
PAGE = PageRule(out_of_range=lambda n: invalid_value(n, "MaxResults"), default=100, maximum=100,
                bad_token=lambda t: ServiceError("ValidationError", "The NextToken is invalid."))


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)


def not_found(definition_id: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Metric data query definition {definition_id} does not exist.", 404,
                        ResourceType="MetricDataQueryDefinition", ResourceId=definition_id)


class QueryDefinitions:
    def __init__(self, state: CloudWatchState, paginator: Paginator) -> None:
        self.definitions = state.query_definitions
        self.paginator = paginator

    def put_metric_data_query_definition(self, ctx, params: dict) -> dict:
        path = params["Path"]
        if path.startswith("/") or path.endswith("/"):
            raise _validation("The path can't start or end with a slash.")
        if "//" in path:
            raise _validation("The path can't contain an empty folder name (//).")
        if len(path.encode()) > 1015:
            raise _validation("The path can be at most 1015 bytes when encoded as UTF-8.")
        existing = self.definitions.values(ctx.scope)
        definition_id = params.get("Id")
        if definition_id is not None:
            definition = self.definitions.get(ctx.scope, definition_id)
            if definition is None:
                raise not_found(definition_id)
        else:
            if len(existing) >= MAX_DEFINITIONS:
                raise ServiceError("LimitExceededException", f"You can have up to {MAX_DEFINITIONS} metric data query "
                                                             "definitions in each Region of your account.")
            if len(params.get("Tags") or []) > 50:
                raise too_many("Tags", 50)
            definition_id = str(uuid.uuid4())
            definition = QueryDefinition(definition_id, ctx.arn("cloudwatch", f"metric-query-definition/{definition_id}"),
                                         path, params["Expression"], params["Type"], time.time(), time.time(),
                                         {t["Key"]: t["Value"] for t in params.get("Tags") or []})
        if any(d.path == path and d.id != definition_id for d in existing):
            raise ServiceError("ConflictException", f"A metric data query definition with the path {path} already exists.",
                               409)
        definition.path, definition.expression, definition.type = path, params["Expression"], params["Type"]
        definition.updated = time.time()
        self.definitions.put(ctx.scope, definition_id, definition)
        return self._shape(definition)

    @staticmethod
    def _shape(definition: QueryDefinition) -> dict:
        return {"Id": definition.id, "Arn": definition.arn, "Path": definition.path, "Expression": definition.expression,
                "Type": definition.type, "CreatedAt": clock.from_epoch(definition.created),
                "UpdatedAt": clock.from_epoch(definition.updated)}

    def get_metric_data_query_definition(self, ctx, params: dict) -> dict:
        definition = self.definitions.get(ctx.scope, params["Id"])
        if definition is None:
            raise not_found(params["Id"])
        return self._shape(definition)

    def list_metric_data_query_definitions(self, ctx, params: dict) -> dict:
        found = sorted(self.definitions.values(ctx.scope), key=lambda d: d.path)
        token = params.get("NextToken")
        if token is not None:  # the model allows only [A-Za-z0-9_-] in tokens: ours travel base64url-encoded
            try:
                token = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            except (binascii.Error, ValueError, UnicodeDecodeError):
                raise PAGE.bad_token(token) from None
        page, following = self.paginator.paginate(found, {**params, "NextToken": token}, PAGE)
        answer = {"Items": [{"Id": d.id, "Path": d.path, "Type": d.type, "UpdatedAt": clock.from_epoch(d.updated)}
                            for d in page]}
        if following:
            answer["NextToken"] = base64.urlsafe_b64encode(following.encode()).decode().rstrip("=")
        return answer

    def delete_metric_data_query_definition(self, ctx, params: dict) -> dict:
        self.definitions.delete(ctx.scope, params["Id"])  # idempotent, as on AWS
        return {}
