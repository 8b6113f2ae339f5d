"""Application Discovery Service's one typed state: its collections per (account, region), the
table of what agents reported over time (utilisation samples, processes, connections, interfaces,
OS facts: what an agent export and a continuous export write out), configuration ids as AWS makes
them, and the home-Region rule every call obeys.

Home Region (Migration Hub Config's ``check``, the one rule Migration Hub shares): with none set,
every call answers HomeRegionNotSetException; writes (create, start, associate, import, update,
tag, export) outside the home Region answer InvalidInputException; reads (list, describe, get,
stop, delete) are allowed in any Region and see the home Region's data, where discovery data lives.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import orjson

from regionbox.core import ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope, Store
from regionbox.services.discovery import models

_RECORDS = """
CREATE TABLE IF NOT EXISTS discovery_records (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    server_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    ts REAL NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS discovery_records_by_server ON discovery_records(account, region, server_id, kind, ts);
CREATE INDEX IF NOT EXISTS discovery_records_by_time ON discovery_records(account, region, ts);
"""

# What an agent reports, one row each: the export file it goes to is named after the kind.
KINDS = ("systemPerformance", "process", "sourceProcessConnection", "destinationProcessConnection",
         "networkInterface", "osInfo")


def invalid_value(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message)


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def not_permitted(message: str) -> ServiceError:
    return ServiceError("OperationNotPermittedException", message)


# Every listing of the service pages the same way: maxResults up to 100, nextToken.
PAGES = PageRule(token="nextToken", size="maxResults", default=100, minimum=1, maximum=100,
                 out_of_range=lambda n: invalid_value(f"maxResults must be between 1 and 100, not {n}."),
                 bad_token=lambda t: invalid_value("The nextToken is not valid."))


def page_of(paginator: Paginator, items: list, params: dict, key: str, shape: Callable = lambda item: item,
            query: Any = None) -> dict:
    """The output of a listing: the page of ``items`` the request asks for, shaped, under ``key``,
    and the token of the next page when there is one (a token is good only for the same query)."""
    page, token = paginator.paginate(items, params, PAGES, query=query)
    output: dict = {key: [shape(item) for item in page]}
    if token:
        output["nextToken"] = token
    return output


def configuration_id(kind: str) -> str:
    """``d-server-0315rfdjreyqsq``: "d-", the item type, and 14 lowercase letters and digits."""
    return f"d-{kind}-{ids.lower_alnum(14)}"


def item_type(configuration: str) -> str | None:
    """SERVER, PROCESS, CONNECTION or APPLICATION, from an id's shape; None for anything else."""
    for kind in ("server", "process", "connection", "application"):
        if configuration.startswith(f"d-{kind}-"):
            return kind.upper()
    return None


class DiscoveryState:
    def __init__(self, store: Store, home_regions: Callable[[], Any]) -> None:
        self.store = store
        self._home_regions = home_regions  # Migration Hub Config's api
        self.agents = store.collection("discovery.agents", models.Agent)
        self.servers = store.collection("discovery.servers", models.Server)
        self.processes = store.collection("discovery.processes", models.Process)
        self.connections = store.collection("discovery.connections", models.Connection)
        self.applications = store.collection("discovery.applications", models.Application)
        self.tags = store.collection("discovery.tags", models.Tag)
        self.exports = store.collection("discovery.exports", models.ExportTask)
        self.imports = store.collection("discovery.imports", models.ImportTask)
        self.deletions = store.collection("discovery.deletions", models.BatchDeleteTask)
        self.continuous = store.collection("discovery.continuous_exports", models.ContinuousExport)
        # The bucket of the account's exports and continuous exports (AWS keeps them in one it manages).
        self.buckets = store.collection("discovery.buckets")
        store.db.executescript(_RECORDS)
        store.on_reset(lambda: store.db.execute("DELETE FROM discovery_records"))
        store.on_reset(self.forget_indexes)
        # What a report's process or connection already is, without reading every item (ingest.py):
        # built from the collections when first needed, dropped whenever items are deleted.
        self._process_ids: dict[Scope, dict[tuple, str]] = {}
        self._connection_ids: dict[Scope, dict[tuple, str]] = {}

    # -- the home Region ---------------------------------------------------------------------
    def scope(self, ctx: RequestContext, write: bool) -> Scope:
        """Where the caller's discovery data is: (account, home Region), or the error AWS answers."""
        return (ctx.account_id, self._home_regions().check(ctx.account_id, ctx.region, write))

    def home_scope(self, account: str) -> Scope | None:
        home = self._home_regions().home_region(account)
        return (account, home) if home else None

    # -- lookups -------------------------------------------------------------------------------
    def item(self, scope: Scope, configuration: str) -> Any:
        """The configuration item with this id, of any type, or None."""
        kind = item_type(configuration)
        collection = {"SERVER": self.servers, "PROCESS": self.processes, "CONNECTION": self.connections,
                      "APPLICATION": self.applications}.get(kind or "")
        return collection.get(scope, configuration) if collection is not None else None

    def tags_of(self, scope: Scope, configuration: str) -> list[models.Tag]:
        return [t for t in self.tags.values(scope) if t.configuration_id == configuration]

    def applications_of(self, scope: Scope, server_id: str) -> list[models.Application]:
        return [a for a in self.applications.values(scope) if server_id in a.servers]

    def server_of_agent(self, scope: Scope, agent_id: str) -> models.Server | None:
        agent = self.agents.get(scope, agent_id)
        return self.servers.get(scope, agent.server_id) if agent is not None else None

    def servers_by_ip(self, scope: Scope) -> dict[str, str]:
        """Address -> d-server id, for addresses exactly one server has (an address every host
        has, such as 127.0.0.1 on hosts not told otherwise, names no one)."""
        owners: dict[str, set[str]] = {}
        for server in self.servers.values(scope):
            for interface in server.interfaces:
                if interface.get("ipAddress"):
                    owners.setdefault(interface["ipAddress"], set()).add(server.configuration_id)
        return {ip: next(iter(found)) for ip, found in owners.items() if len(found) == 1}

    def process_index(self, scope: Scope) -> dict[tuple, str]:
        """(server id, name, command line) -> d-process id."""
        index = self._process_ids.get(scope)
        if index is None:
            index = self._process_ids[scope] = {(p.server_id, p.name, p.command_line): p.configuration_id
                                                for p in self.processes.values(scope)}
        return index

    def connection_index(self, scope: Scope) -> dict[tuple, str]:
        """(source ip, destination ip, destination port, protocol) -> d-connection id."""
        index = self._connection_ids.get(scope)
        if index is None:
            index = self._connection_ids[scope] = {
                (c.source_ip, c.destination_ip, c.destination_port, c.transport_protocol): c.configuration_id
                for c in self.connections.values(scope)}
        return index

    def forget_indexes(self) -> None:
        self._process_ids.clear()
        self._connection_ids.clear()

    # -- what agents reported over time ----------------------------------------------------------
    def add_records(self, scope: Scope, server_id: str, rows: list[tuple[str, float, dict]]) -> None:
        self.store.executemany(
            "INSERT INTO discovery_records(account, region, server_id, kind, ts, doc) VALUES (?,?,?,?,?,?)",
            [(scope[0], scope[1], server_id, kind, ts, orjson.dumps(doc)) for kind, ts, doc in rows])

    def records(self, scope: Scope, server_id: str, kind: str, start: float | None = None,
                end: float | None = None) -> Iterator[tuple[float, dict]]:
        rows = self.store.execute(
            "SELECT ts, doc FROM discovery_records WHERE account=? AND region=? AND server_id=? AND kind=? "
            "AND ts >= ? AND ts <= ? ORDER BY ts, rowid",
            (scope[0], scope[1], server_id, kind, start if start is not None else 0.0,
             end if end is not None else 1e18)).fetchall()
        for ts, doc in rows:
            yield ts, orjson.loads(doc)

    def records_since(self, scope: Scope, since: float, until: float) -> list[tuple[str, str, float, dict]]:
        rows = self.store.execute(
            "SELECT server_id, kind, ts, doc FROM discovery_records WHERE account=? AND region=? AND ts > ? AND ts <= ? "
            "ORDER BY ts, rowid", (scope[0], scope[1], since, until)).fetchall()
        return [(server, kind, ts, orjson.loads(doc)) for server, kind, ts, doc in rows]

    def forget_records(self, scope: Scope, server_id: str) -> None:
        self.store.execute("DELETE FROM discovery_records WHERE account=? AND region=? AND server_id=?",
                           (scope[0], scope[1], server_id))
