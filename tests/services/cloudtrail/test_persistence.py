"""A trail and an event data store survive a restart of the cloud: delivery resumes where it
stopped, each event delivered once, and queries see what was ingested before and after."""

from __future__ import annotations

from regionbox.config import Config
from regionbox.testing.clients import RunningCloud
from tests.services.cloudtrail.helpers import clients, delivered, names, run_query, trail_bucket


def _cloud(state_dir) -> RunningCloud:
    return RunningCloud(Config(state_dir=state_dir, ephemeral=False, port=0, cloudtrail_delivery_interval=0.2)).start()


def test_delivery_resumes_after_a_restart(tmp_path):
    first = _cloud(tmp_path / "state")
    try:
        s3 = trail_bucket(first)
        ct, logs = clients(first, "cloudtrail", "logs")
        ct.create_trail(Name="main", S3BucketName="trail-logs")
        ct.start_logging(Name="main")
        store_id = ct.create_event_data_store(Name="kept")["EventDataStoreArn"].rsplit("/", 1)[1]
        logs.create_log_group(logGroupName="/before")
        delivered(s3, "trail-logs", lambda r: "CreateLogGroup" in names(r))
    finally:
        first.stop()
    second = _cloud(tmp_path / "state")
    try:
        s3, ct, logs = clients(second, "s3", "cloudtrail", "logs")
        assert ct.get_trail_status(Name="main")["IsLogging"] is True
        logs.create_log_group(logGroupName="/after")
        found = delivered(s3, "trail-logs", lambda r: names(r).count("CreateLogGroup") == 2)
        assert len({r["eventID"] for r in found}) == len(found)
        rows = run_query(ct, f"SELECT requestParameters['logGroupName'] AS grp FROM {store_id} "
                             "WHERE eventName = 'CreateLogGroup' ORDER BY eventTime")
        assert [r["grp"] for r in rows] == ["/before", "/after"]
    finally:
        second.stop()
