"""What a migration task is linked to, three kinds with the same three operations each:

| kind | Associate / Disassociate / List | key |
|---|---|---|
| created artifact (the AWS resource the migration made, by ARN) | *CreatedArtifact(s) | Name |
| discovered resource (an Application Discovery Service configuration item) | *DiscoveredResource(s) | ConfigurationId |
| source resource (a source server, an application, a wave) | *SourceResource(s) | Name |

Associating the same key again replaces its description; disassociating one the task does not
have is ResourceNotFoundException. A discovered resource must be one Application Discovery
Service knows (a server or an application of the account) where this cloud serves it.
"""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.mgh.home import Home
from regionbox.services.mgh.models import MghState
from regionbox.services.mgh.paging import ASSOCIATIONS, with_token
from regionbox.services.mgh.tasks import Tasks


@dataclass(frozen=True)
class Kind:
    field: str  # MigrationTask's list
    member: str  # the Associate input member
    key: str  # the member that identifies one
    removal: str  # the Disassociate input member
    listing: str  # the List output member
    noun: str  # for messages


CREATED_ARTIFACT = Kind("created_artifacts", "CreatedArtifact", "Name", "CreatedArtifactName", "CreatedArtifactList",
                        "Created artifact")
DISCOVERED_RESOURCE = Kind("discovered_resources", "DiscoveredResource", "ConfigurationId", "ConfigurationId",
                           "DiscoveredResourceList", "Discovered resource")
SOURCE_RESOURCE = Kind("source_resources", "SourceResource", "Name", "SourceResourceName", "SourceResourceList",
                       "Source resource")


class Associations:
    def __init__(self, kind: Kind, state: MghState, home: Home, tasks: Tasks, paginator: Paginator) -> None:
        self.kind = kind
        self.state = state
        self.home = home
        self.tasks = tasks
        self.paginator = paginator

    def associate(self, ctx, params: dict) -> dict:
        scope = self.home.scope(ctx, write=True, params=params)
        task = self.tasks.stream_task(scope, params)
        item = params[self.kind.member]
        if self.kind is DISCOVERED_RESOURCE:
            self.check_discovered(scope, item["ConfigurationId"])
        kept = [i for i in getattr(task, self.kind.field) if i[self.kind.key] != item[self.kind.key]]
        setattr(task, self.kind.field, [*kept, item])
        self.state.tasks.put(scope, task.key, task)
        return {}

    def disassociate(self, ctx, params: dict) -> dict:
        scope = self.home.scope(ctx, write=True, params=params)
        task = self.tasks.stream_task(scope, params)
        key = params[self.kind.removal]
        items = getattr(task, self.kind.field)
        kept = [i for i in items if i[self.kind.key] != key]
        if len(kept) == len(items):
            raise ServiceError("ResourceNotFoundException",
                               f"{self.kind.noun} {key} is not associated with migration task {task.name}.")
        setattr(task, self.kind.field, kept)
        self.state.tasks.put(scope, task.key, task)
        return {}

    def list(self, ctx, params: dict) -> dict:
        task = self.tasks.stream_task(self.home.scope(ctx, write=False), params)
        page, token = self.paginator.paginate(getattr(task, self.kind.field), params, ASSOCIATIONS, query=task.key)
        return with_token({self.kind.listing: page}, token)

    def check_discovered(self, scope, configuration_id: str) -> None:
        servers, applications = self.home.servers(scope), self.home.applications(scope)
        if servers is None or applications is None:
            return  # Application Discovery Service is not served here: nothing to check against
        known = {s["configurationId"] for s in servers} | {a["configurationId"] for a in applications}
        if configuration_id not in known:
            raise ServiceError("ResourceNotFoundException",
                               f"Configuration item {configuration_id} does not exist in Application Discovery Service.")
