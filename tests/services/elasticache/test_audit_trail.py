"""Every call that reaches ElastiCache is one CloudTrail event, with errorCode/errorMessage when it
failed; an asynchronous operation whose background part fails keeps its own (successful) event
and reports the failure as AWS does, in DescribeEvents. Counted through LookupEvents."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import Counter

from botocore.exceptions import ClientError

from tests.services.elasticache.redis_helpers import create_group, eventually, events

SCOPE = ("000000000000", "us-east-1")


class Recorder:
    """Makes calls and keeps (request id, operation, error code or None) for each."""

    def __init__(self, ec) -> None:
        self.ec = ec
        self.calls: list[tuple[str, str, str | None]] = []
        self.lock = threading.Lock()

    def __call__(self, operation: str, **params) -> dict | None:
        try:
            response = getattr(self.ec, operation)(**params)
            request_id, error = response["ResponseMetadata"]["RequestId"], None
        except ClientError as failure:
            response, request_id, error = None, failure.response["ResponseMetadata"]["RequestId"], failure.response["Error"]["Code"]
        with self.lock:
            self.calls.append((request_id, operation, error))
        return response


def trail(cloud) -> dict[str, list[dict]]:
    """CloudTrail's events of ElastiCache by request id."""
    ct = cloud.client("cloudtrail")
    found: dict[str, list[dict]] = {}
    for page in ct.get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "elasticache.amazonaws.com"}]):
        for event in page["Events"]:
            record = json.loads(event["CloudTrailEvent"])
            found.setdefault(record["requestID"], []).append(record)
    return found


def test_every_call_is_one_event_and_background_failures_are_reported_as_aws_does(cloud):
    ec = cloud.client("elasticache")
    call = Recorder(ec)
    # Refused at once: an event with the error.
    call("create_cache_cluster", CacheClusterId="bad", Engine="redis", CacheNodeType="nope")
    # A number beyond 64 bits never reaches ElastiCache: the protocol layer refuses it, and a call
    # that reaches no provider is no event (tests/core/test_audit_trail.py).
    try:
        ec.describe_events(Duration=2 ** 70)
    except ClientError as refused:
        assert refused.response["Error"]["Code"] == "InvalidParameterValue"
    call("create_user", UserId="intruder", UserName="intruder", Engine="redis", AccessString="on ~* +config", NoPasswordRequired=True)
    # Accepted.
    call("create_user", UserId="app", UserName="app", Engine="redis", AccessString="on ~app:* +@all", NoPasswordRequired=True)
    call("create_user_group", UserGroupId="crew", Engine="redis", UserIds=["default", "app"])
    create_group(ec, "audited", NumCacheClusters=2, AutomaticFailoverEnabled=True, UserGroupIds=["crew"])
    call("describe_replication_groups", ReplicationGroupId="audited")

    # A replica that hangs: the engine part of each next call fails on it after the call has
    # answered as accepted, once. One call at a time, each failure seen before the next call:
    # later calls take the user out of the group the earlier ones would have failed on.
    replica = cloud.cloud.services.api("elasticache").node(SCOPE, "audited-002")
    os.kill(replica.pid, signal.SIGSTOP)
    try:
        call("modify_user", UserId="app", AccessString="on ~* +@read")
        assert eventually(lambda: any(m.startswith("Failed to apply the change of user app to replication group audited")
                                      for m in events(ec, "app")), what="the failed user change reported", timeout=60), events(ec, "app")
        call("modify_user_group", UserGroupId="crew", UserIdsToRemove=["app"])
        assert eventually(lambda: any(m.startswith("Failed to apply the change of user group crew to replication group audited")
                                      for m in events(ec, "crew")), what="the failed user group change reported", timeout=60), \
            events(ec, "crew")
        call("test_failover", ReplicationGroupId="audited", NodeGroupId="0001")
        assert eventually(lambda: any(m.startswith("Failover of node group 0001 failed") for m in events(ec, "audited")),
                          what="the failed failover reported", timeout=60), events(ec, "audited")
        call("modify_replication_group", ReplicationGroupId="audited", UserGroupIdsToRemove=["crew"], ApplyImmediately=True)
        assert eventually(lambda: any(m.startswith("Failed to apply the modification") for m in events(ec, "audited")),
                          what="the failed modification reported", timeout=60), events(ec, "audited")
    finally:
        os.kill(replica.pid, signal.SIGCONT)

    expected = dict.fromkeys([request for request, _, _ in call.calls])
    recorded = eventually(lambda: (t := trail(cloud)) and all(r in t for r in expected) and t, what="every call in the trail")
    for request_id, operation, error in call.calls:
        assert len(recorded[request_id]) == 1, f"{operation}: {len(recorded[request_id])} events"
        (record,) = recorded[request_id]
        assert record.get("errorCode") == error, (operation, record.get("errorCode"), error)
        assert bool(record.get("errorMessage")) == bool(error)
    assert Counter(e for _, _, e in call.calls) == Counter({None: 7, "InvalidParameterValue": 2})
