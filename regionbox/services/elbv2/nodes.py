"""Load balancer nodes: one per enabled AZ, each on its own loopback address, serving every
listener port of its load balancer (the kit's listeners serving proxy.py's protocol, so an AZ outage stops that AZ's
node and drops its connections), and the address the DNS name stands for.

On AWS a client resolves the load balancer's DNS name to the addresses of the nodes in healthy
zones. Here the DNS name is one address (as ElastiCache's endpoints are) on which every node
also listens, with SO_REUSEPORT: the kernel spreads new connections over the nodes that serve,
and a node whose zone is down has closed its socket there, so it gets none, as a DNS answer
leaves a failed node out. No proxy stands between the client and its node.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elbv2.models import Elbv2State, LoadBalancer
from regionbox.services.elbv2.proxy import NodePort, NodeServer, Pool
from regionbox.services.elbv2.routing import Router

if TYPE_CHECKING:
    from regionbox.core.addresses import AddressAllocator
    from regionbox.core.listeners import Listener, Listeners
    from regionbox.core.tls import LocalCA

log = logging.getLogger("regionbox.elbv2.nodes")

HTTP_PORT = 80


class Nodes:
    def __init__(self, state: Elbv2State, router: Router, tasks: Tasks, addresses: "AddressAllocator",
                 listeners: "Listeners", ca: "LocalCA", certificates: Path) -> None:
        self.ca = ca
        self.certificates = certificates  # a directory per load balancer with its nodes' certificate
        self.state = state
        self.router = router
        self.tasks = tasks
        self.addresses = addresses
        self.listeners = listeners
        self.pool = Pool()
        # (load balancer ARN, port) -> the nodes' listeners on that port.
        self._open: dict[tuple[str, int], list["Listener"]] = {}

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

    async def open(self, scope: Scope, lb: LoadBalancer, port: int, protocol: str = "HTTP") -> None:
        """Start serving ``port`` on every node, each also on the DNS name's address; HTTPS with a
        certificate of the local CA for all those addresses."""
        if (lb.arn, port) in self._open:
            return
        if port != HTTP_PORT:
            self.addresses.reserve(lb.dns_address, port)
        tls = None
        if protocol == "HTTPS":
            tls = await asyncio.to_thread(self.ca.issue, self.certificates / lb.lb_id, [lb.dns_address, *lb.nodes.values()])
        opened: list[Listener] = []
        try:
            for zone, address in lb.nodes.items():
                node = NodePort(self.router, self.pool, scope, lb.arn, port, self._idle_timeout(scope, lb.arn), protocol)
                opened.append(await self.listeners.open(owner="elbv2", zone=zone, port=port, address=address,
                                                        serve=_serving(node, lb.dns_address, tls)))
        except BaseException:
            await self._close(opened, lb, port)
            raise
        self._open[(lb.arn, port)] = opened

    async def close(self, lb: LoadBalancer, port: int) -> None:
        await self._close(self._open.pop((lb.arn, port), []), lb, port)

    async def _close(self, opened: list["Listener"], lb: LoadBalancer, port: int) -> None:
        for listener in opened:
            await self.listeners.close(listener)
            if port == HTTP_PORT:
                self.addresses.reserve(listener.address, port)  # the node keeps its address
        if port != HTTP_PORT:
            self.addresses.release(lb.dns_address, port)

    async def remove(self, lb: LoadBalancer) -> None:
        for _, port in [key for key in self._open if key[0] == lb.arn]:
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
                    await self.open(scope, lb, listener.port, listener.protocol)
                except OSError:
                    log.exception("listener %s of %s could not be opened again", listener.port, lb.name)

    def close_all(self) -> None:
        """The cloud closes the listeners themselves (stop, reset); forget them and the pool."""
        self._open.clear()
        self.pool.close()

    def _idle_timeout(self, scope: Scope, lb_arn: str):
        def seconds() -> float:
            lb = self.state.load_balancers.get(scope, lb_arn)
            return float(lb.attributes.get("idle_timeout.timeout_seconds", "60")) if lb is not None else 60.0
        return seconds


def _serving(node: NodePort, shared_address: str, tls):
    """The node's server factory: on its own address and, shared with the other nodes, the DNS name's."""
    return lambda address, port: NodeServer.start(node, address, port, shared_address, tls)
