"""Every operation of every served service, fed broken requests over a real socket: the answer is
always the service's own error (or a success), never a 5xx other than 501 (not implemented),
and always something botocore reads as an answer of the service's protocol.

The property test starts from a valid request of each operation and breaks it (tests/gateway/
fuzzing.py says how). Under the ``ci`` Hypothesis profile the examples are the same on every run;
``REGIONBOX_FUZZ_EXAMPLES`` sets how many per operation (default 2, a budget of about half a
minute on two cores). ``python -m tests.gateway.fuzzing`` runs bigger, random campaigns and prints
the figures. Every problem a campaign found is a fixed example below.
"""

from __future__ import annotations

import json
import logging
import os
import re

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings

from regionbox.protocol.specs import service_model
from tests.gateway.fuzzing import SERVED, Sender, ServerErrors, Wire, fuzzed_requests, operation_names, problem

EXAMPLES = int(os.environ.get("REGIONBOX_FUZZ_EXAMPLES", "2"))

# Problems whose cause lies outside the protocol layer, reported for the services' and the
# gateway's owners: tolerated here (and pinned by the strict xfail tests at the end) so that the
# property keeps guarding everything else. Each entry: a regex over the cause, and why.
KNOWN: list[tuple[str, str]] = []


def known(text: str) -> bool:
    return any(re.search(pattern, text) for pattern, _ in KNOWN)


@pytest.fixture(scope="module")
def fuzz(regionbox_session):
    """The session's cloud, a sender, and the exceptions the cloud logs."""
    errors = ServerErrors()
    logger = logging.getLogger("regionbox")
    logger.addHandler(errors)
    sender = Sender(regionbox_session.endpoint)
    state = {"service": None}
    yield regionbox_session, sender, errors, state
    sender.close()
    logger.removeHandler(errors)
    regionbox_session.reset()


def judge(fuzz, service: str, operation_name: str, wire: Wire) -> str | None:
    """What is wrong with the answer to ``wire`` (None: nothing, or only a known problem)."""
    _, sender, errors, _ = fuzz
    errors.take()
    answer = sender.send(service, wire)
    found = problem(service, service_model(service).operation_model(operation_name), answer)
    logged = errors.take()
    report = "; ".join(filter(None, [*logged, found]))
    if not report or known(report):
        return None
    return f"{report}\nrequest: {wire.reproducer()}"


@pytest.mark.parametrize("service, operation_name",
                         [(service, name) for service in SERVED for name in operation_names(service)])
def test_broken_requests_get_the_services_errors(fuzz, service, operation_name):
    cloud, _, _, state = fuzz
    if state["service"] != service:  # each service starts from an empty cloud; its calls pile up
        cloud.reset()
        state["service"] = service

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(wire=fuzzed_requests(service, operation_name))
    def check(wire: Wire) -> None:
        found = judge(fuzz, service, operation_name, wire)
        assert found is None, found

    check()


# --- every problem a fuzz campaign found, as a fixed example -------------------------------------------

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def case(service: str, operation: str, params: str | Wire) -> tuple[str, str, Wire]:
    """A request of ``operation``: its JSON body, or (query, EC2) its form after Action and Version."""
    if isinstance(params, Wire):
        return service, operation, params
    metadata = service_model(service).metadata
    if metadata["protocol"] == "json":
        headers = {"Content-Type": f"application/x-amz-json-{metadata['jsonVersion']}",
                   "X-Amz-Target": f"{metadata['targetPrefix']}.{operation}"}
        return service, operation, Wire("POST", "/", "", headers, params.encode())
    body = f"Action={operation}&Version={metadata['apiVersion']}&{params}"
    return service, operation, Wire("POST", "/", "", dict(FORM), body.encode())


