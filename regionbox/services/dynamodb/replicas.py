"""What every part of DynamoDB needs to know of global tables: a table's other replicas, what
DescribeTable says of them, a replica leaving its group, and the checks and settings both versions
share (global_tables.py and legacy_global_tables.py have the operations)."""

from __future__ import annotations

import copy
from typing import Any

from regionbox.core.arns import partition_of
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.core.topology import KNOWN_ZONES
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.state import DynamoDBState

CURRENT, LEGACY = "2019.11.21", "2017.11.29"
INVALID = "One or more parameter values were invalid: "
REPLICA_STATUS = {"CREATING": "CREATING", "ACTIVE": "ACTIVE", "UPDATING": "UPDATING", "DELETING": "DELETING"}


def scope_in(scope: Scope, region: str, table: Table | None = None) -> Scope:
    """Where the member of ``table``'s group in ``region`` lives (this account's unless the group
    says another's)."""
    return (table.group_accounts.get(region, scope[0]) if table is not None else scope[0]), region


def members(state: DynamoDBState, scope: Scope, table: Table) -> list[tuple[str, Table]]:
    """The other replicas of a global table, by region (those whose table exists)."""
    found = []
    for region in table.replica_regions:
        if region == scope[1]:
            continue
        other = state.tables.get(scope_in(scope, region, table), table.name)
        if other is not None and scope[1] in other.replica_regions:
            found.append((region, other))
    return found


def describe_replicas(state: DynamoDBState, scope: Scope, table: Table, out: dict) -> None:
    """DescribeTable's GlobalTableVersion and Replicas (the other regions), and UPDATING while a
    new replica is being filled."""
    if not table.replica_regions or table.global_version != CURRENT:
        if table.settings_replication:
            out["GlobalTableSettingsReplicationMode"] = table.settings_replication
        return
    replicas = []
    for region, other in members(state, scope, table):
        replicas.append(_replica_description(region, other))
        if other.status == "CREATING" and out.get("TableStatus") == "ACTIVE":
            out["TableStatus"] = "UPDATING"
    out["GlobalTableVersion"] = CURRENT
    out["Replicas"] = replicas
    if table.witness:
        out["GlobalTableWitnesses"] = [{"RegionName": table.witness, "WitnessStatus": "ACTIVE"}]
    # ENABLED for a multi-account global table, ENABLED_WITH_OVERRIDES for a same-account one.
    out["GlobalTableSettingsReplicationMode"] = "ENABLED" if table.group_accounts else "ENABLED_WITH_OVERRIDES"
    out["MultiRegionConsistency"] = table.consistency or "EVENTUAL"
    if table.consistency != "STRONG":
        out["DisassociationProtectionEnabled"] = table.disassociation_protection


def _replica_description(region: str, replica: Table) -> dict:
    out: dict[str, Any] = {"RegionName": region, "ReplicaArn": replica.arn,
                           "ReplicaStatus": REPLICA_STATUS.get(replica.status, "ACTIVE"),
                           "ReplicaTableClassSummary": {"TableClass": replica.table_class}}
    if replica.status == "CREATING":
        out["ReplicaStatusPercentProgress"] = "0"
    overrides = replica.replica
    for member in ("KMSMasterKeyId", "ProvisionedThroughputOverride", "OnDemandThroughputOverride"):
        if overrides.get(member):
            out[member] = overrides[member]
    if overrides.get("GlobalSecondaryIndexes"):
        out["GlobalSecondaryIndexes"] = overrides["GlobalSecondaryIndexes"]
    return out


def leave_group(state: DynamoDBState, scope: Scope, table: Table) -> None:
    """A replica deleted (DeleteTable or a replica Delete): the others forget its region; a group
    left with one table is no global table any more. Inside the caller's transaction."""
    if not table.replica_regions:
        return
    remaining = [r for r in table.replica_regions if r != scope[1]]
    for region, other in members(state, scope, table):
        there = scope_in(scope, region, table)
        other = copy.deepcopy(other)
        other.replica_regions = remaining if len(remaining) > 1 or other.witness else []
        accounts = {r: a for r, a in {**table.group_accounts, scope[1]: scope[0]}.items() if r in remaining and a != there[0]}
        other.group_accounts = accounts if other.replica_regions else {}
        if not other.replica_regions:
            other.global_version = other.global_created = other.consistency = other.witness = None
        state.save(there, other)


def region_named(ctx: RequestContext, region: str) -> str:
    if region not in KNOWN_ZONES or partition_of(region) != ctx.partition:
        raise invalid(INVALID + f"Invalid region: {region}")
    return region


def index_settings(replica: Table, update: dict, which: str) -> None:
    """One index's provisioned read or write capacity and its auto scaling, from a settings update."""
    index = replica.index(update["IndexName"])
    if index is None:
        raise ServiceError("IndexNotFoundException", f"Index not found: {update['IndexName']}")
    units = update.get(f"Provisioned{which.title()}CapacityUnits")
    if units is not None:
        setattr(index, f"{which}_capacity", units)
        replica.set_index(index)
    scaling = update.get(f"Provisioned{which.title()}CapacityAutoScalingSettingsUpdate")
    if scaling:
        store_scaling(replica, index.name, which, scaling)


def store_scaling(table: Table, index: str | None, which: str, update: dict) -> None:
    """Keep an AutoScalingSettingsUpdate as the AutoScalingSettingsDescription it describes."""
    if update.get("MinimumUnits") and update.get("MaximumUnits") and update["MinimumUnits"] > update["MaximumUnits"]:
        raise invalid(INVALID + "MinimumUnits must be less than or equal to MaximumUnits")
    scaling = dict(table.replica.get("AutoScaling") or {})
    target = scaling if index is None else scaling.setdefault("indexes", {}).setdefault(index, {})
    settings = dict(target.get(which) or {})
    for member in ("MinimumUnits", "MaximumUnits", "AutoScalingDisabled", "AutoScalingRoleArn"):
        if update.get(member) is not None:
            settings[member] = update[member]
    policy = update.get("ScalingPolicyUpdate")
    if policy:
        settings["ScalingPolicies"] = [{"PolicyName": policy.get("PolicyName") or f"DynamoDB{which.title()}CapacityUtilization",
                                        "TargetTrackingScalingPolicyConfiguration": policy["TargetTrackingScalingPolicyConfiguration"]}]
    target[which] = settings
    table.replica = {**table.replica, "AutoScaling": scaling}


def scaling_out(scaling: dict, prefix: str) -> dict:
    out = {}
    for which, member in (("read", "ReadCapacityAutoScalingSettings"), ("write", "WriteCapacityAutoScalingSettings")):
        if scaling.get(which):
            out[f"{prefix}{member}"] = scaling[which]
    return out
