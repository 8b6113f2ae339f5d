"""AppSync: GraphQL APIs (schema, data sources, resolvers in VTL or APPSYNC_JS, functions and
pipelines, API keys, types, caching settings) and their data plane: GraphQL over HTTP on
``/graphql`` and subscriptions over AppSync's real-time WebSocket protocol. Event APIs (channel
namespaces with APPSYNC_JS handlers) with publishing over HTTP on ``/event`` and channels over
the Events WebSocket protocol (events.py, event_realtime.py).

A query or mutation runs with graphql-core against the API's schema; each field with a resolver
runs its program (programs.py) against its data source (invokers.py: NONE, AMAZON_DYNAMODB
through DynamoDB's api, HTTP). A mutation named by a subscription's ``@aws_subscribe`` is
pushed to that subscription's clients (realtime.py, subscriptions.py)."""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect
from regionbox.services.appsync.api_keys import ApiKeys
from regionbox.services.appsync.apis import GraphqlApis
from regionbox.services.appsync.auth import Authenticator
from regionbox.services.appsync.channels import Channels
from regionbox.services.appsync.data_sources import DataSources
from regionbox.services.appsync.domain_names import DomainNames
from regionbox.services.appsync.endpoint import Endpoint, host_api
from regionbox.services.appsync.event_apis import EventApis
from regionbox.services.appsync.event_realtime import EventRealtime
from regionbox.services.appsync.events import EventEndpoint, Events
from regionbox.services.appsync.execution import Executor
from regionbox.services.appsync.functions import Functions
from regionbox.services.appsync.invokers import Invokers
from regionbox.services.appsync.programs import Programs
from regionbox.services.appsync.realtime import Realtime
from regionbox.services.appsync.resolvers import Resolvers
from regionbox.services.appsync.schema import Schemas
from regionbox.services.appsync.sockets import KeepAlive
from regionbox.services.appsync.state import AppSyncState
from regionbox.services.appsync.subscriptions import Hub

_MERGED = ("merged APIs are not built: a MERGED API serves the schema and resolvers merged from its source "
           "GraphQL APIs (source API associations, StartSchemaMerge with @canonical/@hidden/@renamed resolving "
           "conflicts), and CreateGraphqlApi refuses apiType MERGED")
NOT_IMPLEMENTED = {
    "AssociateMergedGraphqlApi": _MERGED, "AssociateSourceGraphqlApi": _MERGED, "DisassociateMergedGraphqlApi": _MERGED,
    "DisassociateSourceGraphqlApi": _MERGED, "GetSourceApiAssociation": _MERGED, "ListSourceApiAssociations": _MERGED,
    "ListTypesByAssociation": _MERGED, "StartSchemaMerge": _MERGED, "UpdateSourceApiAssociation": _MERGED,
    "StartDataSourceIntrospection": "RDS Data API introspection needs Aurora's Data API, which regionbox does not serve",
    "GetDataSourceIntrospection": "RDS Data API introspection needs Aurora's Data API, which regionbox does not serve",
}


