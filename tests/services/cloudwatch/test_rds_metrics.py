"""AWS/RDS metrics in CloudWatch from a real PostgreSQL instance under load: DBLoad from the
Performance Insights sampler (each second, and per interval), DatabaseConnections counting the
client's sessions, CPUUtilization and FreeStorageSpace from the server and its data."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from regionbox.config import Config
from regionbox.engines import kinds
from regionbox.testing.clients import RunningCloud
from tests.services.rds.helpers import connect, create, wait_until

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")
INSTANCE = [{"Name": "DBInstanceIdentifier", "Value": "loaded"}]


@pytest.fixture(scope="module")
def cloud():
    # AWS publishes every 60 s; 2 s here so that the test sees several intervals.
    running = RunningCloud(Config(ephemeral=True, rds_metrics_interval=2)).start()
    yield running
    running.stop()


def statistic(cloudwatch, name: str, stat: str, period: int = 1, since: datetime | None = None) -> list[float]:
    now = datetime.now(timezone.utc)
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": "m", "MetricStat": {"Metric": {"Namespace": "AWS/RDS", "MetricName": name,
                                                                 "Dimensions": INSTANCE}, "Period": period, "Stat": stat}}],
        StartTime=since or now - timedelta(minutes=5), EndTime=now + timedelta(seconds=5))
    return answer["MetricDataResults"][0]["Values"]


def test_db_load_and_connections_of_a_loaded_instance(cloud):
    rds, cloudwatch = cloud.client("rds"), cloud.client("cloudwatch")
    instance = create(rds, "loaded", EnablePerformanceInsights=True)
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    sessions = [connect(instance) for _ in range(4)]
    stop = threading.Event()

    def load(conn):
        while not stop.is_set():
            conn.execute("SELECT pg_sleep(0.5)")
    workers = [threading.Thread(target=load, args=(conn,)) for conn in sessions[:3]]
    for worker in workers:
        worker.start()
    try:
        # Each second: three sessions in pg_sleep (a wait event, not CPU) are DBLoad 3, DBLoadNonCPU 3.
        wait_until(lambda: max(statistic(cloudwatch, "DBLoad", "Maximum", since=since), default=0) >= 3, timeout=60,
                   what="per-second DBLoad of 3")
        assert max(statistic(cloudwatch, "DBLoadNonCPU", "Maximum", since=since)) >= 3
        # Each interval: the four client sessions (regionbox's own are not counted).
        wait_until(lambda: 4 in statistic(cloudwatch, "DatabaseConnections", "Maximum", 60, since), timeout=60,
                   what="DatabaseConnections of 4")
        wait_until(lambda: max(statistic(cloudwatch, "DBLoad", "Average", 60, since), default=0) > 0, timeout=60,
                   what="DBLoad per interval")
    finally:
        stop.set()
        for worker in workers:
            worker.join(10)
        for conn in sessions:
            conn.close()
    wait_until(lambda: statistic(cloudwatch, "DatabaseConnections", "Minimum", 1, datetime.now(timezone.utc)
                                 - timedelta(seconds=1)) == [0.0], timeout=60, what="DatabaseConnections back to 0")
    free = statistic(cloudwatch, "FreeStorageSpace", "Minimum", 60, since)
    assert free and 0 < free[0] < 20 * 2 ** 30  # 20 GiB allocated, less the databases and WAL
    cpu = statistic(cloudwatch, "CPUUtilization", "Maximum", 60, since)
    assert cpu and all(0 <= v <= 100 for v in cpu)
    names = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace="AWS/RDS", Dimensions=INSTANCE)["Metrics"]}
    assert names >= {"DBLoad", "DBLoadCPU", "DBLoadNonCPU", "CPUUtilization", "DatabaseConnections", "FreeStorageSpace",
                     "FreeableMemory", "ReadIOPS", "WriteIOPS"}
    rds.delete_db_instance(DBInstanceIdentifier="loaded", SkipFinalSnapshot=True)
