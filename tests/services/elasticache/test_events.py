"""DescribeEvents: AWS's messages, the default last hour, time windows, filters and pages."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from regionbox.services.elasticache.events import record_event
from regionbox.services.elasticache.models import EVENTS, Event
from tests.services.elasticache.memcached_helpers import create_memcached

SCOPE = ("000000000000", "us-east-1")


def code_of(call, **params) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"]


def test_cluster_lifecycle_is_logged_with_aws_messages(cloud):
    ec = cloud.client("elasticache")
    create_memcached(ec, "logged", nodes=1)
    events = ec.describe_events(SourceType="cache-cluster", SourceIdentifier="logged")["Events"]
    assert [e["Message"] for e in events] == ["Cache cluster created"]
    assert events[0]["SourceType"] == "cache-cluster" and events[0]["Date"] <= datetime.now(timezone.utc)
    assert ec.describe_events(SourceType="replication-group")["Events"] == []
    # Other accounts see their own log only.
    assert cloud.client("elasticache", account="111111111111").describe_events()["Events"] == []


def test_time_window_filters_and_pages(cloud):
    ec = cloud.client("elasticache")
    store = cloud.cloud.store.collection(EVENTS, Event)
    now = time.time()
    record_event(store, SCOPE, "old", "cache-cluster", "Cache cluster created", when=now - 3 * 3600)
    for i in range(45):
        record_event(store, SCOPE, f"c{i % 3}", "cache-cluster", f"Cache node {i:04d} restarted", when=now - 60 + i)
    record_event(store, SCOPE, "grp", "replication-group", "Replication group grp created", when=now - 30)

    recent = ec.describe_events()
    assert len(recent["Events"]) == 46 and "Marker" not in recent  # the last hour, by default
    assert recent["Events"][0]["Message"] == "Cache node 0044 restarted"  # newest first

    day = ec.describe_events(Duration=24 * 60)["Events"]
    assert len(day) == 47 and day[-1]["SourceIdentifier"] == "old"
    window = ec.describe_events(StartTime=datetime.fromtimestamp(now - 4 * 3600, timezone.utc),
                                EndTime=datetime.fromtimestamp(now - 2 * 3600, timezone.utc))["Events"]
    assert [e["SourceIdentifier"] for e in window] == ["old"]

    assert [e["SourceIdentifier"] for e in ec.describe_events(SourceType="replication-group")["Events"]] == ["grp"]
    assert len(ec.describe_events(SourceIdentifier="c1")["Events"]) == 15

    pages, marker = [], None
    while True:
        page = ec.describe_events(MaxRecords=20, **({"Marker": marker} if marker else {}))
        pages.append(len(page["Events"]))
        marker = page.get("Marker")
        if not marker:
            break
    assert pages == [20, 20, 6]
    paginated = [e for p in ec.get_paginator("describe_events").paginate(PaginationConfig={"PageSize": 20}) for e in p["Events"]]
    assert len(paginated) == 46


def test_bad_requests(cloud):
    ec = cloud.client("elasticache")
    assert code_of(ec.describe_events, MaxRecords=5) == "InvalidParameterValue"
    assert code_of(ec.describe_events, SourceType="lambda-function") == "InvalidParameterValue"
    assert code_of(ec.describe_events, Marker="made-up") == "InvalidParameterValue"
    now = datetime.now(timezone.utc)
    assert code_of(ec.describe_events, StartTime=now, EndTime=now - timedelta(hours=1)) == "InvalidParameterCombination"