def load(cloud) -> Service:
    state = AppSyncState(cloud.store)
    programs = Programs()
    schemas = Schemas(state, cloud.paginator)
    apis = GraphqlApis(state, cloud.paginator, cloud.config.port)
    keys = ApiKeys(state, cloud.paginator)
    channels = Channels()
    domains = DomainNames(state, cloud.paginator)
    event_apis = EventApis(state, cloud.paginator, programs, cloud.config.port, channels.drop_api)
    sources = DataSources(state, cloud.paginator)
    functions = Functions(state, cloud.paginator, programs)
    resolvers = Resolvers(state, cloud.paginator, schemas, programs)
    hub = Hub()
    authenticator = Authenticator(state, cloud)

    async def publish(scope, api, mutation: str, value) -> None:
        await hub.publish(scope, api.api_id, schemas.compiled(api), mutation, value)

    executor = Executor(state, schemas, programs, Invokers(cloud), authenticator, publish, hub.invalidate)
    endpoint = Endpoint(state, executor, authenticator, domains)
    keepalive = KeepAlive(cloud.config.appsync_keepalive_interval)
    realtime = Realtime(endpoint, executor, authenticator, hub, keepalive)
    events = Events(state, authenticator, programs, channels, domains)
    event_endpoint, event_realtime = EventEndpoint(events), EventRealtime(events, keepalive)

    async def http(request):
        """An Event API's publishing, else GraphQL; else (a path that only begins with "/event",
        as "/events" does) an AWS request after all."""
        if event_endpoint.claims(request):
            return await event_endpoint(request)
        if request.path.startswith("/graphql") or host_api(request.host)[0] is not None:
            return await endpoint(request)
        return None

    async def websocket(scope, receive, send):  # an Event API's channels, else GraphQL subscriptions
        await (event_realtime if event_realtime.claims(scope) else realtime)(scope, receive, send)

    return Service(
        name="appsync",
        operations={
            "CreateGraphqlApi": apis.create_graphql_api, "GetGraphqlApi": apis.get_graphql_api,
            "ListGraphqlApis": apis.list_graphql_apis, "UpdateGraphqlApi": apis.update_graphql_api,
            "DeleteGraphqlApi": apis.delete_graphql_api,
            "TagResource": apis.tag_resource, "UntagResource": apis.untag_resource,
            "ListTagsForResource": apis.list_tags_for_resource,
            "PutGraphqlApiEnvironmentVariables": apis.put_graphql_api_environment_variables,
            "GetGraphqlApiEnvironmentVariables": apis.get_graphql_api_environment_variables,
            "CreateApiCache": apis.create_api_cache, "GetApiCache": apis.get_api_cache,
            "UpdateApiCache": apis.update_api_cache, "DeleteApiCache": apis.delete_api_cache,
            "FlushApiCache": apis.flush_api_cache,
            "StartSchemaCreation": schemas.start_schema_creation,
            "GetSchemaCreationStatus": schemas.get_schema_creation_status,
            "GetIntrospectionSchema": schemas.get_introspection_schema,
            "CreateType": schemas.create_type, "GetType": schemas.get_type, "ListTypes": schemas.list_types,
            "UpdateType": schemas.update_type, "DeleteType": schemas.delete_type,
            "CreateApiKey": keys.create_api_key, "ListApiKeys": keys.list_api_keys,
            "UpdateApiKey": keys.update_api_key, "DeleteApiKey": keys.delete_api_key,
            "CreateDataSource": sources.create_data_source, "GetDataSource": sources.get_data_source,
            "ListDataSources": sources.list_data_sources, "UpdateDataSource": sources.update_data_source,
            "DeleteDataSource": sources.delete_data_source,
            "CreateFunction": functions.create_function, "GetFunction": functions.get_function,
            "ListFunctions": functions.list_functions, "UpdateFunction": functions.update_function,
            "DeleteFunction": functions.delete_function,
            "CreateResolver": resolvers.create_resolver, "GetResolver": resolvers.get_resolver,
            "ListResolvers": resolvers.list_resolvers, "UpdateResolver": resolvers.update_resolver,
            "DeleteResolver": resolvers.delete_resolver, "ListResolversByFunction": resolvers.list_resolvers_by_function,
            "CreateApi": event_apis.create_api, "GetApi": event_apis.get_api, "ListApis": event_apis.list_apis,
            "UpdateApi": event_apis.update_api, "DeleteApi": event_apis.delete_api,
            "CreateChannelNamespace": event_apis.create_channel_namespace,
            "GetChannelNamespace": event_apis.get_channel_namespace,
            "ListChannelNamespaces": event_apis.list_channel_namespaces,
            "UpdateChannelNamespace": event_apis.update_channel_namespace,
            "DeleteChannelNamespace": event_apis.delete_channel_namespace,
            "CreateDomainName": domains.create_domain_name, "GetDomainName": domains.get_domain_name,
            "ListDomainNames": domains.list_domain_names, "UpdateDomainName": domains.update_domain_name,
            "DeleteDomainName": domains.delete_domain_name, "AssociateApi": domains.associate_api,
            "DisassociateApi": domains.disassociate_api, "GetApiAssociation": domains.get_api_association,
            "EvaluateMappingTemplate": programs.evaluate_mapping_template, "EvaluateCode": programs.evaluate_code,
        },
        not_implemented=NOT_IMPLEMENTED,
        dialect=Dialect(validation_code="BadRequestException"),
        http=http,
        websocket=websocket,
        stop=keepalive.stop,
    )
