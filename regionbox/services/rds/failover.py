"""Multi-AZ: the standby in another AZ, and the failover that promotes it.

The standby is a streaming replica made with ``pg_basebackup``; the primary's commits wait for it
(``synchronous_standby_names = '*'``, ``synchronous_commit = on``), so a commit the client saw is
on both servers. When the standby is down (its AZ is out, it crashed) the primary stops waiting,
as RDS's primary keeps serving while its standby is replaced, and waits again once it is back.

A failover (RebootDBInstance with ForceFailover, or an outage of the primary's AZ): the old primary
stops (cleanly if it still runs: it hands its last WAL to the standby first), the standby restarts
without ``standby.signal`` and so comes up as the primary, listening on the endpoint's address as
well: the endpoint follows it. A new standby is then cloned from it, in the old primary's AZ if that
is up, else in another AZ of the subnet group.
"""

from __future__ import annotations

import logging
import shutil
from typing import TYPE_CHECKING, Callable

from regionbox.core.addresses import AddressAllocator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.core.topology import Topology
from regionbox.services.rds.events import EventLog, Messages
from regionbox.services.rds.models import DBInstance, DbNode, RdsState
from regionbox.services.rds.postgres import PostgresNodes

if TYPE_CHECKING:
    from regionbox.engines import Node

log = logging.getLogger("regionbox.rds")


def next_node_id(instance: DBInstance, existing: list[str]) -> str:
    number = 1
    while f"{instance.resource_id.lower()}-{number}" in existing:
        number += 1
    return f"{instance.resource_id.lower()}-{number}"


