"""`regionbox rds top <instance>`: the instance's database load in the terminal, as Performance
Insights' dashboard draws it: average active sessions by wait event over the last minute (one bar
per wait event, against the instance's vCPUs), and the top SQL by load. Read through the ``pi``
API like any client would, refreshed every second (``--once``: one frame)."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

import boto3
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

WINDOW = 60  # seconds of load shown
BAR = 40


def frame(rds, pi, identifier: str):
    instance = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    resource = instance["DbiResourceId"]
    end = datetime.now(timezone.utc)
    start = end - timedelta(seconds=WINDOW)
    if not instance.get("PerformanceInsightsEnabled"):
        return Text(f"Performance Insights is off for {identifier}: "
                    f"aws rds modify-db-instance --db-instance-identifier {identifier} --enable-performance-insights")
    metrics = pi.get_resource_metrics(ServiceType="RDS", Identifier=resource, StartTime=start, EndTime=end, PeriodInSeconds=60,
                                      MetricQueries=[{"Metric": "db.load.avg", "GroupBy": {"Group": "db.wait_event"}}])
    vcpus = os.cpu_count() or 1
    waits = Table(title=f"{identifier} ({instance['DBInstanceStatus']}, {instance.get('AvailabilityZone')}): "
                        f"average active sessions, last {WINDOW} s", expand=False)
    for column in ("wait event", "type", "AAS", ""):
        waits.add_column(column)
    for series in metrics["MetricList"]:
        dims = series["Key"].get("Dimensions")
        value = sum(p.get("Value", 0) for p in series["DataPoints"]) / max(len(series["DataPoints"]), 1)
        if dims is None:
            waits.caption = f"total {value:.2f} AAS; {vcpus} vCPUs"
            continue
        color = "green" if dims["db.wait_event.type"] == "CPU" else "yellow" if dims["db.wait_event.type"] == "IO" else "red"
        waits.add_row(dims["db.wait_event.name"], dims["db.wait_event.type"], f"{value:.2f}",
                      Text("█" * min(BAR, round(BAR * value / vcpus)), style=color))
    keys = pi.describe_dimension_keys(ServiceType="RDS", Identifier=resource, StartTime=start, EndTime=end,
                                      Metric="db.load.avg", GroupBy={"Group": "db.sql", "Limit": 5})["Keys"]
    sql = Table(title="top SQL by load")
    sql.add_column("AAS")
    sql.add_column("statement")
    for key in keys:
        sql.add_row(f"{key['Total']:.2f}", key["Dimensions"].get("db.sql.statement", "")[:100])
    return Group(waits, sql)


def run(endpoint: str, identifier: str, region: str, once: bool) -> None:
    session = boto3.Session(aws_access_key_id="000000000000", aws_secret_access_key="regionbox", region_name=region)
    rds = session.client("rds", endpoint_url=endpoint)
    pi = session.client("pi", endpoint_url=endpoint)
    if once:
        from rich.console import Console
        Console(highlight=False).print(frame(rds, pi, identifier))
        return
    with Live(frame(rds, pi, identifier), refresh_per_second=2) as live:
        while True:
            time.sleep(1)
            live.update(frame(rds, pi, identifier))
