"""Data sources: Create/Get/List/Update/DeleteDataSource.

AMAZON_DYNAMODB, AWS_LAMBDA, HTTP and NONE run (invokers.py); the other kinds (OpenSearch, RDS,
EventBridge, Bedrock) are kept as configured and answer a resolver with an error naming why."""

from __future__ import annotations

import re

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.appsync.common import api_arn, bad_request, drop_none, page
from regionbox.services.appsync.models import DATA_SOURCE_SETTINGS, DataSource
from regionbox.services.appsync.state import AppSyncState, not_found

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
# Which configuration member each kind needs.
_NEEDS = {"AMAZON_DYNAMODB": "dynamodbConfig", "AWS_LAMBDA": "lambdaConfig", "HTTP": "httpConfig",
          "AMAZON_ELASTICSEARCH": "elasticsearchConfig", "AMAZON_OPENSEARCH_SERVICE": "openSearchServiceConfig",
          "RELATIONAL_DATABASE": "relationalDatabaseConfig", "AMAZON_EVENTBRIDGE": "eventBridgeConfig"}


def describe(source: DataSource) -> dict:
    return drop_none({"dataSourceArn": source.arn, "name": source.name, "description": source.description,
                      "type": source.type, "serviceRoleArn": source.service_role_arn,
                      "metricsConfig": source.metrics_config, **source.settings})


class DataSources:
    def __init__(self, state: AppSyncState, paginator) -> None:
        self.state = state
        self.paginator = paginator

    @staticmethod
    def _settings(params: dict) -> dict:
        kind = params["type"]
        needed = _NEEDS.get(kind)
        if needed is not None and not params.get(needed):
            raise bad_request(f"{needed} is required for a data source of type {kind}.")
        if kind == "HTTP" and not (params.get("httpConfig") or {}).get("endpoint"):
            raise bad_request("An HTTP data source needs an endpoint.")
        if kind == "HTTP" and not re.match(r"https?://", params["httpConfig"]["endpoint"]):
            raise bad_request("The HTTP endpoint must start with http:// or https://.")
        settings = {k: params[k] for k in DATA_SOURCE_SETTINGS if k in params}
        if kind == "AMAZON_DYNAMODB":
            settings["dynamodbConfig"] = {"useCallerCredentials": False, "versioned": False,
                                          **settings["dynamodbConfig"]}
        return settings

    def create_data_source(self, ctx: RequestContext, params: dict) -> dict:
        if self.state.event_apis.get(ctx.scope, params["apiId"]) is not None:
            raise ServiceError("NotImplemented", "regionbox does not build Event API data sources (the integrations "
                               "of channel namespace handlerConfigs) yet; namespaces run codeHandlers.", status=501)
        api = self.state.api(ctx.scope, params["apiId"])
        name = params["name"]
        if not _NAME.fullmatch(name):
            raise bad_request(f"Data source name {name} is invalid: it must match [_A-Za-z][_0-9A-Za-z]*.")
        if self.state.data_source(ctx.scope, api.api_id, name) is not None:
            raise bad_request(f"Data source with name {name} already exists.")
        source = DataSource(api_id=api.api_id, name=name, arn=api_arn(ctx, api.api_id, f"/datasources/{name}"),
                            type=params["type"], description=params.get("description"),
                            service_role_arn=params.get("serviceRoleArn"), settings=self._settings(params),
                            metrics_config=params.get("metricsConfig"))
        self.state.data_sources.put(ctx.scope, f"{api.api_id}/{name}", source)
        return {"dataSource": describe(source)}

    def _get(self, ctx: RequestContext, params: dict) -> DataSource:
        self.state.api(ctx.scope, params["apiId"])
        source = self.state.data_source(ctx.scope, params["apiId"], params["name"])
        if source is None:
            raise not_found(f"Data source {params['name']} not found.")
        return source

    def get_data_source(self, ctx: RequestContext, params: dict) -> dict:
        return {"dataSource": describe(self._get(ctx, params))}

    def list_data_sources(self, ctx: RequestContext, params: dict) -> dict:
        self.state.api(ctx.scope, params["apiId"])
        sources = self.state.children(self.state.data_sources, ctx.scope, params["apiId"])
        found, token = page(self.paginator, sources, params, query=params["apiId"])
        return drop_none({"dataSources": [describe(s) for s in found], "nextToken": token})

    def update_data_source(self, ctx: RequestContext, params: dict) -> dict:
        source = self._get(ctx, params)
        source.type = params["type"]
        source.description = params.get("description")
        source.service_role_arn = params.get("serviceRoleArn")
        source.settings = self._settings(params)
        source.metrics_config = params.get("metricsConfig", source.metrics_config)
        self.state.data_sources.put(ctx.scope, f"{source.api_id}/{source.name}", source)
        return {"dataSource": describe(source)}

    def delete_data_source(self, ctx: RequestContext, params: dict) -> dict:
        source = self._get(ctx, params)
        self.state.data_sources.delete(ctx.scope, f"{source.api_id}/{source.name}")
        return {}
