"""Engines: supervised real processes (redis-server / valkey-server, memcached), their loopback
addresses, and endpoint proxies that follow role changes.

    supervisor = Supervisor(state_dir / "engines", AddressAllocator(seed), bus=cloud.bus, topology=cloud.topology)
    node = await supervisor.start(NodeSpec("use1/rg-001", "redis", "7.1", "us-east-1a", 6379))
    node.address, node.port, node.pid, node.running
    await supervisor.kill(node.node_id)        # SIGKILL, stays down
    await supervisor.restart(node.node_id)
    await supervisor.stop(node.node_id, delete_data=True)
    supervisor.listen(callback)                # callback(node, "started" | "exited")

    hub = ProxyHub(); proxy = hub.open(address, 6379, [(node.address, node.port)])
    proxy.set_targets([...]); proxy.close()
"""

from regionbox.core.addresses import AddressAllocator, loopback_aliases_work
from regionbox.engines.kinds import EngineNotInstalled, binary, require_binary
from regionbox.engines.proxy import EndpointProxy, ProxyHub
from regionbox.engines.supervisor import Node, NodeSpec, Supervisor

__all__ = ["AddressAllocator", "EndpointProxy", "EngineNotInstalled", "Node", "NodeSpec", "ProxyHub", "Supervisor",
           "binary", "loopback_aliases_work", "require_binary"]
