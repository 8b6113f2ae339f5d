"""Single-node Redis/Valkey cache clusters (CreateCacheCluster with engine redis or valkey): how
their node runs, their AUTH token, and parameter changes reaching running Redis nodes.

The node runs as replication-group members do (``nodes.py``): an ACL file holding regionbox's
admin user and the ``default`` user, who needs the AUTH token when there is one, so the engine
itself answers NOAUTH / WRONGPASS. With TransitEncryptionEnabled the node serves TLS only, with a
certificate from the local CA.
"""

from __future__ import annotations

import logging

import redis.asyncio as aioredis

from regionbox.core import clock
from regionbox.engines import NodeSpec
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.models import CacheCluster
from regionbox.services.elasticache.nodes import ADMIN_USER, sha256

log = logging.getLogger("regionbox.elasticache")


class StandaloneRedisMixin:
    def standalone_spec(self, scope, cluster: CacheCluster, key: str) -> NodeSpec:
        node = cluster.nodes[0]
        data_dir = self.engine_root / key
        self.write_standalone_acl(cluster, data_dir)
        options: dict = {"aclfile": str(data_dir / "users.acl"), "maxclients": 10000,
                         **self.redis_directives(scope, cluster.parameter_group)}
        if cluster.transit_encryption:
            cert, private_key = self.ca.issue(data_dir / "tls", [node.address])
            options.update({"port": 0, "tls-port": node.port, "tls-cert-file": str(cert), "tls-key-file": str(private_key),
                            "tls-ca-cert-file": str(self.ca.ensure()), "tls-auth-clients": "no"})
        return NodeSpec(node_id=key, engine=cluster.engine, version=cluster.engine_version, zone=node.zone, port=node.port,
                        options=options, data_dir=data_dir, address=node.address)

    def write_standalone_acl(self, cluster: CacheCluster, data_dir) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        passwords = " ".join(f"#{digest}" for digest in cluster.auth_token_hashes) or "nopass"
        lines = [f"user {ADMIN_USER} on #{sha256(self.redis.admin_password)} ~* &* +@all",
                 f"user default on {passwords} ~* &* +@all"]
        temporary = data_dir / "users.acl.tmp"
        temporary.write_text("\n".join(lines) + "\n")
        temporary.replace(data_dir / "users.acl")

    # -- AUTH tokens ---------------------------------------------------------------------------------
    def set_auth_token(self, cluster: CacheCluster, token: str) -> None:
        cluster.auth_token_hashes = [sha256(token)]
        cluster.auth_token_enabled = True
        cluster.auth_token_last_modified = clock.epoch()

    def check_auth_token_update(self, cluster: CacheCluster, params: dict) -> str | None:
        """The AuthTokenUpdateStrategy of a ModifyCacheCluster call, checked (None: no change)."""
        return check.auth_token_update(params.get("AuthToken"), params.get("AuthTokenUpdateStrategy"),
                                       bool(cluster.auth_token_hashes), cluster.transit_encryption, what="cache cluster")

    def modify_auth_token(self, cluster: CacheCluster, token: str | None, strategy: str) -> None:
        """SET replaces the tokens, ROTATE adds one (both work until the next SET), DELETE removes AUTH."""
        cluster.auth_token_hashes = check.updated_token_hashes(cluster.auth_token_hashes, strategy, token and sha256(token))
        cluster.auth_token_enabled = bool(cluster.auth_token_hashes)
        cluster.auth_token_last_modified = clock.epoch()
        self.background(self._reload_standalone_acl(cluster), f"changing the AUTH token of {cluster.cluster_id}")

    async def _reload_standalone_acl(self, cluster: CacheCluster) -> None:
        node = cluster.nodes[0]
        self.write_standalone_acl(cluster, self.engine_root / node.engine_node_key)
        await self._standalone_command(cluster, "ACL", "LOAD")

    # -- talking to the node ----------------------------------------------------------------------------
    async def _standalone_command(self, cluster: CacheCluster, *args):
        live = self.supervisor.node(cluster.nodes[0].engine_node_key)
        if live is None or not live.running:
            raise ConnectionError(f"node of {cluster.cluster_id} is not running")
        tls = {"ssl": True, "ssl_ca_certs": str(self.ca.ensure()), "ssl_check_hostname": False} if cluster.transit_encryption else {}
        client = aioredis.Redis(host=live.address, port=live.port, username=ADMIN_USER, password=self.redis.admin_password,
                                socket_timeout=10, decode_responses=True, **tls)
        try:
            return await client.execute_command(*args)
        finally:
            await client.aclose()

    async def config_set(self, scope, cluster: CacheCluster, values: dict[str, str]) -> None:
        """CONFIG SET on a running Redis/Valkey node (standalone or a replication group's member)."""
        args = [item for pair in values.items() for item in pair]
        try:
            if cluster.replication_group_id:
                rg = self.groups.get(scope, cluster.replication_group_id)
                await self.redis.command(scope, rg, cluster.cluster_id, "CONFIG", "SET", *args)
            else:
                await self._standalone_command(cluster, "CONFIG", "SET", *args)
        except Exception as error:  # noqa: BLE001 - a node that is down gets the settings at its next start
            log.warning("CONFIG SET on %s failed: %s", cluster.cluster_id, error)

    async def apply_standalone_parameters(self, scope, cluster_id: str) -> None:
        """A single-node Redis cluster moved to another parameter group: its immediate settings apply now."""
        cluster = self.clusters.get(scope, cluster_id)
        if cluster is None:
            return
        directives = self.redis_directives(scope, cluster.parameter_group, include_defaults=True)
        if directives:
            await self.config_set(scope, cluster, directives)
        cluster = self.clusters.get(scope, cluster_id)
        for node in cluster.nodes:
            node.parameter_group_status = "in-sync"
        self.clusters.put(scope, cluster_id, cluster)
