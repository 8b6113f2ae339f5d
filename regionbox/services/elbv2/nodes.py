"""Load balancer nodes: one per enabled AZ, each on its own loopback address, serving every
listener port of its load balancer (the kit's HTTP listeners, so an AZ outage stops that AZ's
node and drops its connections), and the address the DNS name stands for.

On AWS a client resolves the load balancer's DNS name to the addresses of the nodes in healthy
zones. Here the DNS name is one stable address (an endpoint proxy, like ElastiCache's primary
endpoint) that spreads new connections round robin over the nodes that serve, leaves out a node
whose zone is down, and cuts the connections it had to it, as a client whose node vanished sees.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.core.topology import Topology
from regionbox.services.elbv2.models import Elbv2State, LoadBalancer
from regionbox.services.elbv2.proxy import NodeApp, Pool
from regionbox.services.elbv2.routing import Router

if TYPE_CHECKING:
    from regionbox.core.addresses import AddressAllocator
    from regionbox.core.listeners import Listener, Listeners
    from regionbox.engines import EndpointProxy, ProxyHub

log = logging.getLogger("regionbox.elbv2.nodes")

HTTP_PORT = 80


class Nodes:
    def __init__(self, state: Elbv2State, router: Router, tasks: Tasks, topology: Topology, bus,
                 addresses: "AddressAllocator", listeners: "Listeners", proxies: "ProxyHub") -> None:
        self.state = state
        self.router = router
        self.tasks = tasks
        self.topology = topology
        self.addresses = addresses
        self.listeners = listeners
        self.proxies = proxies
        self.pool = Pool()
        # (load balancer ARN, port) -> the nodes' listeners and the DNS name's endpoint.
        self._open: dict[tuple[str, int], tuple[list["Listener"], "EndpointProxy"]] = {}
        bus.subscribe("az.outage", self._on_zone_change)
        bus.subscribe("az.restore", self._on_zone_change)

    def allocate(self, lb: LoadBalancer) -> None:
        """Addresses for a new load balancer: its DNS name's and one node's per AZ."""
        lb.dns_address = self.addresses.allocate(HTTP_PORT)[0]
        lb.nodes = {zone["ZoneName"]: self.addresses.allocate(HTTP_PORT)[0] for zone in lb.zones}

    def provision(self, scope: Scope, lb: LoadBalancer) -> None:
        """provisioning -> active once the nodes exist (they serve as soon as a listener opens)."""
        async def activate() -> None:
            current = self.state.load_balancers.get(scope, lb.arn)
            if current is not None and current.state == "provisioning":
                current.state = "active"
                self.state.load_balancers.put(scope, current.arn, current)

        self.tasks.spawn(activate(), owner="elbv2", what=f"provisioning {lb.arn}")

    async def open(self, scope: Scope, lb: LoadBalancer, port: int) -> None:
        """Start serving ``port`` on every node, and the DNS name's endpoint for it."""
        if (lb.arn, port) in self._open:
            return
        opened: list[Listener] = []
        try:
            for zone, address in lb.nodes.items():
                app = NodeApp(self.router, self.pool, scope, lb.arn, port, self._idle_timeout(scope, lb.arn))
                opened.append(await self.listeners.open_http(owner="elbv2", zone=zone, port=port, app=app, address=address))
            self.addresses.reserve(lb.dns_address, port)
            endpoint = self.proxies.open(lb.dns_address, port, self._serving(opened))
        except BaseException:
            for listener in opened:
                await self.listeners.close(listener)
            raise
        self._open[(lb.arn, port)] = (opened, endpoint)

    async def close(self, lb: LoadBalancer, port: int) -> None:
        opened, endpoint = self._open.pop((lb.arn, port), ([], None))
        if endpoint is not None:
            endpoint.close()
        for listener in opened:
            await self.listeners.close(listener)
            if port == HTTP_PORT:
                self.addresses.reserve(listener.address, port)  # the node keeps its address
        if port != HTTP_PORT:
            self.addresses.release(lb.dns_address, port)

    async def remove(self, lb: LoadBalancer) -> None:
        for arn, port in [key for key in self._open if key[0] == lb.arn]:
            await self.close(lb, port)
        for address in [lb.dns_address, *lb.nodes.values()]:
            self.addresses.release(address, HTTP_PORT)

    async def restore(self) -> None:
        """After a restart: every load balancer's addresses and listener ports, as they were."""
        for scope, _, lb in self.state.load_balancers.all():
            for address in [lb.dns_address, *lb.nodes.values()]:
                self.addresses.reserve(address, HTTP_PORT)
            for listener in self.state.listeners_of(scope, lb.arn):
                try:
                    await self.open(scope, lb, listener.port)
                except OSError:
                    log.exception("listener %s of %s could not be opened again", listener.port, lb.name)

    def close_all(self) -> None:
        for _, endpoint in self._open.values():
            endpoint.close()
        self._open.clear()
        self.pool.close()

    def _serving(self, opened: list["Listener"]) -> list[tuple[str, int]]:
        return [listener.endpoint for listener in opened if self.topology.is_available(listener.zone)]

    async def _on_zone_change(self, _topic: str, _zone) -> None:
        for opened, endpoint in self._open.values():
            endpoint.set_targets(self._serving(opened))

    def _idle_timeout(self, scope: Scope, lb_arn: str):
        def seconds() -> float:
            lb = self.state.load_balancers.get(scope, lb_arn)
            return float(lb.attributes.get("idle_timeout.timeout_seconds", "60")) if lb is not None else 60.0
        return seconds
