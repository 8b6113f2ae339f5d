"""ListCollectors, ListAnalyzableServers: what Strategy Recommendations' on-premises collector (a
VM appliance that registers with the service and reads vCenter) reports. None runs against
regionbox, so both lists are empty and stay so: servers come from Application Discovery Service."""

from __future__ import annotations


class Collectors:
    def list_collectors(self, ctx, params: dict) -> dict:
        return {"Collectors": []}

    def list_analyzable_servers(self, ctx, params: dict) -> dict:
        return {"analyzableServers": []}
