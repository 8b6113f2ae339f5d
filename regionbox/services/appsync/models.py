"""AppSync's stored resources: GraphQL APIs (with their schema), data sources, resolvers, functions
and API keys. Each is one document in its collection, keyed by (account, region) and by the API
it belongs to ("<apiId>/<name>"), so that an API and everything in it go together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

# The members of CreateGraphqlApi kept as given and answered by GetGraphqlApi.
API_SETTINGS = ("logConfig", "userPoolConfig", "openIDConnectConfig", "additionalAuthenticationProviders",
                "xrayEnabled", "lambdaAuthorizerConfig", "visibility", "apiType", "mergedApiExecutionRoleArn",
                "ownerContact", "introspectionConfig", "queryDepthLimit", "resolverCountLimit",
                "enhancedMetricsConfig")
# The members of CreateDataSource that configure its kind.
DATA_SOURCE_SETTINGS = ("dynamodbConfig", "lambdaConfig", "elasticsearchConfig", "openSearchServiceConfig",
                        "httpConfig", "relationalDatabaseConfig", "eventBridgeConfig")


@dataclass
class GraphqlApi:
    SCHEMA_VERSION: ClassVar[int] = 1
    api_id: str
    name: str
    arn: str
    authentication_type: str
    settings: dict[str, Any] = field(default_factory=dict)  # API_SETTINGS members as given
    tags: dict[str, str] = field(default_factory=dict)
    created: float = 0.0
    # The schema (SDL) in force, and the state of the last StartSchemaCreation.
    schema: str = ""
    schema_status: str = "NOT_APPLICABLE"
    schema_details: str = ""
    environment: dict[str, str] = field(default_factory=dict)  # PutGraphqlApiEnvironmentVariables
    cache: dict[str, Any] | None = None  # CreateApiCache's settings: accepted, never used to cache


@dataclass
class DataSource:
    SCHEMA_VERSION: ClassVar[int] = 1
    api_id: str
    name: str
    arn: str
    type: str  # AMAZON_DYNAMODB, AWS_LAMBDA, HTTP, NONE, ...
    description: str | None = None
    service_role_arn: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # DATA_SOURCE_SETTINGS members as given
    metrics_config: str | None = None


@dataclass
class Code:
    """What runs for a resolver or a function: VTL templates, or APPSYNC_JS code."""

    request_template: str | None = None
    response_template: str | None = None
    runtime: dict[str, str] | None = None  # {"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"}
    code: str | None = None


@dataclass
class Resolver:
    SCHEMA_VERSION: ClassVar[int] = 1
    api_id: str
    type_name: str
    field_name: str
    arn: str
    kind: str = "UNIT"  # UNIT | PIPELINE
    data_source_name: str | None = None
    functions: list[str] = field(default_factory=list)  # PIPELINE: function ids in order
    request_template: str | None = None
    response_template: str | None = None
    runtime: dict[str, str] | None = None
    code: str | None = None
    caching_config: dict[str, Any] | None = None
    sync_config: dict[str, Any] | None = None
    max_batch_size: int | None = None
    metrics_config: str | None = None

    @property
    def program(self) -> Code:
        return Code(self.request_template, self.response_template, self.runtime, self.code)


@dataclass
class Function:
    SCHEMA_VERSION: ClassVar[int] = 1
    api_id: str
    function_id: str
    arn: str
    name: str
    data_source_name: str
    description: str | None = None
    request_template: str | None = None
    response_template: str | None = None
    function_version: str | None = None
    runtime: dict[str, str] | None = None
    code: str | None = None
    sync_config: dict[str, Any] | None = None
    max_batch_size: int | None = None

    @property
    def program(self) -> Code:
        return Code(self.request_template, self.response_template, self.runtime, self.code)


@dataclass
class ApiKey:
    SCHEMA_VERSION: ClassVar[int] = 1
    api_id: str
    id: str
    expires: int  # epoch seconds, rounded down to the hour as AppSync does
    deletes: int
    description: str | None = None


@dataclass
class EventApi:
    """An AppSync Event API (CreateApi): channels under its namespaces, published to over HTTP
    and the WebSocket, subscribed to over the WebSocket. Its API keys are ApiKey documents too."""

    SCHEMA_VERSION: ClassVar[int] = 1
    api_id: str
    name: str
    arn: str
    event_config: dict[str, Any]  # EventConfig as given: authProviders, connection/publish/subscribe modes
    owner_contact: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    created: float = 0.0


@dataclass
class ChannelNamespace:
    """A channel namespace of an Event API ("<apiId>/<name>"): the first segment of its channels,
    the auth modes that may publish and subscribe there, and its APPSYNC_JS handlers."""

    SCHEMA_VERSION: ClassVar[int] = 1
    api_id: str
    name: str
    arn: str
    subscribe_auth_modes: list[dict] | None = None  # None: the API's defaultSubscribeAuthModes
    publish_auth_modes: list[dict] | None = None  # None: the API's defaultPublishAuthModes
    code_handlers: str | None = None  # an ES module exporting onPublish and/or onSubscribe
    handler_configs: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    created: float = 0.0
    last_modified: float = 0.0

    def modes(self, api: EventApi, operation: str) -> list[str]:
        """The auth types that may PUBLISH or SUBSCRIBE here."""
        own = self.publish_auth_modes if operation == "PUBLISH" else self.subscribe_auth_modes
        config = api.event_config
        chosen = own or config.get("defaultPublishAuthModes" if operation == "PUBLISH" else "defaultSubscribeAuthModes")
        return [mode["authType"] for mode in chosen or ()]


@dataclass
class DomainName:
    """A custom domain name (CreateDomainName) and the API associated with it (AssociateApi):
    requests whose Host is the domain reach that API (/graphql, /graphql/realtime, /event,
    /event/realtime)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    domain_name: str
    arn: str
    certificate_arn: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    api_id: str | None = None
