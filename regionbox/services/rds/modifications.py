"""DescribeValidDBInstanceModifications: what ModifyDBInstance accepts for an instance: each
storage type with the sizes it may grow to (storage never shrinks) and, for io1/io2/gp3, IOPS."""

from __future__ import annotations

from regionbox.services.rds import validation as check
from regionbox.services.rds.models import RdsState

IOPS = {"io1": (1000, 256000, 0.5, 50.0), "io2": (1000, 256000, 0.5, 1000.0), "gp3": (3000, 64000, 0.5, 500.0)}


class Modifications:
    def __init__(self, state: RdsState) -> None:
        self.state = state

    def describe_valid_db_instance_modifications(self, ctx, params: dict) -> dict:
        instance = self.state.instances.get(ctx.scope, params["DBInstanceIdentifier"].lower())
        if instance is None:
            raise check.instance_not_found(params["DBInstanceIdentifier"])
        if instance.status not in ("available", "storage-optimization", "backing-up"):
            raise check.invalid_state(instance.identifier)
        storage = []
        for kind, (low, high) in check.STORAGE.items():
            entry = {"StorageType": kind, "StorageSize": [{"From": max(low, instance.allocated_storage), "To": high, "Step": 1}],
                     "SupportsStorageAutoscaling": kind != "standard", "SupportsStorageThroughputModification": kind == "gp3"}
            if kind in IOPS:
                minimum, maximum, low_ratio, high_ratio = IOPS[kind]
                entry["ProvisionedIops"] = [{"From": minimum, "To": maximum, "Step": 1}]
                entry["IopsToStorageRatio"] = [{"From": low_ratio, "To": high_ratio}]
            if kind == "gp3":
                entry["ProvisionedStorageThroughput"] = [{"From": 125, "To": 4000, "Step": 1}]
                entry["StorageThroughputToIopsRatio"] = [{"From": 0.0, "To": 0.25}]
            storage.append(entry)
        return {"ValidDBInstanceModificationsMessage": {"Storage": storage, "ValidProcessorFeatures": [],
                                                        "SupportsDedicatedLogVolume": False}}
