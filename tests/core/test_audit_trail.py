"""The audit trail records every call that reaches a provider, exactly one event each (with
errorCode and errorMessage when it failed), whatever the call's parameters and response hold.
Counted the way a user counts them: CloudTrail LookupEvents through boto3."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from regionbox.core import ids
from regionbox.core.context import Caller, RequestContext
from regionbox.core.errors import ServiceError
from tests.gateway.fuzzing import Sender, Wire

ACCOUNT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]})
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def events(cloud, region: str = "us-east-1") -> list[dict]:
    client = cloud.client("cloudtrail", account=ACCOUNT, region=region)
    pages = client.get_paginator("lookup_events").paginate()
    return [event for page in pages for event in page["Events"] if event["EventName"] != "LookupEvents"]


def by_name(found: list[dict]) -> Counter:
    return Counter(event["EventName"] for event in found)


def error_of(event: dict) -> tuple[str | None, str | None]:
    record = json.loads(event["CloudTrailEvent"])
    return record.get("errorCode"), record.get("errorMessage")


def test_a_mix_of_good_and_bad_calls_leaves_one_event_per_call_that_reached_a_provider(cloud):
    iam = cloud.client("iam", account=ACCOUNT)
    logs = cloud.client("logs", account=ACCOUNT)
    elasticache = cloud.client("elasticache", account=ACCOUNT)
    seen = set()  # (operation, code, message) of each failure a provider answered, as the client saw it

    def fails(operation: str, call, **params) -> None:
        with pytest.raises(ClientError) as caught:
            call(**params)
        error = caught.value.response["Error"]
        seen.add((operation, error["Code"], error["Message"]))

    iam.create_role(RoleName="counted", AssumeRolePolicyDocument=TRUST)                # 1 CreateRole
    fails("GetRole", iam.get_role, RoleName="missing")                                 # 1 GetRole, failed
    with pytest.raises(ClientError):
        iam.create_role(RoleName="bad name!", AssumeRolePolicyDocument=TRUST)         # refused by validation: none
    logs.create_log_group(logGroupName="/counted")                                     # 1 CreateLogGroup
    fails("CreateLogGroup", logs.create_log_group, logGroupName="/counted")            # 1 CreateLogGroup, failed
    fails("DescribeReplicationGroups", elasticache.describe_replication_groups, MaxRecords=5)  # 1, the provider's error
    sender = Sender(cloud.endpoint)
    try:
        refused = sender.send("elasticache", Wire("POST", "/", "", FORM, b"Action=DescribeReplicationGroups"
                              b"&Version=2015-02-02&MaxRecords=99999999999999999999999"))   # refused by the parser: none
        tagged = sender.send("iam", Wire("POST", "/", "", FORM, b"Action=TagRole&Version=2010-05-08&RoleName=counted"
                             b"&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.%C2%B2.Key=x"))  # 1 TagRole
    finally:
        sender.close()
    assert (refused.status, tagged.status) == (400, 200)

    found = events(cloud)
    assert by_name(found) == Counter({"CreateRole": 1, "GetRole": 1, "CreateLogGroup": 2, "DescribeReplicationGroups": 1,
                                      "TagRole": 1})
    errors = {(event["EventName"], *error_of(event)) for event in found if error_of(event)[0]}
    assert errors == seen and {code for _, code, _ in seen} == {"NoSuchEntity", "ResourceAlreadyExistsException",
                                                                 "InvalidParameterValue"}


def test_values_json_cannot_hold_do_not_lose_the_event(cloud):
    """What a parser or provider may put in parameters and responses: integers beyond 64 bits
    (nested too), bytes and memoryviews, datetimes, Decimals, sets, lone surrogates, nesting
    deeper than Python recurses, objects. Each call is still exactly one event."""
    deep: dict = {}
    cursor = deep
    for _ in range(5000):
        cursor["next"] = {}
        cursor = cursor["next"]
    awkward = [
        {"MaxRecords": 2**70},
        {"Filters": [{"Values": [-(2**80), 10**5000]}]},
        {"Blob": memoryview(b"\x00\xff"), "Raw": bytearray(b"x"), "When": datetime(2024, 1, 2, tzinfo=timezone.utc)},
        {"Price": Decimal("1.10"), "Ids": {"a", "b"}, "Pair": (1, 2)},
        {"Name": "lone \ud800 surrogate", "\udfff": "key"},
        {"Document": deep},
        {"Object": object(), 7: "non-string key"},
    ]

    async def record_all() -> None:
        for number, params in enumerate(awkward):
            ctx = RequestContext(caller=Caller.root(ACCOUNT, ACCOUNT), region="eu-west-1", request_id=ids.request_id(),
                                 service="elasticache", operation=f"ModifyThing{number}")
            error = None if number % 2 else ServiceError("Boom", "went \ud800 wrong")
            cloud.cloud.audit.record(ctx, "elasticache.amazonaws.com", params, error,
                                     response={"Total": Decimal("3"), "Huge": 2**100})

    cloud.run(record_all())
    found = events(cloud, region="eu-west-1")
    assert by_name(found) == Counter({f"ModifyThing{number}": 1 for number in range(len(awkward))})
    records = {event["EventName"]: json.loads(event["CloudTrailEvent"]) for event in found}
    assert records["ModifyThing0"]["requestParameters"] == {"MaxRecords": "1180591620717411303424"}
    assert records["ModifyThing1"]["requestParameters"]["Filters"][0]["Values"] == [
        "-1208925819614629174706176", "<integer of 16610 bits>"]
    assert records["ModifyThing1"]["responseElements"] == {"Total": "3", "Huge": "1267650600228229401496703205376"}
    assert records["ModifyThing2"]["requestParameters"] == {"Blob": "<binary>", "Raw": "<binary>",
                                                            "When": "2024-01-02T00:00:00.000Z"}
    assert records["ModifyThing3"]["requestParameters"]["Price"] == "1.10"
    assert records["ModifyThing4"]["requestParameters"] == {"Name": "lone \\ud800 surrogate", "\\udfff": "key"}
    assert (records["ModifyThing0"]["errorCode"], records["ModifyThing0"]["errorMessage"]) == ("Boom", "went \\ud800 wrong")
    assert "errorCode" not in records["ModifyThing1"]
