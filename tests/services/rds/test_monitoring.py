"""Enhanced Monitoring: one JSON document per interval in CloudWatch Logs (RDSOSMetrics, stream =
DbiResourceId), with AWS's fields, measured from the instance's real PostgreSQL processes."""

from __future__ import annotations

import json

import pytest

from regionbox.engines import kinds
from tests.services.rds.helpers import connect, create, wait_until

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")
ROLE = "arn:aws:iam::000000000000:role/rds-monitoring-role"


def test_enhanced_monitoring_writes_os_metrics_of_the_real_server_every_second(cloud):
    rds, logs = cloud.client("rds"), cloud.client("logs")
    instance = create(rds, "watched", MonitoringInterval=1, MonitoringRoleArn=ROLE)
    assert instance["MonitoringInterval"] == 1 and instance["MonitoringRoleArn"] == ROLE
    assert instance["EnhancedMonitoringResourceArn"].endswith(f"log-group:RDSOSMetrics:log-stream:{instance['DbiResourceId']}")
    with connect(instance) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        conn.execute("CREATE TABLE filler AS SELECT generate_series(1, 20000) AS n")

        def documents():
            events = logs.get_log_events(logGroupName="RDSOSMetrics", logStreamName=instance["DbiResourceId"])["events"]
            return events if len(events) >= 3 else None
        events = wait_until(documents, what="three documents")
    document = json.loads(events[-1]["message"])
    for name in ("engine", "instanceID", "instanceResourceID", "timestamp", "uptime", "numVCPUs", "cpuUtilization",
                 "loadAverageMinute", "memory", "tasks", "swap", "network", "diskIO", "fileSys", "processList"):
        assert name in document, name
    assert document["engine"] == "POSTGRES" and document["instanceID"] == "watched"
    assert document["instanceResourceID"] == instance["DbiResourceId"]
    assert set(document["cpuUtilization"]) >= {"user", "system", "idle", "wait", "total"}
    assert document["memory"]["total"] > 0 and document["fileSys"][0]["total"] > document["fileSys"][0]["used"] > 0
    names = [p["name"] for p in document["processList"]]
    # The server's own processes, named as PostgreSQL titles them, and the session we hold.
    assert any("checkpointer" in name for name in names)
    assert backend in [p["id"] for p in document["processList"]]
    assert names[-2:] == ["RDS processes", "OS processes"]
    # Turned off: no more documents.
    rds.modify_db_instance(DBInstanceIdentifier="watched", MonitoringInterval=0, ApplyImmediately=True)
    assert rds.describe_db_instances(DBInstanceIdentifier="watched")["DBInstances"][0]["MonitoringInterval"] == 0
