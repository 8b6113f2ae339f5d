"""What a new cluster, replication group or serverless cache starts from: a snapshot
(SnapshotName, or a snapshot's ARN in SnapshotArnsToRestore) or RDB files in S3 (SnapshotArns).

The choice is kept on the new resource (``restore_from``) until its nodes run with the data, so
a restart of regionbox in the middle finishes the restore. A snapshot being restored shows
"restoring" meanwhile, and cannot be deleted. RDB objects from S3 are downloaded into a snapshot
directory of their own (``kind`` "seed"), removed once the nodes have loaded them.
"""

from __future__ import annotations

from regionbox.core import clock
from regionbox.core.arns import Arn
from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.exports import SnapshotExports
from regionbox.services.elasticache.models import ALL_SLOTS, NodeSnapshot, Snapshot
from regionbox.services.elasticache.snapshot_files import SnapshotFiles
from regionbox.services.elasticache.state import ElastiCacheState


def snapshot_not_available(name: str, status: str) -> ServiceError:
    return ServiceError("InvalidSnapshotState", f"Snapshot {name} is not in available state (current state: {status}).")


class Restores:
    def __init__(self, state: ElastiCacheState, files: SnapshotFiles, exports: SnapshotExports) -> None:
        self.state = state
        self.files = files
        self.exports = exports

    # -- at creation: what to restore, checked --------------------------------------------------------
    def source(self, scope: Scope, params: dict) -> tuple[str | None, Snapshot | None]:
        """(``restore_from`` for the new resource, the snapshot when it is one) from SnapshotName /
        SnapshotArns; the snapshot is marked "restoring" by ``begin``."""
        name, arns = params.get("SnapshotName"), params.get("SnapshotArns") or []
        if name and arns:
            raise check.invalid_combination("Only one of SnapshotName or SnapshotArns can be specified.")
        if name:
            return f"snapshot:{name}", self._available(self.state.snapshot(scope, name))
        if arns:
            self.exports.check_seeds(scope, arns)
            return " ".join(arns), None
        return None, None

    def serverless_source(self, scope: Scope, arns: list[str]) -> tuple[str | None, Snapshot | None]:
        """SnapshotArnsToRestore: a serverless cache snapshot's or a snapshot's ARN (or RDB objects in S3)."""
        if not arns:
            return None, None
        if all(a.startswith("arn:") and ":s3:" in a for a in arns):
            self.exports.check_seeds(scope, arns)
            return " ".join(arns), None
        if len(arns) != 1:
            raise check.invalid("Only one snapshot ARN can be restored at a time.")
        try:
            parsed = Arn.parse(arns[0])
            kind, _, name = parsed.resource.partition(":")
        except ValueError:
            kind, name = "", ""
        if kind == "serverlesscachesnapshot":
            return f"serverless:{name}", self._available(self.state.serverless_snapshot(scope, name))
        if kind == "snapshot":
            return f"snapshot:{name}", self._available(self.state.snapshot(scope, name))
        raise check.invalid(f"Invalid snapshot ARN: {arns[0]}")

    @staticmethod
    def _available(snapshot: Snapshot) -> Snapshot:
        if snapshot.status not in ("available", "restoring"):
            raise snapshot_not_available(snapshot.name, snapshot.status)
        return snapshot

    def begin(self, scope: Scope, snapshot: Snapshot | None) -> None:
        """In the creating transaction: the snapshot shows "restoring"."""
        if snapshot is not None:
            snapshot.status = "restoring"
            self._save(scope, snapshot)

    # -- in the background: the data --------------------------------------------------------------------
    async def snapshot_of(self, scope: Scope, restore_from: str, owner_id: str) -> Snapshot:
        """The snapshot whose files the new nodes load (RDB objects from S3 are downloaded first)."""
        kind, _, name = restore_from.partition(":")
        if kind == "snapshot":
            return self.state.snapshot(scope, name)
        if kind == "serverless":
            return self.state.serverless_snapshot(scope, name)
        seed = Snapshot(name=f"seed-{owner_id}", arn="", source="manual", status="available", engine="redis", engine_version="",
                        node_type="", created=clock.epoch(), kind="seed")
        paths = await self.exports.download(scope, restore_from.split(), self.files.directory(scope, seed))
        seed.node_snapshots = [NodeSnapshot(cache_cluster_id=None, node_group_id=path.stem, cache_node_id="0001",
                                            cache_size=path.stat().st_size, node_created=seed.created,
                                            snapshot_created=seed.created, slots=ALL_SLOTS, file=path.name) for path in paths]
        return seed

    @staticmethod
    def label(restore_from: str) -> str:
        """What the events call the source: the snapshot's name, or the S3 objects' ARNs."""
        kind, _, name = restore_from.partition(":")
        return name if kind in ("snapshot", "serverless") else ", ".join(restore_from.split())

    def finish(self, scope: Scope, restore_from: str | None, owner_id: str) -> None:
        """The restore into ``owner_id`` is over (done, or the new resource failed; its
        ``restore_from`` already cleared): the snapshot is available again unless another
        resource is still being built from it; downloaded RDB objects go."""
        if not restore_from:
            return
        kind, _, name = restore_from.partition(":")
        if kind in ("snapshot", "serverless"):
            collection = self.state.snapshots if kind == "snapshot" else self.state.serverless_snapshots
            snapshot = collection.get(scope, name)
            busy = any(rg.restore_from == restore_from for rg in self.state.replication_groups.values(scope)) or \
                any(c.restore_from == restore_from for c in self.state.cache_clusters.values(scope))
            if snapshot is not None and snapshot.status == "restoring" and not busy:
                snapshot.status = "available"
                self._save(scope, snapshot)
        else:
            self.files.remove(scope, Snapshot(name=f"seed-{owner_id}", arn="", source="", status="", engine="", engine_version="",
                                              node_type="", created=0, kind="seed"))

    def _save(self, scope: Scope, snapshot: Snapshot) -> None:
        collection = self.state.serverless_snapshots if snapshot.kind == "serverless" else self.state.snapshots
        collection.put(scope, snapshot.name, snapshot)
