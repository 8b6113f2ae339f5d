"""Endpoints for tools and tests, outside any AWS API.

GET  /_regionbox/health (and /_localstack/health)  ready check, services and their state
GET  /_regionbox/status                            services, engines, state directory, zones down
POST /_regionbox/reset                             forget all state in every account and region
GET  /_regionbox/az?region=R                       zones and whether they are up
POST /_regionbox/az/{zone}/outage | /restore       switch an Availability Zone off or on
GET  /_regionbox/coverage                          every served service's operations, implemented or not (and why)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from regionbox import __version__
from regionbox.core.errors import ServiceError
from regionbox.core.topology import UnknownZone
from regionbox.protocol.generic import error_response, json_response
from regionbox.protocol.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from regionbox.server import Cloud

generic_error = error_response


def _health(cloud: "Cloud") -> HttpResponse:
    services = {name: ("running" if cloud.ready else "starting") for name in cloud.services.names}
    return json_response({"services": services, "edition": "regionbox", "version": __version__, "ready": cloud.ready},
                         200 if cloud.ready else 503)


async def handle(cloud: "Cloud", request: HttpRequest) -> HttpResponse:
    path = request.path.rstrip("/")
    method = request.method
    if path in ("/_regionbox/health", "/_localstack/health") and method in ("GET", "HEAD"):
        return _health(cloud)
    if path == "/_regionbox/status" and method == "GET":
        return json_response(cloud.status())
    if path == "/_regionbox/coverage" and method == "GET":
        return json_response(cloud.services.coverage())
    if path == "/_regionbox/reset" and method == "POST":
        await cloud.reset()
        return json_response({"reset": True})
    if path == "/_regionbox/az" and method == "GET":
        region = request.query_param("region") or cloud.config.default_region
        return json_response({"region": region, "zones": [
            {"ZoneName": z.name, "ZoneId": z.zone_id, "State": "available" if cloud.topology.is_available(z.name) else "outage"}
            for z in cloud.topology.zones(region)
        ]})
    parts = path.split("/")
    if len(parts) == 5 and parts[2] == "az" and parts[4] in ("outage", "restore") and method == "POST":
        try:
            zone = await (cloud.topology.outage if parts[4] == "outage" else cloud.topology.restore)(parts[3])
        except UnknownZone:
            return json_response({"error": f"unknown Availability Zone {parts[3]}"}, 404)
        return json_response({"ZoneName": zone.name, "ZoneId": zone.zone_id,
                              "State": "available" if cloud.topology.is_available(zone.name) else "outage"})
    return error_response(ServiceError("NotFound", f"no internal endpoint {method} {path}", status=404), "")
