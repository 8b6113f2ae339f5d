"""DescribeRegions and DescribeAvailabilityZones, from the cloud's topology.

A zone switched off with ``regionbox az outage`` is reported as ``impaired`` with a message,
which is how AWS's console and API show an AZ in trouble.
"""

from __future__ import annotations

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.arns import partition_of
from regionbox.core.topology import REGION_NAMES, Topology, Zone, opt_in_status
from regionbox.services.ec2 import filters
from regionbox.services.ec2.common import check_dry_run

_REGION_FIELDS: filters.Fields = {
    "region-name": lambda r: r["RegionName"],
    "endpoint": lambda r: r["Endpoint"],
    "opt-in-status": lambda r: r["OptInStatus"],
}

_ZONE_FIELDS: filters.Fields = {
    "zone-name": lambda z: z["ZoneName"],
    "zone-id": lambda z: z["ZoneId"],
    "state": lambda z: z["State"],
    "region-name": lambda z: z["RegionName"],
    "group-name": lambda z: z["GroupName"],
    "opt-in-status": lambda z: z["OptInStatus"],
    "network-border-group": lambda z: z["NetworkBorderGroup"],
    "zone-type": lambda z: z["ZoneType"],
    "message": lambda z: [m["Message"] for m in z["Messages"]],
}


class Zones:
    def __init__(self, topology: Topology) -> None:
        self.topology = topology

    def describe_regions(self, ctx: RequestContext, params: dict) -> dict:
        check_dry_run(params)
        # The regions of the caller's partition: China and GovCloud see only their own.
        names = [name for name in REGION_NAMES if partition_of(name) == ctx.partition]
        domain = "amazonaws.com.cn" if ctx.partition == "aws-cn" else "amazonaws.com"
        regions = [{"RegionName": name, "Endpoint": f"ec2.{name}.{domain}", "OptInStatus": opt_in_status(name)}
                   for name in names]
        wanted = params.get("RegionNames")
        if wanted:
            unknown = [n for n in wanted if n not in names]
            if unknown:
                raise invalid(f"Invalid region names: {', '.join(unknown)}")
            regions = [r for r in regions if r["RegionName"] in wanted]
        return {"Regions": filters.apply(regions, params.get("Filters"), _REGION_FIELDS)}

    def _zone_shape(self, zone: Zone) -> dict:
        up = self.topology.is_available(zone.name)
        return {
            "ZoneName": zone.name,
            "ZoneId": zone.zone_id,
            "RegionName": zone.region,
            "State": "available" if up else "impaired",
            "OptInStatus": "opt-in-not-required",
            "Messages": [] if up else [{"Message": f"{zone.name} is experiencing a power outage (regionbox az outage)."}],
            "GroupName": zone.group,
            "NetworkBorderGroup": zone.region,
            "ZoneType": "availability-zone",
        }

    def describe_availability_zones(self, ctx: RequestContext, params: dict) -> dict:
        check_dry_run(params)
        zones = [self._zone_shape(z) for z in self.topology.zones(ctx.region)]
        names, zone_ids = params.get("ZoneNames") or [], params.get("ZoneIds") or []
        known_names = {z["ZoneName"] for z in zones}
        known_ids = {z["ZoneId"] for z in zones}
        unknown = [n for n in names if n not in known_names]
        if unknown:
            raise invalid(f"Invalid availability zone: [{unknown[0]}]")
        unknown = [i for i in zone_ids if i not in known_ids]
        if unknown:
            raise invalid(f"Invalid availability zone-id: [{unknown[0]}]")
        if names or zone_ids:
            zones = [z for z in zones if z["ZoneName"] in names or z["ZoneId"] in zone_ids]
        return {"AvailabilityZones": filters.apply(zones, params.get("Filters"), _ZONE_FIELDS)}
