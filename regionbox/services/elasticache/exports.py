"""Snapshots and S3: exports (CopySnapshot with TargetBucket, ExportServerlessCacheSnapshot) write
the RDB files as objects of the user's bucket; seeds (SnapshotArns on CreateCacheCluster and
CreateReplicationGroup, SnapshotArnsToRestore on CreateServerlessCache) read RDB objects back.

The bucket is S3's (``cloud.services.api("s3")``), in the snapshot's region and the caller's
account, and ElastiCache must have been granted access, as AWS's guide ("Grant ElastiCache access
to your Amazon S3 bucket") asks: through the bucket policy, to the service principal
``elasticache.amazonaws.com`` or ``<region>.elasticache-snapshot.amazonaws.com``, or through the
bucket ACL, to ElastiCache's canonical user. Each missing permission is AWS's own error, checked in
AWS's order: READ (list the bucket), WRITE (put objects), READ_ACP (read the bucket's ACL).
Objects are named ``<name>-<node group id>.rdb``.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from regionbox.core.arns import partition_of
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.services.elasticache.models import Snapshot
from regionbox.services.elasticache.snapshot_files import SnapshotFiles

if TYPE_CHECKING:
    from regionbox.services.iam.api import IamApi

log = logging.getLogger("regionbox.elasticache")

# ElastiCache's canonical user id, which AWS's guide tells users to grant in the bucket ACL.
CANONICAL_USER = "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353"
# permission -> (the S3 action a bucket policy grants it with, whether it is on the objects)
PERMISSIONS = {"READ": ("s3:ListBucket", False), "WRITE": ("s3:PutObject", True), "READ_ACP": ("s3:GetBucketAcl", False)}
# Seeding reads the objects: s3:GetObject in a policy, READ in the ACL.
SEED = ("s3:GetObject", True)


def object_key(name: str, node_group_id: str) -> str:
    return f"{name}-{node_group_id}.rdb"


def policy_grants(iam: "IamApi", document: str | None, region: str, bucket: str, permission: str) -> bool:
    """Whether a bucket policy allows ElastiCache (under either of its service principal names) a
    permission, and does not deny it (IAM reads the policy)."""
    action, on_objects = SEED if permission == "SEED" else PERMISSIONS[permission]
    resource = f"arn:{partition_of(region)}:s3:::{bucket}" + ("/snapshot.rdb" if on_objects else "")
    return any(iam.service_allowed(document, service, action, resource, {})
               for service in ("elasticache.amazonaws.com", f"{region}.elasticache-snapshot.amazonaws.com"))


def acl_grants(grants: tuple[dict, ...], permission: str) -> bool:
    permission = "READ" if permission == "SEED" else permission
    return any(g.get("Grantee", {}).get("ID") == CANONICAL_USER and g.get("Permission") in (permission, "FULL_CONTROL")
               for g in grants)


class SnapshotExports:
    def __init__(self, files: SnapshotFiles, s3: Callable[[], Any], iam: Callable[[], "IamApi"]) -> None:
        self.files = files
        self.s3 = s3  # S3's api (loaded when first needed), or None where regionbox serves no S3
        self.iam = iam

    def _bucket(self, scope: Scope, name: str, owned: bool = True):
        s3 = self.s3()
        bucket = s3.bucket(name, scope[1]) if s3 is not None else None
        if bucket is None:
            raise invalid(f"The S3 bucket {name} does not exist.")
        if bucket.region != scope[1]:
            raise invalid(f"The S3 bucket {name} is outside of the region.")
        if owned and bucket.owner != scope[0]:
            raise invalid(f"The S3 bucket {name} is not owned by the authenticated user.")
        return bucket

    def check_bucket(self, scope: Scope, name: str, keys: list[str]) -> None:
        """AWS's checks before an export, in AWS's order."""
        bucket = self._bucket(scope, name)
        for permission in PERMISSIONS:
            if not (policy_grants(self.iam(), bucket.policy, scope[1], name, permission) or acl_grants(bucket.acl, permission)):
                raise invalid(f"ElastiCache has not been granted {permission} permissions {name} on the S3 Bucket.")
        s3 = self.s3()
        for key in keys:
            try:
                s3.head_object(bucket.owner, name, key, region=scope[1])
            except ServiceError:
                continue
            raise invalid(f"The S3 bucket {name} already contains an object with key {key}.")

    async def upload(self, scope: Scope, snapshot: Snapshot, bucket: str, name: str) -> None:
        s3 = self.s3()
        owner = self._bucket(scope, bucket).owner
        for node in snapshot.node_snapshots:
            path = self.files.path(scope, snapshot, node.node_group_id)
            await s3.put_object(owner, bucket, object_key(name, node.node_group_id), self.files.chunks(path),
                                content_type="application/octet-stream", region=scope[1])

    # -- seeds: RDB objects a new cluster starts from ---------------------------------------------
    @staticmethod
    def parse_arns(arns: list[str]) -> list[tuple[str, str]]:
        """(bucket, key) of each ``arn:aws:s3:::bucket/key`` (AWS: "a Redis RDB snapshot file stored in Amazon S3")."""
        found = []
        for text in arns:
            parts = text.split(":", 5)
            bucket, _, key = parts[5].partition("/") if len(parts) == 6 and parts[0] == "arn" and parts[2] == "s3" else ("", "", "")
            if not bucket or not key:
                raise invalid(f"Invalid snapshot ARN: {text}")
            found.append((bucket, key))
        return found

    def check_seeds(self, scope: Scope, arns: list[str]) -> None:
        s3 = self.s3()
        for bucket_name, key in self.parse_arns(arns):
            bucket = self._bucket(scope, bucket_name, owned=False)
            if not (policy_grants(self.iam(), bucket.policy, scope[1], bucket_name, "SEED") or acl_grants(bucket.acl, "SEED")):
                raise invalid(f"ElastiCache has not been granted READ permissions {bucket_name} on the S3 Bucket.")
            try:
                s3.head_object(bucket.owner, bucket_name, key, region=scope[1])
            except ServiceError:
                raise invalid(f"No object found at {bucket_name}/{key}.") from None

    async def download(self, scope: Scope, arns: list[str], directory: Path) -> list[Path]:
        """The RDB objects, as files ``0001.rdb``, ``0002.rdb`` ... of ``directory``."""
        s3 = self.s3()
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for index, (bucket, key) in enumerate(self.parse_arns(arns), start=1):
            path = directory / f"{index:04d}.rdb"
            owner = self._bucket(scope, bucket, owned=False).owner
            _, body = await s3.get_object(owner, bucket, key, region=scope[1])
            with path.open("wb") as handle:
                async for chunk in body:
                    handle.write(chunk)
            paths.append(path)
        return paths

    @staticmethod
    def forget(directory: Path) -> None:
        shutil.rmtree(directory, ignore_errors=True)
