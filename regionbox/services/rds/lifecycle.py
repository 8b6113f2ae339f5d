"""What RDS does when the cloud starts, stops and resets: claim its PostgreSQL servers, bring
every instance back (the servers an earlier run left running are adopted with their sessions;
the ones that died start again from their data directories, with crash recovery), and what it
offers others (``cloud.services.api("rds")``: Performance Insights reads its samples)."""

from __future__ import annotations

from regionbox.core.addresses import AddressAllocator
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.rds.events import EventLog, Messages
from regionbox.services.rds.failover import Failover
from regionbox.services.rds.instances import Instances
from regionbox.services.rds.models import DBInstance, RdsState
from regionbox.services.rds.insights import Sampler
from regionbox.services.rds.postgres import PostgresNodes

# What an instance caught in a transition when regionbox died is once its servers are back.
TRANSITIONS = {"rebooting": "available", "modifying": "available", "starting": "available", "backing-up": "available"}


class Lifecycle:
    def __init__(self, state: RdsState, nodes: PostgresNodes, instances: Instances, failover: Failover, events: EventLog,
                 tasks: Tasks, addresses: AddressAllocator, closers: list) -> None:
        self.state = state
        self.nodes = nodes
        self.instances = instances
        self.failover = failover
        self.events = events
        self.tasks = tasks
        self.addresses = addresses
        self.closers = closers  # what stops the per-instance loops (monitoring, sampling)

    async def start(self) -> None:
        supervisor = self.nodes.supervisor
        for scope, identifier, snapshot in list(self.state.snapshots.all()):
            if snapshot.status == "creating":  # its base backup died with regionbox
                snapshot.status = "failed"
                self.state.snapshots.put(scope, identifier, snapshot)
        for scope, identifier, instance in list(self.state.instances.all()):
            if instance.endpoint_address:
                self.addresses.reserve(instance.endpoint_address, instance.port)
            if instance.status in ("creating", "deleting"):
                # Half made or half gone when regionbox died: its servers are not claimed (reaped).
                for db_node in instance.nodes:
                    supervisor.claim(db_node.node_id)
                self.tasks.spawn(self._finish(scope, instance), owner="rds", what=f"finishing {identifier}")
                continue
            if instance.status in ("stopped", "stopping"):
                # Its servers are not claimed: one a stop left running when regionbox died is reaped.
                instance.status = "stopped"
                self.state.instances.put(scope, identifier, instance)
                for db_node in instance.nodes:
                    self.addresses.reserve(db_node.address, instance.port)
                continue
            survived = [supervisor.claim(db_node.node_id, as_is=True) for db_node in instance.nodes]
            if instance.status == "available" and any(fate != "running" for fate in survived):
                # A server died with regionbox: it restarts from its data directory (crash recovery),
                # and the instance is rebooting until it takes sessions again.
                instance.status = "rebooting"
                self.state.instances.put(scope, identifier, instance)
            self.tasks.spawn(self._restore(scope, identifier), owner="rds", what=f"restoring {identifier}",
                             on_failure=lambda error, scope=scope, identifier=identifier: self.instances.mark_failed(scope, identifier, error))

    async def _finish(self, scope: Scope, instance: DBInstance) -> None:
        if instance.status == "deleting":
            await self.instances._delete(scope, instance.identifier, None)
        else:
            for db_node in instance.nodes:
                await self.nodes.supervisor.stop(db_node.node_id, delete_data=True)
            self.instances.mark_failed(scope, instance.identifier, RuntimeError("regionbox stopped while the instance was being created"))

    async def _restore(self, scope: Scope, identifier: str) -> None:
        instance = self.state.instances.get(scope, identifier)
        primary, standby = instance.primary, instance.standby
        if primary is not None:
            self.nodes.write_settings(primary.node_id, self.instances.settings_of(scope, instance), False)
            await self.nodes.start(instance, primary)
        if standby is not None:
            await self.nodes.start(instance, standby)
            if self.nodes.running(standby):
                await self.failover.set_synchronous(scope, instance, True)
        instance = self.state.instances.get(scope, identifier)
        if instance.status in TRANSITIONS:
            if instance.status == "rebooting":
                self.events.record(scope, identifier, "db-instance", Messages.RESTARTED, instance.arn)
            instance.status = TRANSITIONS[instance.status]
            self.state.instances.put(scope, identifier, instance)
        if instance.status == "available":
            self.instances.notify(scope, instance, identifier)

    async def stop(self) -> None:
        for close in self.closers:
            close()
        await self.tasks.cancel("rds")

    async def reset(self) -> None:
        await self.stop()


class RdsApi:
    """What RDS offers others: its instances by DbiResourceId, and what Performance Insights'
    sampler measured on them (``pi`` reads it)."""

    def __init__(self, state: RdsState, sampler: "Sampler") -> None:
        self._state = state
        self.sampler = sampler

    def instance(self, account: str, region: str, resource_id: str) -> DBInstance | None:
        found = self._state.instance_by_resource_id(resource_id)
        return found[1] if found is not None and found[0] == (account, region) else None


__all__ = ["Lifecycle", "Messages", "RdsApi"]
