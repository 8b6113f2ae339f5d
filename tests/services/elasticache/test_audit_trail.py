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
    call("describe_events", Duration=2 ** 70)  # a number beyond 64 bits, echoed in the event
    call("create_user", UserId="intruder", UserName="intruder", Engine="redis", AccessString="on ~* +config", NoPasswordRequired=True)
    # Accepted.
    call("create_user", UserId="app", UserName="app", Engine="redis", AccessString="on ~app:* +@all", NoPasswordRequired=True)
    call("create_user_group", UserGroupId="crew", Engine="redis", UserIds=["default", "app"])
    create_group(ec, "audited", NumCacheClusters=2, AutomaticFailoverEnabled=True, UserGroupIds=["crew"])
    call("describe_replication_groups", ReplicationGroupId="audited")

    # A replica that hangs: the engine part of the next calls fails on it, in the background or
    # after the answer; each call still answered as accepted, once.
    replica = cloud.cloud.services.api("elasticache").node(SCOPE, "audited-002")
    os.kill(replica.pid, signal.SIGSTOP)
    try:
        changes = [threading.Thread(target=call, args=("modify_user",), kwargs={"UserId": "app", "AccessString": "on ~* +@read"}),
                   threading.Thread(target=call, args=("modify_user_group",), kwargs={"UserGroupId": "crew",
                                                                                       "UserIdsToRemove": ["app"]})]
        for change in changes:
            change.start()
        call("test_failover", ReplicationGroupId="audited", NodeGroupId="0001")
        call("modify_replication_group", ReplicationGroupId="audited", UserGroupIdsToRemove=["crew"], ApplyImmediately=True)
        for change in changes:
            change.join(60)
        assert eventually(lambda: any(m.startswith("Failover of node group 0001 failed") for m in events(ec, "audited")),
                          what="the failed failover reported", timeout=60), events(ec, "audited")
        assert eventually(lambda: any(m.startswith("Failed to apply the modification") for m in events(ec, "audited")),
                          what="the failed modification reported", timeout=60), events(ec, "audited")
    finally:
        os.kill(replica.pid, signal.SIGCONT)
    assert any(m.startswith("Failed to apply the change of user app to replication group audited") for m in events(ec, "app"))
    assert any(m.startswith("Failed to apply the change of user group crew to replication group audited") for m in events(ec, "crew"))

    expected = dict.fromkeys([request for request, _, _ in call.calls])
    recorded = eventually(lambda: (t := trail(cloud)) and all(r in t for r in expected) and t, what="every call in the trail")
    for request_id, operation, error in call.calls:
        assert len(recorded[request_id]) == 1, f"{operation}: {len(recorded[request_id])} events"
        (record,) = recorded[request_id]
        assert record.get("errorCode") == error, (operation, record.get("errorCode"), error)
        assert bool(record.get("errorMessage")) == bool(error)
    assert Counter(e for _, _, e in call.calls) == Counter({None: 7, "InvalidParameterValue": 3})
    # The number beyond 64 bits is in the event, as text.
    (huge,) = [recorded[request][0] for request, operation, _ in call.calls if operation == "describe_events"]
    assert huge["requestParameters"]["Duration"] == str(2 ** 70)
