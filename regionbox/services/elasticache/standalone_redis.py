"""Single-node Redis/Valkey cache clusters (CreateCacheCluster with engine redis or valkey): how
their node runs, their AUTH token, and parameter changes reaching a running node.

The node runs as replication-group members do (``nodes.py``): an ACL file holding regionbox's
admin user and the ``default`` user, who needs the AUTH token when there is one, so the engine
itself answers NOAUTH / WRONGPASS. With TransitEncryptionEnabled the node serves TLS only, with a
certificate from the local CA.
"""

from __future__ import annotations

from pathlib import Path

from regionbox.core import clock
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.engines import NodeSpec
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.events import EventLog, Messages
from regionbox.services.elasticache.models import CacheCluster
from regionbox.services.elasticache.nodes import RedisNodes, sha256
from regionbox.services.elasticache.parameter_groups import redis_directives
from regionbox.services.elasticache.state import ElastiCacheState


class StandaloneRedis:
    def __init__(self, state: ElastiCacheState, nodes: RedisNodes, events: EventLog, tasks: Tasks) -> None:
        self.state = state
        self.nodes = nodes
        self.events = events
        self.tasks = tasks

    def spec(self, scope: Scope, cluster: CacheCluster, key: str) -> NodeSpec:
        node = cluster.nodes[0]
        data_dir = self.nodes.engine_root / key
        self.write_acl(cluster, data_dir)
        options: dict = {**self.nodes.base_options(data_dir), **redis_directives(self.state, scope, cluster.parameter_group),
                         **self.nodes.maxmemory(scope, cluster), **self.nodes.persistence(scope, cluster)}
        if cluster.transit_encryption:
            ca = self.nodes.ca
            cert, private_key = ca.issue(data_dir / "tls", [node.address])
            options.update({"port": 0, "tls-port": node.port, "tls-cert-file": str(cert), "tls-key-file": str(private_key),
                            "tls-ca-cert-file": str(ca.ensure()), "tls-auth-clients": "no"})
        return NodeSpec(node_id=key, engine=cluster.engine, version=cluster.engine_version, zone=node.zone, port=node.port,
                        options=options, data_dir=data_dir, address=node.address)

    def write_acl(self, cluster: CacheCluster, data_dir: Path) -> None:
        passwords = " ".join(f"#{digest}" for digest in cluster.auth_token_hashes) or "nopass"
        self.nodes.write_acl_file(data_dir, cluster.engine, [f"user default on {passwords} ~* &* +@all"])

    # -- AUTH tokens ---------------------------------------------------------------------------------
    @staticmethod
    def set_auth_token(cluster: CacheCluster, token: str) -> None:
        cluster.auth_token_hashes = [sha256(token)]
        cluster.auth_token_enabled = True
        cluster.auth_token_last_modified = clock.epoch()

    @staticmethod
    def check_auth_token_update(cluster: CacheCluster, params: dict) -> str | None:
        """The AuthTokenUpdateStrategy of a ModifyCacheCluster call, checked (None: no change)."""
        return check.auth_token_update(params.get("AuthToken"), params.get("AuthTokenUpdateStrategy"),
                                       bool(cluster.auth_token_hashes), cluster.transit_encryption, what="cache cluster")

    def modify_auth_token(self, scope: Scope, cluster: CacheCluster, token: str | None, strategy: str) -> None:
        """SET replaces the tokens, ROTATE adds one (both work until the next SET), DELETE removes AUTH."""
        cluster.auth_token_hashes = check.updated_token_hashes(cluster.auth_token_hashes, strategy, token and sha256(token))
        cluster.auth_token_enabled = bool(cluster.auth_token_hashes)
        cluster.auth_token_last_modified = clock.epoch()
        # A node that is down reads the new ACL file when it starts: only a running node can fail.
        self.tasks.spawn(self._reload_acl(scope, cluster), owner="elasticache",
                         what=f"changing the AUTH token of {cluster.cluster_id}",
                         on_failure=lambda error: self.events.record(
                             scope, cluster.cluster_id, "cache-cluster", Messages.AUTH_TOKEN_UPDATE_FAILED.format(reason=error)))

    async def _reload_acl(self, scope: Scope, cluster: CacheCluster) -> None:
        node = cluster.nodes[0]
        self.write_acl(cluster, self.nodes.engine_root / node.engine_node_key)
        if self.nodes.running_address(scope, cluster.cluster_id):
            await self.nodes.command(scope, cluster, cluster.cluster_id, "ACL", "LOAD")
