"""AWS/DAX metrics in CloudWatch: what a cluster's nodes served (requests, cache hits and misses)
reaches CloudWatch per node and per cluster, read back with boto3 as any dashboard reads it."""

from __future__ import annotations

import time

import pytest

from regionbox.config import Config
from regionbox.testing.clients import RunningCloud
from regionbox.testing.waiting import eventually
from tests.services.dax.helpers import ACCOUNT
from tests.services.dax.node_fixture import dax_client
from tests.services.dax.test_dataplane_cluster import make_cluster, make_table, url_of


@pytest.fixture(scope="module")
def cloud():
    # AWS publishes every minute; a second here so that the test sees the counts arrive.
    running = RunningCloud(Config(ephemeral=True, dax_metrics_interval=1)).start()
    yield running
    running.stop()


def total(cloudwatch, name: str, dimensions: list[dict]) -> float:
    found = cloudwatch.get_metric_statistics(Namespace="AWS/DAX", MetricName=name, Dimensions=dimensions,
                                             StartTime=time.time() - 3600, EndTime=time.time() + 60, Period=3600,
                                             Statistics=["Sum"])["Datapoints"]
    return found[0]["Sum"] if found else 0.0


def test_cache_hits_and_misses_reach_cloudwatch_per_node_and_per_cluster(cloud):
    make_table(cloud, "metered")
    cluster = make_cluster(cloud, "metered", ReplicationFactor=1)
    node_id = cluster["Nodes"][0]["NodeId"]
    dax = dax_client(url_of(cluster), ACCOUNT, "secret")
    try:
        dax.put_item(TableName="metered", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
        key = {"pk": {"S": "a"}, "sk": {"N": "1"}}
        for _ in range(3):
            dax.get_item(TableName="metered", Key=key)  # cached by the write: three hits
        dax.get_item(TableName="metered", Key={"pk": {"S": "b"}, "sk": {"N": "1"}})  # a miss
    finally:
        dax.close()
    cloudwatch = cloud.client("cloudwatch", account=ACCOUNT)
    node = [{"Name": "ClusterId", "Value": "metered"}, {"Name": "NodeId", "Value": node_id}]
    whole = [{"Name": "ClusterId", "Value": "metered"}]
    eventually(lambda: total(cloudwatch, "ItemCacheHits", whole) >= 3, what="AWS/DAX ItemCacheHits")
    assert total(cloudwatch, "ItemCacheHits", node) == total(cloudwatch, "ItemCacheHits", whole) == 3
    assert total(cloudwatch, "ItemCacheMisses", whole) == 1
    assert total(cloudwatch, "GetItemRequestCount", node) == 4
    assert total(cloudwatch, "PutItemRequestCount", node) == 1
    # Metrics AWS sends only when not zero: nothing failed, so no ErrorRequestCount at all.
    names = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace="AWS/DAX")["Metrics"]}
    assert {"ItemCacheHits", "TotalRequestCount", "EstimatedDbSize"} <= names and "ErrorRequestCount" not in names