HUGE = "1" * 5000
FOUND = {
    # 1. list positions int() rejects: 93% of the 500s in the run, in IAM, STS, EC2, ElastiCache
    "iam tag position ²": case("iam", "TagRole", "RoleName=r&Tags.member.%C2%B2.Key=k&Tags.member.%C2%B2.Value=v"),
    "iam 5000-digit position": case("iam", "TagMFADevice", f"SerialNumber=s&Tags.member.{HUGE}.Key=k"),
    "sts 5000-digit position": case("sts", "AssumeRole", f"RoleSessionName=s&RoleArn=arn:aws:iam::123456789012:role/r"
                                                         f"&Tags.member.{HUGE}.Key=k"),
    "sts policy position ٣٢": case("sts", "GetFederationToken", "Name=n&PolicyArns.member.%D9%A3%D9%A2.arn=a"),
    "ec2 filter position ²": case("ec2", "DescribeHostReservationOfferings", Wire(
        "GET", "/", "Action=DescribeHostReservationOfferings&Version=2016-11-15&Filter.%C2%B2.Value.1=v", {}, b"")),
    "ec2 5000-digit position": case("ec2", "StartInstances", f"InstanceId.1=i-1&InstanceId.{HUGE}=i-2"),
    "elasticache subnet position ²": case("elasticache", "CreateCacheSubnetGroup", "CacheSubnetGroupName=g"
                                          "&CacheSubnetGroupDescription=d&SubnetIds.SubnetIdentifier.%C2%B2=s"),
    "elasticache password position ²": case("elasticache", "CreateUser", "UserId=u&UserName=u&Engine=redis&AccessString=on"
                                            "&Passwords.member.%C2%B2=p"),
    # 2. JSON null as a list element or map value
    "dynamodb transaction null": case("dynamodb", "TransactWriteItems", '{"TransactItems": [null]}'),
    "dynamodb get transaction null": case("dynamodb", "TransactGetItems", '{"TransactItems": [null]}'),
    "dynamodb batch get null": case("dynamodb", "BatchGetItem", '{"RequestItems": {"t": null}}'),
    "dynamodb batch write null": case("dynamodb", "BatchWriteItem", '{"RequestItems": {"k": null}}'),
    "dynamodb partiql batch null": case("dynamodb", "BatchExecuteStatement", '{"Statements": [null, null]}'),
    "elbv2 rule priority without a rule": case("elbv2", "SetRulePriorities", "RulePriorities.member.1.Priority=5"),
    "dynamodb global table of no region": case("dynamodb", "CreateGlobalTable", '{"GlobalTableName": "000", "ReplicationGroup": []}'),
    "dynamodb partiql transaction null": case("dynamodb", "ExecuteTransaction", '{"TransactStatements": [null]}'),
    "cloudtrail lookup null": case("cloudtrail", "LookupEvents", '{"LookupAttributes": [null]}'),
    "logs identifiers null": case("logs", "DescribeLogGroups", '{"logGroupIdentifiers": [null]}'),
    "logs query group null": case("logs", "StartQuery", '{"startTime": 1, "endTime": 52, "queryString": "q", '
                                                        '"logGroupNames": [null]}'),
    # 3. page sizes and other integers beyond their type
    "dynamodb limit beyond 64 bits": case("dynamodb", "ListTables", '{"Limit": 99999999999999999999999999}'),
    "logs limit beyond 32 bits": case("logs", "DescribeLogGroups", '{"limit": 4294967296}'),
    "cloudtrail max results beyond 64 bits": case("cloudtrail", "LookupEvents", '{"MaxResults": 18446744073709551616}'),
    "elasticache max records beyond 64 bits": case("elasticache", "DescribeReplicationGroups",
                                                   "MaxRecords=99999999999999999999999"),
    "ec2 max results beyond 64 bits": case("ec2", "DescribeVpcs", "MaxResults=99999999999999999999"),
    # 5. timestamps whose offset takes them out of the calendar (OverflowError)
    "elasticache events from year 10000": case("elasticache", "DescribeEvents", "StartTime=9999-12-31T23:59:59-14:00"),
    "cloudtrail lookup from year 0": case("cloudtrail", "LookupEvents", '{"StartTime": "0001-01-01T00:00:00+14:00"}'),
    # XML that echoed control characters
    "iam pattern error echoing controls": case("iam", "AddRoleToInstanceProfile", Wire(
        "GET", "/", "Action=AddRoleToInstanceProfile&Version=2010-05-08&RoleName=VD&InstanceProfileName=l3&RoleName=%00%01%1B",
        {}, b"")),
    "ec2 invalid value echoing controls": case("ec2", "AcceptAddressTransfer", "Address=a&DryRun=%00%01%1B"),
    "elasticache unknown action echoing controls": case("elasticache", "CompleteMigration", Wire(
        "POST", "/", "", dict(FORM), b"Action=CompleteMigra%00tion&Version=2015-02-02")),
}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_what_fuzzing_found_is_the_services_error(fuzz, name):
    service, operation, wire = FOUND[name]
    found = judge(fuzz, service, operation, wire)
    assert found is None, found


def test_dynamodb_create_table_without_key_schema_is_a_validation_error(fuzz):
    _, sender, _, _ = fuzz
    _, _, wire = case("dynamodb", "CreateTable", json.dumps({"TableName": "tbl", "BillingMode": "PAY_PER_REQUEST"}))
    answer = sender.send("dynamodb", wire)
    assert answer.status == 400, answer.body
    body = json.loads(answer.body)
    assert body["__type"].endswith("ValidationException")
    assert body["message"] == ("2 validation errors detected: Value null at 'attributeDefinitions' failed to satisfy "
                               "constraint: Member must not be null; Value null at 'keySchema' failed to satisfy "
                               "constraint: Member must not be null")


def test_a_form_body_with_a_broken_content_encoding_is_answered_in_the_query_protocol(fuzz):
    _, sender, _, _ = fuzz
    wire = Wire("POST", "/", "", {**FORM, "Content-Encoding": "gzip"}, b"not gzip")
    answer = sender.send("sts", wire)
    assert answer.status == 400 and answer.body.startswith(b"<?xml"), answer.body


def test_control_characters_in_a_name_come_back_as_an_error_boto3_reads(cloud):
    iam = cloud.client("iam", account="123456789012")
    with pytest.raises(ClientError) as caught:
        iam.create_role(RoleName="\x00\x01\x1b", AssumeRolePolicyDocument="{}")
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"].startswith("1 validation error detected: Value '\\u0000\\u0001\\u001b' at 'roleName'")
    elasticache = cloud.client("elasticache", account="123456789012")
    with pytest.raises(ClientError) as caught:
        elasticache.describe_cache_clusters(CacheClusterId="\x00\x01\x1b")
    assert caught.value.response["Error"]["Code"] == "CacheClusterNotFound"
    assert "\\u0000\\u0001\\u001b" in caught.value.response["Error"]["Message"]
