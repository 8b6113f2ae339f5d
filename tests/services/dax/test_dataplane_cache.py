"""DAX's caching semantics on a node, observed through the official client and the node's
counters: item cache hits and misses, negative entries, eventual consistency and TTL expiry,
write-through, the query cache that writes do not invalidate, LRU eviction by memory, cold
nodes, and which callers a node lets in (authenticated by their signature, authorized by IAM
for the cluster's ARN)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from regionbox.services.dax.dataplane import CacheSettings
from regionbox.testing.waiting import eventually as wait_until
from tests.services.dax.node_fixture import StandaloneNode, StaticView, dax_client

KEY = {"pk": {"S": "cached"}}


@pytest.fixture
def short_ttl_node(regionbox_session, tables):
    started = StandaloneNode(regionbox_session, StaticView(cache=CacheSettings(300, 300, 64 * 1024 * 1024)))
    yield started
    started.close()


def test_hits_misses_and_eventual_consistency(dax, node, tables):
    tables.put_item(TableName="dax-hash", Item={**KEY, "v": {"S": "one"}})
    assert dax.get_item(TableName="dax-hash", Key=KEY)["Item"]["v"] == {"S": "one"}
    assert (node.metrics()["ItemCacheMisses"], node.metrics()["ItemCacheHits"]) == (1, 0)
    # a write straight to DynamoDB is not seen by DAX's eventually consistent reads ...
    tables.put_item(TableName="dax-hash", Item={**KEY, "v": {"S": "two"}})
    assert dax.get_item(TableName="dax-hash", Key=KEY)["Item"]["v"] == {"S": "one"}
    assert node.metrics()["ItemCacheHits"] == 1
    # ... but strongly consistent reads pass through (and do not count as cache traffic)
    assert dax.get_item(TableName="dax-hash", Key=KEY, ConsistentRead=True)["Item"]["v"] == {"S": "two"}
    assert (node.metrics()["ItemCacheMisses"], node.metrics()["ItemCacheHits"]) == (1, 1)
    assert dax.get_item(TableName="dax-hash", Key=KEY)["Item"]["v"] == {"S": "one"}


def test_missing_items_are_cached_too(dax, node, tables):
    key = {"pk": {"S": "negative"}}
    assert dax.get_item(TableName="dax-hash", Key=key) == {}
    tables.put_item(TableName="dax-hash", Item={**key, "v": {"S": "late"}})
    assert dax.get_item(TableName="dax-hash", Key=key) == {}
    assert node.metrics()["ItemCacheHits"] == 1
    assert dax.get_item(TableName="dax-hash", Key=key, ConsistentRead=True)["Item"]["v"] == {"S": "late"}


def test_record_ttl_expiry(short_ttl_node, tables):
    dax = dax_client(short_ttl_node.url)
    try:
        key = {"pk": {"S": "ttl"}}
        tables.put_item(TableName="dax-hash", Item={**key, "v": {"S": "old"}})
        assert dax.get_item(TableName="dax-hash", Key=key)["Item"]["v"] == {"S": "old"}
        tables.put_item(TableName="dax-hash", Item={**key, "v": {"S": "new"}})
        wait_until(lambda: dax.get_item(TableName="dax-hash", Key=key)["Item"]["v"] == {"S": "new"})
        assert short_ttl_node.metrics()["ItemCacheMisses"] >= 2
    finally:
        dax.close()


def test_writes_through_dax_update_the_item_cache(dax, node, tables):
    key = {"pk": {"S": "through"}}
    dax.put_item(TableName="dax-hash", Item={**key, "v": {"N": "1"}})
    assert dax.get_item(TableName="dax-hash", Key=key)["Item"]["v"] == {"N": "1"}
    dax.update_item(TableName="dax-hash", Key=key, UpdateExpression="SET v = v + :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    assert dax.get_item(TableName="dax-hash", Key=key)["Item"]["v"] == {"N": "2"}
    dax.delete_item(TableName="dax-hash", Key=key)
    assert dax.get_item(TableName="dax-hash", Key=key) == {}
    assert (node.metrics()["ItemCacheHits"], node.metrics()["ItemCacheMisses"]) == (3, 0)


def test_query_cache_is_not_invalidated_by_writes(dax, node, tables):
    request = {"TableName": "dax-range", "KeyConditionExpression": "pk = :p",
               "ExpressionAttributeValues": {":p": {"S": "qc"}}}
    dax.put_item(TableName="dax-range", Item={"pk": {"S": "qc"}, "sk": {"N": "1"}})
    assert dax.query(**request)["Count"] == 1
    dax.put_item(TableName="dax-range", Item={"pk": {"S": "qc"}, "sk": {"N": "2"}})
    assert dax.query(**request)["Count"] == 1                     # the cached result, by design
    assert dax.query(**request, ConsistentRead=True)["Count"] == 2
    assert dax.query(**request, Limit=5)["Count"] == 2            # another request, another entry
    metrics = node.metrics()
    assert (metrics["QueryCacheHits"], metrics["QueryCacheMisses"]) == (1, 2)
    assert dax.scan(TableName="dax-range", Limit=1) == dax.scan(TableName="dax-range", Limit=1)
    assert (node.metrics()["ScanCacheHits"], node.metrics()["ScanCacheMisses"]) == (1, 1)


def test_query_ttl_expiry(short_ttl_node, tables):
    dax = dax_client(short_ttl_node.url)
    try:
        request = {"TableName": "dax-range", "KeyConditionExpression": "pk = :p",
                   "ExpressionAttributeValues": {":p": {"S": "qttl"}}}
        assert dax.query(**request)["Count"] == 0
        tables.put_item(TableName="dax-range", Item={"pk": {"S": "qttl"}, "sk": {"N": "1"}})
        wait_until(lambda: dax.query(**request)["Count"] == 1)
    finally:
        dax.close()


def test_lru_eviction_by_node_memory(regionbox_session, tables):
    small = StandaloneNode(regionbox_session, StaticView(cache=CacheSettings(300_000, 300_000, 4_000)))
    dax = dax_client(small.url)
    try:
        for i in range(40):
            tables.put_item(TableName="dax-hash", Item={"pk": {"S": f"lru{i}"}, "v": {"S": "x" * 100}})
            dax.get_item(TableName="dax-hash", Key={"pk": {"S": f"lru{i}"}})
        metrics = small.metrics()
        assert metrics["EvictedCount"] > 0
        assert metrics["CacheMemoryBytes"] <= 4_000
        dax.get_item(TableName="dax-hash", Key={"pk": {"S": "lru39"}})     # the newest is still there
        assert small.metrics()["ItemCacheHits"] == 1
        dax.get_item(TableName="dax-hash", Key={"pk": {"S": "lru0"}})      # the oldest went first
        assert small.metrics()["ItemCacheMisses"] == 41
    finally:
        dax.close()
        small.close()


def test_nodes_cache_independently_and_start_cold(regionbox_session, dax, node, tables):
    other = StandaloneNode(regionbox_session, StaticView(node_id="test-0002"))
    other_client = dax_client(other.url)
    try:
        tables.put_item(TableName="dax-hash", Item={"pk": {"S": "own"}})
        dax.get_item(TableName="dax-hash", Key={"pk": {"S": "own"}})
        other_client.get_item(TableName="dax-hash", Key={"pk": {"S": "own"}})
        assert other.metrics()["ItemCacheMisses"] == 1                 # node 1's read did not warm node 2
        node.server.clear()                                             # reboot: cold again
        dax.get_item(TableName="dax-hash", Key={"pk": {"S": "own"}})
        assert node.metrics()["ItemCacheMisses"] == 2
    finally:
        other_client.close()
        other.close()


def test_credentials_are_checked(regionbox_session, node):
    iam = regionbox_session.client("iam")
    iam.create_user(UserName="dax-user")
    key = iam.create_access_key(UserName="dax-user")["AccessKey"]
    good = dax_client(node.url, key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as denied:                         # authenticated, but no policy yet
        good.get_item(TableName="dax-hash", Key={"pk": {"S": "any"}})
    assert denied.value.response["Error"] == {
        "Code": "AccessDeniedException",
        "Message": "User: arn:aws:iam::000000000000:user/dax-user is not authorized to perform: dax:GetItem on "
                   "resource: arn:aws:dax:us-east-1:000000000000:cache/test because no identity-based policy "
                   "allows the dax:GetItem action"}
    good.close()
    iam.put_user_policy(UserName="dax-user", PolicyName="reads", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dax:GetItem",
                                                "Resource": "arn:aws:dax:us-east-1:000000000000:cache/test"}]}))
    good = dax_client(node.url, key["AccessKeyId"], key["SecretAccessKey"])
    good.get_item(TableName="dax-hash", Key={"pk": {"S": "any"}})
    with pytest.raises(ClientError) as not_writes:
        good.put_item(TableName="dax-hash", Item={"pk": {"S": "any"}})
    assert not_writes.value.response["Error"]["Code"] == "AccessDeniedException"
    good.close()
    with pytest.raises(ClientError) as other_account:                  # another account's root: not its cluster
        dax_client(node.url, "111122223333", "x").get_item(TableName="dax-hash", Key={"pk": {"S": "any"}})
    assert other_account.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as wrong_secret:
        dax_client(node.url, key["AccessKeyId"], "not-the-secret")
    assert wrong_secret.value.response["Error"]["Code"] == "InvalidSignatureException"
    with pytest.raises(ClientError) as wrong_region:
        dax_client(node.url, key["AccessKeyId"], key["SecretAccessKey"], region_name="eu-west-1")
    assert wrong_region.value.response["Error"]["Code"] == "InvalidSignatureException"
    iam.update_access_key(UserName="dax-user", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as inactive:
        dax_client(node.url, key["AccessKeyId"], key["SecretAccessKey"])
    assert inactive.value.response["Error"] == {
        "Code": "UnrecognizedClientException", "Message": "The security token included in the request is invalid."}
    assert node.metrics()["AuthenticationFailures"] == 3


def test_a_write_through_one_node_reaches_the_other_nodes_caches(regionbox_session, tables):
    from regionbox.services.dax.dataplane import NodeEndpoint
    live: list[NodeEndpoint] = []
    first = StandaloneNode(regionbox_session, StaticView(cluster_name="pair", node_id="pair-a", live=live))
    second = StandaloneNode(regionbox_session, StaticView(cluster_name="pair", node_id="pair-b", live=live))
    live[:] = [NodeEndpoint("pair-a", "127.0.0.1", first.port, "us-east-1a", "primary"),
               NodeEndpoint("pair-b", "127.0.0.1", second.port, "us-east-1b", "replica")]
    to_first, to_second = dax_client(first.url), dax_client(second.url)
    try:
        key = {"pk": {"S": "replicated"}}
        tables.put_item(TableName="dax-hash", Item={**key, "v": {"S": "old"}})
        assert to_second.get_item(TableName="dax-hash", Key=key)["Item"]["v"] == {"S": "old"}
        to_first.put_item(TableName="dax-hash", Item={**key, "v": {"S": "new"}})
        # any node of the cluster may answer a read; the write reached the other's item cache
        answers = {to_second.get_item(TableName="dax-hash", Key=key)["Item"]["v"]["S"] for _ in range(4)}
        assert answers == {"new"}
        assert first.metrics()["ItemCacheMisses"] + second.metrics()["ItemCacheMisses"] == 1
    finally:
        to_first.close()
        to_second.close()
        first.close()
        second.close()
