"""The issue's story with the AWS CLI: create an instance with Enhanced Monitoring and Performance
Insights, wait for it, reach it with psql, read its OS metrics with `aws logs` and its load with `aws pi`."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest

from regionbox.engines import kinds
from tests.services.rds.helpers import PASSWORD, wait_until
from tests.services.test_cli_aws import ACCOUNT, aws

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")


def test_create_connect_and_monitor_with_the_aws_cli_and_psql(cloud):
    role = f"arn:aws:iam::{ACCOUNT}:role/rds-monitoring-role"
    created = json.loads(aws(cloud, "rds", "create-db-instance", "--engine", "postgres", "--db-instance-identifier", "cli",
                             "--master-username", "app", "--master-user-password", PASSWORD, "--allocated-storage", "20",
                             "--db-instance-class", "db.t4g.micro", "--monitoring-interval", "1", "--monitoring-role-arn", role,
                             "--enable-performance-insights").stdout)["DBInstance"]
    assert created["DBInstanceStatus"] == "creating"

    def available():
        described = json.loads(aws(cloud, "rds", "describe-db-instances", "--db-instance-identifier", "cli").stdout)
        instance = described["DBInstances"][0]
        return instance if instance["DBInstanceStatus"] == "available" else None
    instance = wait_until(available, what="available")
    psql = os.path.join(str(kinds.postgres_bindir()), "psql")
    begin = datetime.now(timezone.utc) - timedelta(seconds=1)
    out = subprocess.run([psql, "-h", instance["Endpoint"]["Address"], "-p", "5432", "-U", "app", "postgres", "-tAc",
                          "SELECT pg_sleep(2), current_user"], env={**os.environ, "PGPASSWORD": PASSWORD},
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "|app", out.stderr
    time.sleep(1.1)  # the sampler's next second

    def documents():
        events = json.loads(aws(cloud, "logs", "get-log-events", "--log-group-name", "RDSOSMetrics", "--log-stream-name",
                                instance["DbiResourceId"]).stdout)["events"]
        return events or None
    document = json.loads(wait_until(documents, what="OS metrics")[0]["message"])
    assert document["instanceResourceID"] == instance["DbiResourceId"] and document["engine"] == "POSTGRES"
    metrics = json.loads(aws(cloud, "pi", "get-resource-metrics", "--service-type", "RDS", "--identifier",
                             instance["DbiResourceId"], "--metric-queries",
                             '[{"Metric":"db.load.avg","GroupBy":{"Group":"db.wait_event"}}]', "--start-time",
                             begin.isoformat(), "--end-time", datetime.now(timezone.utc).isoformat(), "--period-in-seconds",
                             "1").stdout)
    waits = [m["Key"]["Dimensions"]["db.wait_event.name"] for m in metrics["MetricList"] if "Dimensions" in m["Key"]]
    assert "PgSleep" in waits
    failed = aws(cloud, "rds", "reboot-db-instance", "--db-instance-identifier", "cli", "--force-failover", check=False)
    assert failed.returncode != 0 and "(InvalidParameterCombination)" in failed.stderr
    aws(cloud, "rds", "delete-db-instance", "--db-instance-identifier", "cli", "--skip-final-snapshot")
