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
import shutil
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elbv2 import ssl_policies
from regionbox.services.elbv2.listener_attributes import HeaderSettings, known
from regionbox.services.elbv2.models import Elbv2State, LoadBalancer
from regionbox.services.elbv2.proxy import NodePort, NodeServer, Pool
from regionbox.services.elbv2.routing import Router

if TYPE_CHECKING:
    from regionbox.core.addresses import AddressAllocator
    from regionbox.core.listeners import Listener, Listeners
    from regionbox.core.tls import LocalCA
    from regionbox.services.elbv2.models import Listener as ListenerDoc

log = logging.getLogger("regionbox.elbv2.nodes")

HTTP_PORT = 80
_NO_CHECK_TIME = 0x200000  # OpenSSL's X509_V_FLAG_NO_CHECK_TIME: IgnoreClientCertificateExpiry


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
        self._serving: dict[tuple[str, int], tuple] = {}
        self._headers: dict[str, HeaderSettings] = {}  # listener ARN -> what its nodes do to heads  # (load balancer ARN, port) -> the TLS settings served

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

    async def open(self, scope: Scope, lb: LoadBalancer, listener: "ListenerDoc") -> None:
        """Start serving the listener's port on every node, each also on the DNS name's address;
        HTTPS with a certificate of the local CA for all those addresses, the listener's security
        policy, and its trust store when it verifies clients."""
        port, protocol = listener.port, listener.protocol
        if (lb.arn, port) in self._open:
            return
        if port != HTTP_PORT:
            self.addresses.reserve(lb.dns_address, port)
        context = None
        if protocol == "HTTPS":
            context = await asyncio.to_thread(self._tls_context, scope, lb, listener)
        opened: list[Listener] = []
        try:
            for zone, address in lb.nodes.items():
                node = NodePort(self.router, self.pool, scope, lb.arn, port, self._idle_timeout(scope, lb.arn), protocol,
                                self.header_settings(listener.arn, known(listener)), self._tls_info(scope, lb.arn))
                opened.append(await self.listeners.open(owner="elbv2", zone=zone, port=port, address=address,
                                                        serve=_serving(node, lb.dns_address, context)))
        except BaseException:
            await self._close(opened, lb, port)
            raise
        self._open[(lb.arn, port)] = opened
        self._serving[(lb.arn, port)] = _tls_key(listener)

    def _tls_context(self, scope: Scope, lb: LoadBalancer, listener: "ListenerDoc") -> ssl.SSLContext:
        cert, key = self.ca.issue(self.certificates / lb.lb_id, [lb.dns_address, *lb.nodes.values()])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        ssl_policies.apply(context, listener.ssl_policy or ssl_policies.DEFAULT_POLICY)
        mutual = listener.mutual_authentication or {}
        if mutual.get("Mode") == "verify":
            store = self.state.trust_stores.get(scope, mutual.get("TrustStoreArn", ""))
            if store is None:
                raise ServiceError("TrustStoreNotFound", f"Trust store '{mutual.get('TrustStoreArn')}' not found")
            # The bundle and its revocation lists in one file: OpenSSL reads CRLs only from a file.
            path = self.certificates / lb.lb_id / f"truststore-{listener.port}.pem"
            path.parent.mkdir(parents=True, exist_ok=True)
            crls = [revocation["crl"] for revocation in store.revocations.values()]
            path.write_text(store.bundle + "".join(crls))
            context.load_verify_locations(str(path))
            context.verify_mode = ssl.CERT_REQUIRED
            if crls:
                context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
            if mutual.get("IgnoreClientCertificateExpiry"):
                context.verify_flags |= _NO_CHECK_TIME
        return context

    async def refresh(self, scope: Scope, lb: LoadBalancer, listener: "ListenerDoc", old_port: int | None = None) -> None:
        """Serve a listener whose port, protocol or TLS settings changed: its ports opened again."""
        old_port = listener.port if old_port is None else old_port
        if (lb.arn, old_port) in self._open and old_port == listener.port \
                and self._serving.get((lb.arn, old_port)) == _tls_key(listener):
            return
        await self.close(lb, old_port)
        await self.open(scope, lb, listener)

    async def reload_trust_store(self, scope: Scope, arn: str) -> None:
        """A trust store changed: the listeners verifying with it open again with its new bundle and lists."""
        for listener in self.state.listeners.values(scope):
            if (listener.mutual_authentication or {}).get("TrustStoreArn") == arn:
                lb = self.state.load_balancers.get(scope, listener.lb_arn)
                if lb is not None:
                    await self.close(lb, listener.port)
                    await self.open(scope, lb, listener)

    async def close(self, lb: LoadBalancer, port: int) -> None:
        self._serving.pop((lb.arn, port), None)
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

    async def rezone(self, scope: Scope, lb: LoadBalancer, zones: list[dict]) -> None:
        """Move a load balancer to other AZs (SetSubnets): its ports close, nodes of the AZs it
        leaves give their addresses back, new AZs get nodes, and the ports open on the new set
        (with a certificate naming the new addresses)."""
        for _, port in [key for key in self._open if key[0] == lb.arn]:
            await self.close(lb, port)
        names = {zone["ZoneName"] for zone in zones}
        for zone, address in lb.nodes.items():
            if zone not in names:
                self.addresses.release(address, HTTP_PORT)
        lb.nodes = {zone["ZoneName"]: lb.nodes.get(zone["ZoneName"]) or self.addresses.allocate(HTTP_PORT)[0]
                    for zone in zones}
        lb.zones = zones
        await asyncio.to_thread(shutil.rmtree, self.certificates / lb.lb_id, True)
        for listener in self.state.listeners_of(scope, lb.arn):
            await self.open(scope, lb, listener)

    async def restore(self) -> None:
        """After a restart: every load balancer's addresses and listener ports, as they were."""
        for scope, _, lb in self.state.load_balancers.all():
            for address in [lb.dns_address, *lb.nodes.values()]:
                self.addresses.reserve(address, HTTP_PORT)
            for listener in self.state.listeners_of(scope, lb.arn):
                try:
                    await self.open(scope, lb, listener)
                except OSError:
                    log.exception("listener %s of %s could not be opened again", listener.port, lb.name)

    def close_all(self) -> None:
        """The cloud closes the listeners themselves (stop, reset); forget them and the pool."""
        self._open.clear()
        self._serving.clear()
        self._headers.clear()
        self.pool.close()

    def header_settings(self, listener_arn: str, attributes: dict[str, str] | None = None) -> HeaderSettings:
        """The settings a listener's node ports share, changed in place by ModifyListenerAttributes."""
        settings = self._headers.get(listener_arn)
        if settings is None:
            settings = self._headers[listener_arn] = HeaderSettings()
            settings.update(attributes or {})
        return settings

    def _tls_info(self, scope: Scope, lb_arn: str):
        def enabled() -> bool:
            lb = self.state.load_balancers.get(scope, lb_arn)
            return lb is not None and lb.attributes.get("routing.http.x_amzn_tls_version_and_cipher_suite.enabled") == "true"
        return enabled

    def _idle_timeout(self, scope: Scope, lb_arn: str):
        def seconds() -> float:
            lb = self.state.load_balancers.get(scope, lb_arn)
            return float(lb.attributes.get("idle_timeout.timeout_seconds", "60")) if lb is not None else 60.0
        return seconds


def _serving(node: NodePort, shared_address: str, context: ssl.SSLContext | None):
    """The node's server factory: on its own address and, shared with the other nodes, the DNS name's."""
    return lambda address, port: NodeServer.start(node, address, port, shared_address, context)


def _tls_key(listener: "ListenerDoc") -> tuple:
    """What a listener's TLS context is made of (a change means opening its port again)."""
    return (listener.protocol, listener.ssl_policy, repr(sorted((listener.mutual_authentication or {}).items())))
