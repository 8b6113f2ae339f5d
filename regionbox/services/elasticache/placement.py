"""Which Availability Zone each new node goes in: the cloud's one placement rule (``Topology.place``).

Zones the caller names (PreferredCacheClusterAZs, NodeGroupConfiguration, PreferredAvailabilityZone(s),
NewAvailabilityZones) are kept even when the zone is down: that node then fails as AWS fails it,
with InsufficientCacheClusterCapacity. Every other node goes round robin over the zones of the
cache subnet group's subnets ("default": the default VPC's subnets) that are up.
"""

from __future__ import annotations

from typing import Callable

from regionbox.core.store import Scope
from regionbox.core.topology import Topology, UnknownZone
from regionbox.services.elasticache import validation as check


class ZoneUnavailable(Exception):
    """Nodes that cannot be started because their AZ is down (AWS: InsufficientCacheClusterCapacity)."""

    def __init__(self, zones: dict[str, str]) -> None:
        self.zones = zones  # cache cluster id -> its zone
        super().__init__(f"InsufficientCacheClusterCapacity in {', '.join(sorted(set(zones.values())))}")


class Placement:
    def __init__(self, topology: Topology, subnet_zones: Callable[[Scope, str | None], list[str] | None]) -> None:
        self.topology = topology
        # The AZs of a cache subnet group's subnets (None: any AZ of the region).
        self.subnet_zones = subnet_zones

    def check_zone(self, scope: Scope, name: str) -> str:
        try:
            zone = self.topology.zone(name)
        except UnknownZone:
            zone = None
        if zone is None or zone.region != scope[1]:
            raise check.invalid(f"Invalid availability zone: {name}")
        return zone.name

    def zones(self, scope: Scope, count: int, pinned: list[str] | None = None, start: int = 0,
              subnet_group: str | None = None) -> list[str]:
        """Zones for ``count`` nodes: the ones pinned (checked), then the subnet group's healthy
        zones round robin."""
        named = [self.check_zone(scope, z) for z in (pinned or [])]
        return self.topology.place(scope[1], count, candidates=self.subnet_zones(scope, subnet_group), pinned=named,
                                   start=start)

    def is_up(self, zone: str) -> bool:
        return self.topology.is_available(zone)

    def require_up(self, zones: dict[str, str]) -> None:
        """Raise ``ZoneUnavailable`` for the nodes (cluster id -> zone) whose zone is down."""
        lost = {cluster_id: zone for cluster_id, zone in zones.items() if not self.is_up(zone)}
        if lost:
            raise ZoneUnavailable(lost)