class Failover:
    def __init__(self, state: RdsState, nodes: PostgresNodes, events: EventLog, tasks: Tasks, topology: Topology,
                 addresses: AddressAllocator, zones_of: Callable[[Scope, str], list[str] | None],
                 settings_of: Callable[[Scope, DBInstance], dict[str, str]]) -> None:
        self.state = state
        self.nodes = nodes
        self.events = events
        self.tasks = tasks
        self.topology = topology
        self.addresses = addresses
        self.zones_of = zones_of
        self.settings_of = settings_of
        # Told after a failover, to point the instance's read replicas at the new primary.
        self.after_failover: list = []

    def save(self, scope: Scope, instance: DBInstance) -> None:
        if (scope, instance.identifier) in self.state.instances:
            self.state.instances.put(scope, instance.identifier, instance)

    def current(self, scope: Scope, identifier: str) -> DBInstance | None:
        return self.state.instances.get(scope, identifier)

    def standby_zone(self, scope: Scope, instance: DBInstance, preferred: str | None = None) -> str | None:
        """An AZ of the subnet group other than the primary's, up; ``preferred`` first."""
        zones = self.zones_of(scope, instance.subnet_group) or [z.name for z in self.topology.zones(scope[1])]
        primary_zone = instance.primary.zone if instance.primary else None
        healthy = [z for z in zones if z != primary_zone and self.topology.is_available(z)]
        if preferred in healthy:
            return preferred
        return healthy[0] if healthy else None

    # -- the standby ---------------------------------------------------------------------------
    async def set_synchronous(self, scope: Scope, instance: DBInstance, synchronous: bool) -> None:
        primary = instance.primary
        if primary is None:
            return
        self.nodes.write_settings(primary.node_id, self.settings_of(scope, instance), synchronous)
        if self.nodes.running(primary):
            await self.nodes.reload(instance, primary)

    async def add_standby(self, scope: Scope, instance: DBInstance, preferred_zone: str | None = None) -> bool:
        zone = self.standby_zone(scope, instance, preferred_zone)
        if zone is None:
            self.events.record(scope, instance.identifier, "db-instance", Messages.CANNOT_FAIL_OVER, instance.arn,
                               reason="no other Availability Zone of the DB subnet group is available for the standby")
            return False
        address, _ = self.addresses.allocate(instance.port)
        node = DbNode(node_id=next_node_id(instance, [n.node_id for n in instance.nodes]), zone=zone, address=address, role="standby")
        instance.nodes.append(node)
        self.save(scope, instance)
        await self.nodes.make_standby_data(instance, node.node_id)
        await self.nodes.start(instance, node)
        instance = self.current(scope, instance.identifier) or instance
        await self.set_synchronous(scope, instance, True)
        return True

    async def drop_standby(self, scope: Scope, instance: DBInstance) -> None:
        standby = instance.standby
        if standby is None:
            return
        await self.set_synchronous(scope, instance, False)
        instance.nodes = [n for n in instance.nodes if n.role != "standby"]
        self.save(scope, instance)
        await self.nodes.supervisor.stop(standby.node_id, delete_data=True)

    # -- failing over ----------------------------------------------------------------------------
    async def fail_over(self, scope: Scope, identifier: str, forced: bool) -> None:
        instance = self.current(scope, identifier)
        if instance is None:
            return
        old, new = instance.primary, instance.standby
        if new is None or not self.topology.is_available(new.zone):
            self.events.record(scope, identifier, "db-instance", Messages.CANNOT_FAIL_OVER, instance.arn,
                               reason="the standby is not available")
            if forced:
                instance.status = "available"
                self.save(scope, instance)
            return
        self.events.record(scope, identifier, "db-instance", Messages.FAILOVER_STARTED, instance.arn)
        old_zone = old.zone if old else None
        if old is not None:
            # A primary that still runs shuts down cleanly: its WAL sender hands the standby every
            # record first. One that is gone (its AZ is out) is replaced, its disk with it.
            await self.nodes.supervisor.stop(old.node_id)
            shutil.rmtree(self.nodes.data_dir(old.node_id), ignore_errors=True)
        (self.nodes.pgdata(new.node_id) / "standby.signal").unlink(missing_ok=True)
        new.role = "primary"
        instance.nodes = [new]
        self.save(scope, instance)
        self.nodes.write_settings(new.node_id, self.settings_of(scope, instance), False)
        await self.nodes.restart_as(instance, new)
        self.events.record(scope, identifier, "db-instance", Messages.FAILOVER_TO_STANDBY, instance.arn)
        self.events.record(scope, identifier, "db-instance", Messages.FAILOVER_COMPLETED, instance.arn)
        for hook in self.after_failover:
            await hook(scope, identifier)
        instance = self.current(scope, identifier)
        if instance is None:
            return
        if instance.status in ("rebooting", "available"):
            instance.status = "available"
            self.save(scope, instance)
        if not instance.multi_az:
            return
        try:
            if await self.add_standby(scope, instance, preferred_zone=old_zone):
                self.events.record(scope, identifier, "db-instance", Messages.STANDBY_RECOVERED, instance.arn)
        except Exception as error:  # noqa: BLE001 - the primary serves; only the new standby failed
            instance = self.current(scope, identifier)
            if instance is not None and instance.status != "deleting":
                self.events.record(scope, identifier, "db-instance", Messages.CANNOT_FAIL_OVER, instance.arn,
                                   reason=f"the new standby could not be made: {error}")

    # -- engine events ---------------------------------------------------------------------------
    def _owner(self, node_id: str) -> tuple[Scope, DBInstance, DbNode] | None:
        for scope, _, instance in self.state.instances.all():
            for db_node in instance.nodes:
                if db_node.node_id == node_id:
                    return scope, instance, db_node
        return None

    def on_engine_event(self, node: "Node", event: str) -> None:
        if node.spec.engine != "postgres":
            return
        found = self._owner(node.node_id)
        if found is None:
            return
        scope, instance, db_node = found
        if instance.status in ("creating", "deleting", "stopping", "stopped", "modifying"):
            return
        if db_node.role == "primary" and event == "exited" and node.down_reason == "outage" and instance.standby is not None:
            self.tasks.spawn(self.fail_over(scope, instance.identifier, forced=False), owner="rds",
                             what=f"failing over {instance.identifier}",
                             on_failure=lambda error: self._failed(scope, instance.identifier, error))
        elif db_node.role == "standby" and event in ("exited", "started"):
            self.tasks.spawn(self.set_synchronous(scope, instance, event == "started"), owner="rds",
                             what=f"{'waiting for' if event == 'started' else 'no longer waiting for'} the standby of {instance.identifier}")

    def _failed(self, scope: Scope, identifier: str, error: BaseException) -> None:
        instance = self.current(scope, identifier)
        if instance is not None:
            instance.status = "failed"
            self.save(scope, instance)
            self.events.record(scope, identifier, "db-instance", Messages.FAILED, instance.arn, reason=error)
