"""Sharing manual DB snapshots: DescribeDBSnapshotAttributes and ModifyDBSnapshotAttribute.

A manual snapshot's one attribute is ``restore``: the accounts that may copy it and restore an
instance from it, by its ARN (``all`` makes it public). ``find`` is how every operation that takes
a snapshot identifier reaches a snapshot: a name in the caller's own account and region, or an
ARN, which may name a snapshot of another account that shares it with the caller. As on AWS, an
instance is restored only from a snapshot in its own region (copy a snapshot of another region
first), and a snapshot nobody shared with the caller is one that is not found.
"""

from __future__ import annotations

import re

from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.services.rds.models import DBSnapshot, RdsState

ARN = re.compile(r"^arn:aws[\w-]*:rds:([a-z0-9-]+):(\d{12}):snapshot:(.+)$")
ACCOUNT = re.compile(r"^\d{12}$")
MAX_SHARED_ACCOUNTS = 20  # AWS: a manual snapshot is shared with at most 20 accounts


def not_found(identifier: str) -> ServiceError:
    return ServiceError("DBSnapshotNotFound", f"DBSnapshot {identifier} not found.", 404)


def shared_with(snapshot: DBSnapshot, account: str) -> bool:
    return "all" in snapshot.restore_accounts or account in snapshot.restore_accounts


def find(state: RdsState, ctx, identifier: str, *, any_region: bool = False) -> tuple[Scope, DBSnapshot]:
    """The snapshot ``identifier`` names for the caller: (its scope, it). An ARN of another account
    finds it only if it is shared with the caller; of another region only when ``any_region``
    (a copy may come from any region of the partition)."""
    match = ARN.match(identifier)
    if match is None:
        snapshot = state.snapshots.get(ctx.scope, identifier.lower())
        if snapshot is None:
            raise not_found(identifier)
        return ctx.scope, snapshot
    region, account, name = match[1], match[2], match[3].lower()
    scope = (account, region)
    snapshot = state.snapshots.get(scope, name)
    if snapshot is None or (account != ctx.account_id and not (snapshot.snapshot_type == "manual"
                                                              and shared_with(snapshot, ctx.account_id))):
        raise not_found(identifier)
    if region != ctx.region and not any_region:
        raise invalid(f"DBSnapshot {identifier} is in region {region}: copy it to {ctx.region} first (CopyDBSnapshot).")
    return scope, snapshot


def shared_snapshots(state: RdsState, ctx, public: bool, shared: bool) -> list[DBSnapshot]:
    """Other accounts' manual snapshots in the caller's region that the caller may restore:
    shared with it by account (IncludeShared) or public (IncludePublic)."""
    found = []
    for scope, _, snapshot in state.snapshots.all():
        if scope[0] == ctx.account_id or scope[1] != ctx.region or snapshot.snapshot_type != "manual":
            continue
        if (shared and ctx.account_id in snapshot.restore_accounts) or (public and "all" in snapshot.restore_accounts):
            found.append(snapshot)
    return found


class SnapshotSharing:
    def __init__(self, state: RdsState) -> None:
        self.state = state

    def _own(self, ctx, identifier: str) -> DBSnapshot:
        snapshot = self.state.snapshots.get(ctx.scope, identifier.lower())
        if snapshot is None:
            raise not_found(identifier)
        return snapshot

    @staticmethod
    def result(snapshot: DBSnapshot) -> dict:
        return {"DBSnapshotAttributesResult": {
            "DBSnapshotIdentifier": snapshot.identifier,
            "DBSnapshotAttributes": [{"AttributeName": "restore", "AttributeValues": list(snapshot.restore_accounts)}]}}

    def describe_db_snapshot_attributes(self, ctx, params: dict) -> dict:
        return self.result(self._own(ctx, params["DBSnapshotIdentifier"]))

    def modify_db_snapshot_attribute(self, ctx, params: dict) -> dict:
        snapshot = self._own(ctx, params["DBSnapshotIdentifier"])
        if params["AttributeName"] != "restore":
            raise invalid(f"Invalid snapshot attribute name: {params['AttributeName']}. Valid attribute name is restore")
        if snapshot.snapshot_type != "manual":
            raise invalid("Automated snapshots cannot be shared: copy the snapshot to make a manual snapshot you can share.")
        if snapshot.status != "available":
            raise ServiceError("InvalidDBSnapshotState", f"DBSnapshot {snapshot.identifier} is not in available state.")
        adding, removing = params.get("ValuesToAdd") or [], params.get("ValuesToRemove") or []
        for value in [*adding, *removing]:
            if value != "all" and not ACCOUNT.match(value):
                raise invalid(f"Invalid AWS account ID: {value}. Valid values are 12-digit account IDs or 'all'")
        if ctx.account_id in adding:
            raise invalid("You cannot share a snapshot with your own account.")
        accounts = [a for a in snapshot.restore_accounts if a not in removing]
        accounts += [a for a in adding if a not in accounts]
        if len([a for a in accounts if a != "all"]) > MAX_SHARED_ACCOUNTS:
            raise ServiceError("SharedSnapshotQuotaExceeded", f"You have exceeded the maximum number of accounts "
                               f"({MAX_SHARED_ACCOUNTS}) that a snapshot can be shared with.")
        snapshot.restore_accounts = accounts
        self.state.snapshots.put(ctx.scope, snapshot.identifier, snapshot)
        return self.result(snapshot)
