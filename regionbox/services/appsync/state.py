"""AppSync's one state object: the stored collections, and what lives in memory only (compiled
schemas and programs, the real-time connections) in the runtime objects that own it."""

from __future__ import annotations

from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope, Store
from regionbox.services.appsync.models import (ApiKey, ChannelNamespace, DataSource, DomainName, EventApi, Function,
                                               GraphqlApi, Resolver)


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message, status=404)


class AppSyncState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.apis = store.collection("appsync.apis", GraphqlApi)
        self.data_sources = store.collection("appsync.data_sources", DataSource)
        self.resolvers = store.collection("appsync.resolvers", Resolver)
        self.functions = store.collection("appsync.functions", Function)
        self.api_keys = store.collection("appsync.api_keys", ApiKey)
        self.event_apis = store.collection("appsync.event_apis", EventApi)
        self.namespaces = store.collection("appsync.channel_namespaces", ChannelNamespace)
        self.domain_names = store.collection("appsync.domain_names", DomainName)

    def api(self, scope: Scope, api_id: str) -> GraphqlApi:
        found = self.apis.get(scope, api_id)
        if found is None:
            raise not_found(f"GraphQL API {api_id} not found.")
        return found

    def event_api(self, scope: Scope, api_id: str) -> EventApi:
        found = self.event_apis.get(scope, api_id)
        if found is None:
            raise not_found(f"API {api_id} not found.")
        return found

    def any_api(self, scope: Scope, api_id: str) -> GraphqlApi | EventApi:
        """A GraphQL or an Event API (both have API keys)."""
        found = self.apis.get(scope, api_id) or self.event_apis.get(scope, api_id)
        if found is None:
            raise not_found(f"API {api_id} not found.")
        return found

    def namespace(self, scope: Scope, api_id: str, name: str) -> ChannelNamespace | None:
        return self.namespaces.get(scope, f"{api_id}/{name}")

    @staticmethod
    def locate(collection, api_id: str | None, region: str | None) -> tuple[Scope, object] | None:
        """(scope, API) of the API a data-plane request names, in any account (region None: any)."""
        if not api_id:
            return None
        for scope, key, api in collection.all():
            if key == api_id and (region is None or scope[1] == region):
                return scope, api
        return None

    @staticmethod
    def children(collection, scope: Scope, api_id: str) -> list:
        prefix = f"{api_id}/"
        return [doc for key, doc in collection.items(scope) if key.startswith(prefix)]

    def data_source(self, scope: Scope, api_id: str, name: str) -> DataSource | None:
        return self.data_sources.get(scope, f"{api_id}/{name}")

    def resolver(self, scope: Scope, api_id: str, type_name: str, field_name: str) -> Resolver | None:
        return self.resolvers.get(scope, f"{api_id}/{type_name}/{field_name}")

    def function(self, scope: Scope, api_id: str, function_id: str) -> Function | None:
        return self.functions.get(scope, f"{api_id}/{function_id}")

    def remove_api(self, scope: Scope, api_id: str) -> None:
        """The API with everything in it, in one transaction."""
        with self.store.transaction():
            for collection in (self.data_sources, self.resolvers, self.functions, self.api_keys, self.namespaces):
                for key, _ in collection.items(scope):
                    if key.startswith(f"{api_id}/"):
                        collection.delete(scope, key)
            self.apis.delete(scope, api_id)
            self.event_apis.delete(scope, api_id)
