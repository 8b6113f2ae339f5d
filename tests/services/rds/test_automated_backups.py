"""Automated backups: a snapshot a day in the PreferredBackupWindow (a day of a few seconds here),
expired after BackupRetentionPeriod days, moving the start of the point-in-time restore window."""

from __future__ import annotations

import botocore.exceptions
import pytest

from regionbox.config import Config
from regionbox.engines import kinds
from regionbox.testing.clients import RunningCloud
from tests.services.rds.helpers import create, wait_until

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")
DAY = 8.0  # seconds
WINDOW = "05:30-04:59"  # all day but the maintenance window (sun:05:00-sun:05:30)


@pytest.fixture(scope="module")
def cloud():
    running = RunningCloud(Config(ephemeral=True, rds_backup_day=DAY)).start()
    yield running
    running.stop()


def automated(rds, identifier: str) -> list[dict]:
    return sorted(rds.describe_db_snapshots(DBInstanceIdentifier=identifier, SnapshotType="automated")["DBSnapshots"],
                  key=lambda s: s["SnapshotCreateTime"])


def test_daily_automated_snapshots_expire_after_the_retention_period(cloud):
    rds = cloud.client("rds")
    instance = create(rds, "kept", BackupRetentionPeriod=1, PreferredBackupWindow=WINDOW)
    assert instance["PreferredBackupWindow"] == WINDOW
    # The backup taken at creation is the first automated snapshot.
    first = wait_until(lambda: automated(rds, "kept"), what="the first automated snapshot")[0]
    assert first["DBSnapshotIdentifier"].startswith("rds:kept-") and first["Status"] == "available"
    # A day later, the next one; after the retention period (one day) the first is gone, and the
    # restore window starts at the oldest snapshot kept.
    wait_until(lambda: first["DBSnapshotIdentifier"] not in [s["DBSnapshotIdentifier"] for s in automated(rds, "kept")]
               and automated(rds, "kept"), timeout=8 * DAY, what="the first snapshot expired")
    kept = automated(rds, "kept")
    window = rds.describe_db_instance_automated_backups(DBInstanceIdentifier="kept")["DBInstanceAutomatedBackups"][0]
    assert window["RestoreWindow"]["EarliestTime"] >= first["SnapshotCreateTime"]
    assert abs((window["RestoreWindow"]["EarliestTime"] - kept[0]["SnapshotCreateTime"]).total_seconds()) < 1
    events = [e["Message"] for e in rds.describe_events(SourceIdentifier="kept", SourceType="db-instance")["Events"]]
    assert events.count("Finished DB instance backup") >= 2
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        rds.delete_db_snapshot(DBSnapshotIdentifier=kept[0]["DBSnapshotIdentifier"])
    assert refused.value.response["Error"] == {**refused.value.response["Error"], "Code": "InvalidDBSnapshotState",
                                               "Message": "Only manual snapshots may be deleted."}
    # Retention 0: automated backups are off, and their snapshots go.
    rds.modify_db_instance(DBInstanceIdentifier="kept", BackupRetentionPeriod=0, ApplyImmediately=True)
    wait_until(lambda: automated(rds, "kept") == [], timeout=4 * DAY, what="automated snapshots gone")
    rds.delete_db_instance(DBInstanceIdentifier="kept", SkipFinalSnapshot=True)


@pytest.mark.parametrize("window, message", [
    ("3am", "Invalid backup window format: 3am. The backup window must be in the format hh24:mi-hh24:mi."),
    ("03:00-03:10", "The backup window must be at least 30 minutes."),
    ("04:45-05:15", "The backup window and maintenance window must not overlap."),
])
def test_backup_window_errors(cloud, window, message):
    rds = cloud.client("rds")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        rds.create_db_instance(DBInstanceIdentifier="windowed", Engine="postgres", MasterUsername="app",
                               MasterUserPassword="s3cret-Passw0rd", AllocatedStorage=20, DBInstanceClass="db.t4g.micro",
                               PreferredBackupWindow=window)
    assert (refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]) == \
        ("InvalidParameterValue", message)
