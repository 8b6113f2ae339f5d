"""Performance Insights over a real workload: a slow query (pg_sleep) and a lock wait show up in
db.load by wait event and by SQL, with the full statement text; counters come from the server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import botocore.exceptions
import pytest

from regionbox.engines import kinds
from tests.services.rds.helpers import connect, create, wait_until

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")
SLOW = "SELECT pg_sleep(3) /* slow report */"


def test_load_by_wait_event_and_sql_from_sampled_sessions(cloud):
    rds, pi = cloud.client("rds"), cloud.client("pi")
    instance = create(rds, "insightful", EnablePerformanceInsights=True)
    assert instance["PerformanceInsightsEnabled"] is True and instance["PerformanceInsightsRetentionPeriod"] == 7
    resource = instance["DbiResourceId"]
    begin = datetime.now(timezone.utc) - timedelta(seconds=2)
    with connect(instance) as holder, connect(instance) as waiter, connect(instance) as sleeper:
        holder.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int)")
        holder.execute("INSERT INTO accounts VALUES (1, 100)")
        holder.autocommit = False
        holder.execute("UPDATE accounts SET balance = balance - 1 WHERE id = 1")  # holds the row lock
        blocked = threading.Thread(target=lambda: waiter.execute("UPDATE accounts SET balance = balance + 1 WHERE id = 1"))
        blocked.start()
        sleeper.execute(SLOW)  # three seconds of Timeout:PgSleep, meanwhile the UPDATE waits on the lock
        holder.commit()
        blocked.join(10)
    time.sleep(1.1)  # the sampler's next second
    end = datetime.now(timezone.utc) + timedelta(seconds=1)

    def metrics():
        answer = pi.get_resource_metrics(ServiceType="RDS", Identifier=resource, StartTime=begin, EndTime=end,
                                         PeriodInSeconds=1, MetricQueries=[
                                             {"Metric": "db.load.avg", "GroupBy": {"Group": "db.wait_event"}},
                                             {"Metric": "db.Transactions.xact_commit.avg"}])
        waits = {(m["Key"]["Dimensions"]["db.wait_event.type"], m["Key"]["Dimensions"]["db.wait_event.name"]):
                 sum(p["Value"] for p in m["DataPoints"]) for m in answer["MetricList"] if m["Key"].get("Dimensions")}
        return answer if waits.get(("Timeout", "PgSleep"), 0) >= 2 and any(t == "Lock" for t, _ in waits) else None
    answer = wait_until(metrics, timeout=20, what="load by wait event")
    total = answer["MetricList"][0]
    assert "Dimensions" not in total["Key"] and max(p["Value"] for p in total["DataPoints"]) >= 2  # sleeper + waiter
    commits = answer["MetricList"][-1]
    assert commits["Key"] == {"Metric": "db.Transactions.xact_commit.avg"}
    assert any(p.get("Value", 0) > 0 for p in commits["DataPoints"])

    keys = pi.describe_dimension_keys(ServiceType="RDS", Identifier=resource, StartTime=begin, EndTime=end,
                                      Metric="db.load.avg", GroupBy={"Group": "db.sql"})["Keys"]
    top = keys[0]["Dimensions"]
    assert top["db.sql.statement"] == SLOW  # the slowest statement leads
    detail = pi.get_dimension_key_details(ServiceType="RDS", Identifier=resource, Group="db.sql",
                                          GroupIdentifier=top["db.sql.id"])["Dimensions"][0]
    assert detail == {"Dimension": "db.sql.statement", "Value": SLOW, "Status": "AVAILABLE"}
    # Tokenized: the server's normalized statement (pg_stat_statements), constants as $1.
    def tokenized():
        keys = pi.describe_dimension_keys(ServiceType="RDS", Identifier=resource, StartTime=begin, EndTime=end,
                                          Metric="db.load.avg", GroupBy={"Group": "db.sql_tokenized"})["Keys"]
        statement = keys[0]["Dimensions"]["db.sql_tokenized.statement"]
        return keys[0] if "$1" in statement else None
    token = wait_until(tokenized, what="the normalized statement")["Dimensions"]
    assert token["db.sql_tokenized.statement"] == "SELECT pg_sleep($1) /* slow report */"
    assert pi.get_dimension_key_details(ServiceType="RDS", Identifier=resource, Group="db.sql_tokenized",
                                        GroupIdentifier=token["db.sql_tokenized.id"])["Dimensions"][0]["Value"] == \
        "SELECT pg_sleep($1) /* slow report */"
    # A filter keeps the samples of one dimension value.
    filtered = pi.get_resource_metrics(ServiceType="RDS", Identifier=resource, StartTime=begin, EndTime=end, PeriodInSeconds=1,
                                       MetricQueries=[{"Metric": "db.load.avg", "Filter": {"db.wait_event.name": "PgSleep"}}])
    assert max(p["Value"] for p in filtered["MetricList"][0]["DataPoints"]) == 1
    users = pi.describe_dimension_keys(ServiceType="RDS", Identifier=resource, StartTime=begin, EndTime=end,
                                       Metric="db.load.avg", GroupBy={"Group": "db.user"})["Keys"]
    assert [k["Dimensions"]["db.user.name"] for k in users] == ["app"]

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        pi.get_resource_metadata(ServiceType="RDS", Identifier="db-NOSUCHRESOURCE")
    assert caught.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert pi.get_resource_metadata(ServiceType="RDS", Identifier=resource)["Identifier"] == resource
    listed = [m["Metric"] for m in pi.list_available_resource_metrics(ServiceType="RDS", Identifier=resource,
                                                                      MetricTypes=["os", "db"])["Metrics"]]
    assert {"db.load", "db.Transactions.xact_commit", "os.cpuUtilization.total"} <= set(listed)
    groups = pi.list_available_resource_dimensions(ServiceType="RDS", Identifier=resource, Metrics=["db.load"])
    assert "db.wait_event" in [g["Group"] for g in groups["MetricDimensions"][0]["Groups"]]
    # The picture: `regionbox rds top` draws the same load in the terminal.
    top = subprocess.run([sys.executable, "-m", "regionbox", "rds", "top", "insightful", "--once", "--endpoint", cloud.endpoint],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert "PgSleep" in top.stdout and "slow report" in top.stdout, top.stdout + top.stderr
    wait_until(lambda: pi.get_resource_metrics(ServiceType="RDS", Identifier=resource, StartTime=begin, EndTime=end,
                                               PeriodInSeconds=1, MetricQueries=[{"Metric": "os.cpuUtilization.total.avg"}])
               ["MetricList"][0]["DataPoints"], what="os metrics")
