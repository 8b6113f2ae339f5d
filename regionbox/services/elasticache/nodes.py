"""Redis/Valkey nodes of replication groups: how each member runs, and talking to it as admin.

Every member cluster is one engine process. Its settings come from the group: replication
(``replicaof`` the current primary, so a node restarted after a crash or an AZ outage comes back
as a replica), cluster mode, TLS, and users. Users live in an ACL file in the node's data
directory, rewritten and reloaded (``ACL LOAD``) whenever the group's AUTH token or user group
changes, so the engine itself answers NOAUTH / WRONGPASS.

regionbox talks to the nodes as its own ACL user (``regionbox-admin``), which exists on every node
and whose password is a per-state-directory secret; replicas authenticate to their primary with it.
That admin path (``command``) is the only one that reaches the commands ElastiCache keeps from
clients (``restricted.py``): renamed on every node, denied to every other user.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope
from regionbox.engines import Node, NodeSpec
from regionbox.services.elasticache import engine_catalog as catalog
from regionbox.services.elasticache.models import CacheCluster, ReplicationGroup, User
from regionbox.services.elasticache.parameter_groups import parameter_values, redis_directives
from regionbox.services.elasticache.restricted import AdminNames, deny_rules
from regionbox.services.elasticache.state import DEFAULT_USER, ElastiCacheState

if TYPE_CHECKING:
    from regionbox.core.tls import LocalCA
    from regionbox.engines import Supervisor

log = logging.getLogger("regionbox.elasticache")

ADMIN_USER = "regionbox-admin"
NODE_TIMEOUT_MS = 2000  # cluster bus: how long before a silent node is suspected


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def node_key(scope: Scope, cluster_id: str) -> str:
    """The supervisor's id for a Redis/Valkey cluster's node (a group member or a single-node
    cluster): unique across accounts and regions."""
    return f"{scope[0]}.{scope[1]}.{cluster_id}"


class Encrypted(Protocol):
    """A replication group or a cache cluster: whether its nodes speak TLS."""

    transit_encryption: bool


class RedisNodes:
    def __init__(self, state: ElastiCacheState, supervisor: "Supervisor", ca: "LocalCA", engine_root: Path,
                 admin_password: str) -> None:
        self.state = state
        self.supervisor = supervisor
        self.ca = ca
        # Where the nodes keep their data: <state>/engines/elasticache/<node key>.
        self.engine_root = engine_root
        self.admin_password = admin_password
        self.admin_names = AdminNames(admin_password)
        self._acl_locks: dict[tuple[Scope, str], asyncio.Lock] = {}

    def node(self, scope: Scope, cluster_id: str) -> Node | None:
        return self.supervisor.node(node_key(scope, cluster_id))

    def running_address(self, scope: Scope, cluster_id: str | None) -> tuple[str, int] | None:
        node = self.node(scope, cluster_id) if cluster_id else None
        return (node.address, node.port) if node is not None and node.running else None

    def data_dir(self, scope: Scope, cluster_id: str) -> Path:
        return self.engine_root / node_key(scope, cluster_id)

    # -- how a member runs ----------------------------------------------------------------------
    def spec(self, scope, rg: ReplicationGroup, cluster: CacheCluster, primary: CacheCluster | None,
             upstream: tuple[str, int] | None = None) -> NodeSpec:
        """The engine settings for ``cluster``; ``primary`` is the node it replicates (None: it is
        primary), ``upstream`` the address a primary replicates from (a global datastore's
        secondary, or a migration's source)."""
        data_dir = self.data_dir(scope, cluster.cluster_id)
        node = cluster.nodes[0]
        options: dict = {**self.base_options(data_dir), "masteruser": ADMIN_USER, "masterauth": self.admin_password}
        # The parameter group's settings (maxmemory-policy, timeout ...), from the node's first start.
        options.update(redis_directives(self.state, scope, rg.parameter_group))
        options.update(self.maxmemory(scope, rg))
        options.update(self.persistence(scope, rg))
        if rg.cluster_enabled:
            options.update({
                "cluster-enabled": "yes",
                "cluster-config-file": "nodes.conf",
                "cluster-node-timeout": NODE_TIMEOUT_MS,
                # regionbox decides failovers (as ElastiCache does), so that a single-shard cluster
                # fails over too and the model always knows who is primary.
                "cluster-replica-no-failover": "yes",
                "cluster-require-full-coverage": "no",
                # Replicas stay in their node group, as ElastiCache's do.
                "cluster-allow-replica-migration": "no",
                "cluster-announce-ip": node.address,
            })
        elif primary is not None:
            options["replicaof"] = f"{primary.nodes[0].address} {primary.nodes[0].port}"
        elif self.primary_binds_endpoint(rg):
            options["bind"] = f"{node.address} {rg.primary_address}"
        if upstream is not None:
            options["replicaof"] = f"{upstream[0]} {upstream[1]}"
            if rg.migration_source:
                # The customer's Redis knows nothing of regionbox's replication user.
                del options["masteruser"], options["masterauth"]
        if rg.transit_encryption:
            ca = self.ca
            cert, key = ca.issue(data_dir / "tls", [node.address, rg.primary_address, rg.reader_address, rg.config_address])
            options.update({
                "port": 0, "tls-port": node.port, "tls-cert-file": str(cert), "tls-key-file": str(key),
                "tls-ca-cert-file": str(ca.ensure()), "tls-auth-clients": "no", "tls-replication": "yes",
                "tls-cluster": "yes" if rg.cluster_enabled else "no",
            })
        return NodeSpec(node_id=node_key(scope, cluster.cluster_id), engine=rg.engine, version=rg.engine_version,
                        zone=node.zone, port=node.port, options=options, data_dir=data_dir, address=node.address)

    def maxmemory(self, scope: Scope, holder: "CacheCluster | ReplicationGroup") -> dict:
        """The memory a node gives its data, as ElastiCache sets it: the node type's maxmemory less
        what the parameter group reserves (reserved-memory bytes, else reserved-memory-percent)."""
        cache = self.state.serverless_caches.get(scope, holder.serverless_cache) if holder.serverless_cache else None
        if cache is not None and cache.usage_limits.get("DataStorage", {}).get("Maximum"):
            # A serverless cache's DataStorage maximum is what its data may use (GB, of 2^30 bytes).
            return {"maxmemory": int(cache.usage_limits["DataStorage"]["Maximum"]) * 2 ** 30}
        values = parameter_values(self.state, scope, holder.parameter_group)
        total = catalog.maxmemory(holder.node_type)
        reserved = int(values.get("reserved-memory") or 0) or total * int(values.get("reserved-memory-percent", "25")) // 100
        return {"maxmemory": max(total - reserved, 1024 * 1024)}

    def node_settings(self, scope: Scope, cluster: CacheCluster) -> dict:
        """The settings a running node gets when its parameter group changes what it reserves or
        persists (a group's member by its group's rules: no AOF when Multi-AZ)."""
        group = self.state.replication_groups.get(scope, cluster.replication_group_id) if cluster.replication_group_id else None
        holder = group if group is not None else cluster
        return {**self.maxmemory(scope, holder), "appendonly": "no", **self.persistence(scope, holder)}

    # -- what a node keeps on disk ----------------------------------------------------------------
    def persistence(self, scope: Scope, holder: "CacheCluster | ReplicationGroup") -> dict:
        """The append-only file settings of a node, where ElastiCache allows one: the parameter
        group says ``appendonly yes``, the engine is at most 2.8.21 ("AOF isn't supported on Redis
        versions 2.8.22 and later"), the node type is no t1/t2, the group is not Multi-AZ.
        Otherwise, as on AWS, a node keeps its data in memory only: what it comes back with after
        it died is what another node of its shard still holds, or nothing."""
        values = parameter_values(self.state, scope, holder.parameter_group)
        multi_az = getattr(holder, "multi_az", "disabled") == "enabled"
        version = tuple(int(part) for part in holder.engine_version.split(".") if part.isdigit())
        if (values.get("appendonly") != "yes" or multi_az or holder.node_type.startswith(("cache.t1.", "cache.t2."))
                or version > (2, 8, 21)):
            return {}
        return {"appendonly": "yes", "appendfsync": values.get("appendfsync", "everysec")}

    @staticmethod
    def forget_stale_data(data_dir: Path) -> None:
        """A node that died uncleanly without an append-only file has no data file that is its
        data: its RDB is from its last clean stop or full sync. Removed, so that it comes back
        empty (and the event says so) instead of with old keys back from the dead."""
        for path in [data_dir / "dump.rdb", *data_dir.glob("temp-*.rdb")]:
            path.unlink(missing_ok=True)

    # -- the primary endpoint --------------------------------------------------------------------
    def primary_binds_endpoint(self, rg: ReplicationGroup) -> bool:
        """Whether the primary serves the primary endpoint itself (else a proxy forwards to it).

        With a loopback address per node, the current primary also listens on the primary
        endpoint's address, and a failover moves that address to the new primary: clients get the
        engine's own speed, as on AWS where the endpoint is a DNS name for the primary's address.
        Without per-node addresses the endpoint is another port, which one process cannot share.
        """
        return (not rg.cluster_enabled and bool(rg.primary_address) and self.supervisor.allocator.enabled
                and (rg.primary_port or rg.port) == rg.port)

    async def move_primary_endpoint(self, scope, rg: ReplicationGroup, old: str, new: str) -> None:
        """Give the primary endpoint's address to ``new``: the old primary (if alive) lets go first."""
        if not self.primary_binds_endpoint(rg):
            return
        old_node, new_node = self.node(scope, old), self.node(scope, new)
        if old_node is not None and old_node.running:
            try:
                await self.command(scope, rg, old, "CONFIG", "SET", "bind", old_node.address)
            except Exception:  # noqa: BLE001 - a dying node lets go of its addresses anyway
                pass
        if new_node is not None:
            await self.command(scope, rg, new, "CONFIG", "SET", "bind", f"{new_node.address} {rg.primary_address}")

    def base_options(self, data_dir: Path) -> dict:
        """What every Redis/Valkey node of ElastiCache runs with: its users' ACL file, the restricted
        commands renamed (``restricted.py``), AWS's client limit."""
        return {"aclfile": str(data_dir / "users.acl"), "rename-command": self.admin_names.directives(), "maxclients": 10000}

    def write_acl(self, scope, rg: ReplicationGroup, cluster_id: str) -> None:
        self.write_acl_file(self.data_dir(scope, cluster_id), rg.engine, self.acl_lines(scope, rg))

    def write_acl_file(self, data_dir: Path, engine: str, user_lines: list[str]) -> None:
        """The node's ACL file: regionbox's admin user, then the users clients log in as, each
        denied what ElastiCache keeps from clients (the rules after theirs win)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        lines = [f"user {ADMIN_USER} on #{sha256(self.admin_password)} ~* &* +@all",
                 *(f"{line} {deny_rules(engine)}" for line in user_lines)]
        tmp = data_dir / "users.acl.tmp"
        tmp.write_text("\n".join(lines) + "\n")
        tmp.replace(data_dir / "users.acl")

    def acl_lines(self, scope: Scope, rg: ReplicationGroup) -> list[str]:
        """The group's users as ACL rules: its user groups' users, else the AUTH token, else open."""
        if rg.user_group_ids:
            by_name: dict[str, User] = {}
            for group_id in rg.user_group_ids:
                group = self.state.user_groups.get(scope, group_id)
                for user_id in group.user_ids if group else []:
                    try:
                        user = self.state.user(scope, user_id)
                    except ServiceError:
                        continue
                    by_name.setdefault(user.user_name, user)
            if DEFAULT_USER not in by_name:
                by_name[DEFAULT_USER] = User(user_id="", user_name=DEFAULT_USER, arn="", engine=rg.engine, access_string="off")
            lines = []
            for name, user in by_name.items():
                secret = " ".join(f"#{h}" for h in user.password_hashes) if user.authentication_type == "password" else "nopass"
                lines.append(f"user {name} reset {secret} {user.access_string}")
            return lines
        if rg.auth_token_hashes:
            return ["user default on " + " ".join(f"#{h}" for h in rg.auth_token_hashes) + " ~* &* +@all"]
        return ["user default on nopass ~* &* +@all"]

    async def reload_acl(self, scope, rg: ReplicationGroup) -> list[str]:
        """Rewrite every member's ACL file and make running nodes load it. Returns what failed on
        nodes that run ("<member>: <error>"; such a node keeps the users it had); a node that is
        down reads the file when it starts."""
        # One reload at a time per group: ACL LOAD drops the connections of the users it replaces,
        # so a concurrent one could cut another's admin connection short.
        async with self._acl_locks.setdefault((scope, rg.replication_group_id), asyncio.Lock()):
            for cluster_id in rg.member_clusters:
                self.write_acl(scope, rg, cluster_id)
            results = await asyncio.gather(*(self.command(scope, rg, cid, "ACL", "LOAD") for cid in rg.member_clusters),
                                           return_exceptions=True)
        return [f"{cid}: {result}" for cid, result in zip(rg.member_clusters, results)
                if isinstance(result, Exception) and self.running_address(scope, cid)]

    # -- admin connection -----------------------------------------------------------------------------
    def client(self, holder: Encrypted, node: Node, decode: bool = True) -> aioredis.Redis:
        kwargs = {}
        if holder.transit_encryption:
            kwargs = {"ssl": True, "ssl_ca_certs": str(self.ca.ensure()), "ssl_check_hostname": False}
        # Bounded: one retry at most (redis-py retries ten times by default), so a node that hangs
        # (frozen, or in a zone going down) fails the command in seconds, and the wait around it
        # ends in its failure outcome instead of minutes later.
        return aioredis.Redis(host=node.address, port=node.port, username=ADMIN_USER, password=self.admin_password,
                              socket_timeout=5, socket_connect_timeout=2, retry=Retry(NoBackoff(), 1),
                              decode_responses=decode, **kwargs)

    async def command(self, scope: Scope, holder: Encrypted, cluster_id: str, *args):
        """A command to the node of ``cluster_id`` as regionbox's admin user (``holder``: its
        replication group, or the cluster itself, says whether it speaks TLS)."""
        node = self.node(scope, cluster_id)
        if node is None or not node.running:
            raise ConnectionError(f"node {cluster_id} is not running")
        client = self.client(holder, node)
        try:
            return await client.execute_command(*self.admin_names.args(args))
        finally:
            await client.aclose()

    async def replication_offset(self, scope, rg: ReplicationGroup, cluster_id: str) -> int:
        """How far a replica got in its primary's stream (larger: less lag); -1 when unreachable."""
        try:
            info = await self.command(scope, rg, cluster_id, "INFO", "replication")
        except Exception:  # noqa: BLE001 - an unreachable replica is simply not a candidate
            return -1
        info = info if isinstance(info, dict) else {}
        return int(info.get("slave_repl_offset", info.get("master_repl_offset", 0)) or 0)

    async def config_set_many(self, scope: Scope, cluster_ids: list[str], values: dict[str, str]) -> None:
        """CONFIG SET on running Redis/Valkey nodes; a node that is down gets the settings at its
        next start (they are in its spec)."""
        args = [item for pair in values.items() for item in pair]

        async def one(cluster_id: str) -> None:
            cluster = self.state.cache_clusters.get(scope, cluster_id)
            if cluster is None:
                return
            try:
                await self.command(scope, cluster, cluster_id, "CONFIG", "SET", *args)
            except aioredis.ResponseError:
                # One setting this engine's version does not know fails them all: one at a time then.
                for name, value in values.items():
                    try:
                        await self.command(scope, cluster, cluster_id, "CONFIG", "SET", name, value)
                    except aioredis.ResponseError as error:
                        log.warning("CONFIG SET %s on %s failed: %s", name, cluster_id, error)
            except Exception as error:  # noqa: BLE001 - down now: the spec has the settings for its next start
                log.warning("CONFIG SET on %s failed: %s", cluster_id, error)

        await asyncio.gather(*(one(cid) for cid in cluster_ids))

    # -- parameters ------------------------------------------------------------------------------------
    async def apply_parameter_group(self, scope: Scope, cluster_id: str) -> None:
        """A cluster (single-node or a group's member) moved to another parameter group: its
        immediate settings apply now, and its nodes are in sync with the group."""
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        if cluster is None:
            return
        directives = {**redis_directives(self.state, scope, cluster.parameter_group, include_defaults=True),
                      **self.maxmemory(scope, cluster)}
        if directives:
            await self.config_set_many(scope, [cluster_id], directives)
        cluster = self.state.cache_clusters.get(scope, cluster_id)
        if cluster is None:
            return
        for node in cluster.nodes:
            node.parameter_group_status = "in-sync"
        self.state.save_cluster(scope, cluster)
