"""Applications (groups of servers) and tags on configuration items: CreateApplication,
UpdateApplication, DeleteApplications, AssociateConfigurationItemsToApplication,
DisassociateConfigurationItemsFromApplication, CreateTags, DeleteTags, DescribeTags."""

from __future__ import annotations

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.core.store import Scope
from regionbox.services.discovery.models import Application, Tag
from regionbox.services.discovery.state import (DiscoveryState, configuration_id, invalid_parameter, item_type,
                                                not_found, page_of)

TAG_FILTERS = ("tagKey", "tagValue", "configurationId")


class Applications:
    def __init__(self, state: DiscoveryState) -> None:
        self.state = state

    def _application(self, scope: Scope, application_id: str) -> Application:
        application = self.state.applications.get(scope, application_id)
        if application is None:
            raise invalid_parameter(f"Application {application_id} does not exist.")
        return application

    def create_application(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=True)
        now = clock.epoch()
        application = Application(configuration_id=configuration_id("application"), name=params["name"],
                                  description=params.get("description", ""), wave=params.get("wave", ""),
                                  created=now, modified=now)
        self.state.applications.put(scope, application.configuration_id, application)
        return {"configurationId": application.configuration_id}

    def update_application(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=True)
        application = self._application(scope, params["configurationId"])
        for field in ("name", "description", "wave"):
            if field in params:
                setattr(application, field, params[field])
        application.modified = clock.epoch()
        self.state.applications.put(scope, application.configuration_id, application)
        return {}

    def delete_applications(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        for application_id in params["configurationIds"]:
            self._application(scope, application_id)
        with self.state.store.transaction():
            for application_id in params["configurationIds"]:
                self.state.applications.delete(scope, application_id)
                for tag in self.state.tags_of(scope, application_id):
                    self.state.tags.delete(scope, tag_key(tag.configuration_id, tag.key, tag.value))
        return {}

    def _servers(self, scope: Scope, configuration_ids: list[str]) -> list[str]:
        for configuration in configuration_ids:
            if item_type(configuration) != "SERVER" or self.state.servers.get(scope, configuration) is None:
                raise invalid_parameter(f"{configuration} is not the configuration ID of a server.")
        return configuration_ids

    def associate_configuration_items_to_application(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=True)
        application = self._application(scope, params["applicationConfigurationId"])
        for server in self._servers(scope, params["configurationIds"]):
            if server not in application.servers:
                application.servers.append(server)
        application.modified = clock.epoch()
        self.state.applications.put(scope, application.configuration_id, application)
        return {}

    def disassociate_configuration_items_from_application(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=True)
        application = self._application(scope, params["applicationConfigurationId"])
        gone = set(self._servers(scope, params["configurationIds"]))
        application.servers = [s for s in application.servers if s not in gone]
        application.modified = clock.epoch()
        self.state.applications.put(scope, application.configuration_id, application)
        return {}


def tag_key(configuration: str, key: str, value: str) -> str:
    # A configuration item may carry one key with several values, as AWS allows.
    return f"{configuration}\x00{key}\x00{value}"


class Tags:
    def __init__(self, state: DiscoveryState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _items(self, scope: Scope, configuration_ids: list[str]) -> list[str]:
        for configuration in configuration_ids:
            if self.state.item(scope, configuration) is None:
                raise not_found(f"Configuration item {configuration} does not exist.")
        return configuration_ids

    def create_tags(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=True)
        now = clock.epoch()
        with self.state.store.transaction():
            for configuration in self._items(scope, params["configurationIds"]):
                for tag in params["tags"]:
                    key = tag_key(configuration, tag["key"], tag["value"])
                    if (scope, key) not in self.state.tags:
                        self.state.tags.put(scope, key, Tag(configuration_id=configuration,
                                                            configuration_type=item_type(configuration) or "",
                                                            key=tag["key"], value=tag["value"], created=now))
        return {}

    def delete_tags(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        wanted = params.get("tags")
        with self.state.store.transaction():
            for configuration in self._items(scope, params["configurationIds"]):
                for tag in self.state.tags_of(scope, configuration):
                    if wanted is None or any(t["key"] == tag.key and t["value"] == tag.value for t in wanted):
                        self.state.tags.delete(scope, tag_key(configuration, tag.key, tag.value))
        return {}

    def describe_tags(self, ctx: RequestContext, params: dict) -> dict:
        scope = self.state.scope(ctx, write=False)
        found = self.state.tags.values(scope)
        for item in params.get("filters") or []:
            if item["name"] not in TAG_FILTERS:
                raise invalid_parameter(f"The filter name {item['name']} is not valid. Valid names: "
                                        f"{', '.join(TAG_FILTERS)}.")
            values = set(item["values"])
            field = {"tagKey": "key", "tagValue": "value", "configurationId": "configuration_id"}[item["name"]]
            found = [t for t in found if getattr(t, field) in values]
        return page_of(self.paginator, found, params, "tags", lambda t: {
            "configurationType": t.configuration_type, "configurationId": t.configuration_id, "key": t.key,
            "value": t.value, "timeOfCreation": clock.from_epoch(t.created)}, query=params.get("filters"))
