"""Regions and Availability Zones, and switching an AZ off.

Names and zone ids are the real ones where we know them: AZ names are mapped to ids per
account on AWS, and we use one fixed mapping. Regions we do not know get three AZs a, b, c.
Services place nodes in AZs and subscribe to "az.outage" / "az.restore" on the event bus;
``outage`` and ``restore`` are the single mechanism every service uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.core.events import EventBus

# region -> [(zone name suffix, zone id)], from AWS's published AZ ids.
KNOWN_ZONES: dict[str, list[tuple[str, str]]] = {
    "us-east-1": [("a", "use1-az6"), ("b", "use1-az1"), ("c", "use1-az2"), ("d", "use1-az4"), ("e", "use1-az3"), ("f", "use1-az5")],
    "us-east-2": [("a", "use2-az1"), ("b", "use2-az2"), ("c", "use2-az3")],
    "us-west-1": [("a", "usw1-az1"), ("c", "usw1-az3")],
    "us-west-2": [("a", "usw2-az1"), ("b", "usw2-az2"), ("c", "usw2-az3"), ("d", "usw2-az4")],
    "ap-northeast-1": [("a", "apne1-az4"), ("c", "apne1-az1"), ("d", "apne1-az2")],
    "ap-northeast-2": [("a", "apne2-az1"), ("b", "apne2-az2"), ("c", "apne2-az3"), ("d", "apne2-az4")],
    "ap-northeast-3": [("a", "apne3-az3"), ("b", "apne3-az1"), ("c", "apne3-az2")],
    "ap-southeast-1": [("a", "apse1-az1"), ("b", "apse1-az2"), ("c", "apse1-az3")],
    "ap-southeast-2": [("a", "apse2-az1"), ("b", "apse2-az3"), ("c", "apse2-az2")],
    "ap-south-1": [("a", "aps1-az1"), ("b", "aps1-az3"), ("c", "aps1-az2")],
    "eu-west-1": [("a", "euw1-az1"), ("b", "euw1-az2"), ("c", "euw1-az3")],
    "eu-west-2": [("a", "euw2-az2"), ("b", "euw2-az3"), ("c", "euw2-az1")],
    "eu-central-1": [("a", "euc1-az2"), ("b", "euc1-az3"), ("c", "euc1-az1")],
    "eu-north-1": [("a", "eun1-az1"), ("b", "eun1-az2"), ("c", "eun1-az3")],
    "ca-central-1": [("a", "cac1-az1"), ("b", "cac1-az2"), ("d", "cac1-az4")],
    "sa-east-1": [("a", "sae1-az1"), ("b", "sae1-az2"), ("c", "sae1-az3")],
    "eu-west-3": [("a", "euw3-az1"), ("b", "euw3-az2"), ("c", "euw3-az3")],
    "ca-west-1": [("a", "caw1-az1"), ("b", "caw1-az2"), ("c", "caw1-az3")],
    "af-south-1": [("a", "afs1-az1"), ("b", "afs1-az2"), ("c", "afs1-az3")],
    "ap-east-1": [("a", "ape1-az1"), ("b", "ape1-az2"), ("c", "ape1-az3")],
    "ap-south-2": [("a", "aps2-az1"), ("b", "aps2-az2"), ("c", "aps2-az3")],
    "ap-southeast-3": [("a", "apse3-az1"), ("b", "apse3-az2"), ("c", "apse3-az3")],
    "ap-southeast-4": [("a", "apse4-az1"), ("b", "apse4-az2"), ("c", "apse4-az3")],
    "ap-southeast-5": [("a", "apse5-az1"), ("b", "apse5-az2"), ("c", "apse5-az3")],
    "ap-southeast-7": [("a", "apse7-az1"), ("b", "apse7-az2"), ("c", "apse7-az3")],
    "eu-central-2": [("a", "euc2-az1"), ("b", "euc2-az2"), ("c", "euc2-az3")],
    "eu-south-1": [("a", "eus1-az1"), ("b", "eus1-az2"), ("c", "eus1-az3")],
    "eu-south-2": [("a", "eus2-az1"), ("b", "eus2-az2"), ("c", "eus2-az3")],
    "il-central-1": [("a", "ilc1-az1"), ("b", "ilc1-az2"), ("c", "ilc1-az3")],
    "me-central-1": [("a", "mec1-az1"), ("b", "mec1-az2"), ("c", "mec1-az3")],
    "me-south-1": [("a", "mes1-az1"), ("b", "mes1-az2"), ("c", "mes1-az3")],
    "mx-central-1": [("a", "mxc1-az1"), ("b", "mxc1-az2"), ("c", "mxc1-az3")],
    # The other partitions: China (aws-cn) and GovCloud (aws-us-gov).
    "cn-north-1": [("a", "cnn1-az1"), ("b", "cnn1-az2"), ("d", "cnn1-az4")],
    "cn-northwest-1": [("a", "cnnw1-az1"), ("b", "cnnw1-az2"), ("c", "cnnw1-az3")],
    "us-gov-west-1": [("a", "usgw1-az1"), ("b", "usgw1-az2"), ("c", "usgw1-az3")],
    "us-gov-east-1": [("a", "usge1-az1"), ("b", "usge1-az2"), ("c", "usge1-az3")],
}

# Regions an account must opt in to before using them (DescribeRegions' OptInStatus); every
# region is usable here, and reported as "opted-in".
OPT_IN_REGIONS = frozenset({"af-south-1", "ap-east-1", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
                            "ap-southeast-5", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1",
                            "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1"})


def opt_in_status(region: str) -> str:
    return "opted-in" if region in OPT_IN_REGIONS else "opt-in-not-required"

REGION_NAMES = list(KNOWN_ZONES)


@dataclass(frozen=True)
class Zone:
    name: str  # ap-northeast-1a
    zone_id: str  # apne1-az4
    region: str

    @property
    def group(self) -> str:
        return self.region


class UnknownZone(KeyError):
    pass


class Topology:
    def __init__(self, bus: EventBus, store=None) -> None:
        self.bus = bus
        self._store = store
        self._down: set[str] = set()
        if store is not None:
            raw = store.get_meta("topology.down")
            if raw:
                self._down = set(raw.decode().split(",")) - {""}

    def zones(self, region: str) -> list[Zone]:
        known = KNOWN_ZONES.get(region)
        if known is None:
            prefix = "".join(part[0] for part in region.split("-")[:-1]) + region.rsplit("-", 1)[-1]
            known = [(suffix, f"{prefix}-az{i}") for i, suffix in enumerate("abc", start=1)]
        return [Zone(f"{region}{suffix}", zone_id, region) for suffix, zone_id in known]

    def zone(self, name: str) -> Zone:
        """A zone by name (ap-northeast-1a) or by zone id (apne1-az4)."""
        regions = [name[:-1]] if not name[-1].isdigit() else REGION_NAMES
        for region in regions:
            for zone in self.zones(region):
                if name in (zone.name, zone.zone_id):
                    return zone
        raise UnknownZone(name)

    def is_available(self, zone_name: str) -> bool:
        return zone_name not in self._down

    def place(self, region: str, count: int, *, candidates: list[str] | None = None,
              pinned: list[str] | None = None, start: int = 0) -> list[str]:
        """Zones for ``count`` new nodes, the one placement rule of every service.

        ``pinned`` zones (the caller named them) come first and are kept even when down: that
        node then gets the failure AWS reports. The rest go round robin, from ``start``, over the
        ``candidates`` (the AZs of the subnets given; default every AZ of the region) that are
        up, skipping zones in an outage as AWS places new nodes only where there is capacity.
        With every candidate down they go round robin over all of them, and wait for their zone.
        """
        zones = list(pinned or [])[:count]
        names = candidates or [zone.name for zone in self.zones(region)]
        healthy = [name for name in names if self.is_available(name)] or names
        while len(zones) < count:
            zones.append(healthy[(start + len(zones)) % len(healthy)])
        return zones

    @property
    def down(self) -> set[str]:
        return set(self._down)

    def _save(self) -> None:
        if self._store is not None:
            self._store.set_meta("topology.down", ",".join(sorted(self._down)).encode())

    async def outage(self, zone_name: str) -> Zone:
        """Switch an AZ off: every service stops what it placed there, as a power loss would."""
        zone = self.zone(zone_name)
        self._down.add(zone.name)
        self._save()
        await self.bus.publish("az.outage", zone)
        return zone

    async def restore(self, zone_name: str) -> Zone:
        zone = self.zone(zone_name)
        self._down.discard(zone.name)
        self._save()
        await self.bus.publish("az.restore", zone)
        return zone

    def reset(self) -> None:
        self._down.clear()
        self._save()
