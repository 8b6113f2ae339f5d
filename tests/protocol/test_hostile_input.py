"""Input that used to reach handlers as values they cannot take (or crash the parser): list
positions Python's ``int()`` rejects or misreads, nulls inside lists and maps, integers beyond
their type, and XML that echoes characters XML cannot carry. Each is the service's own error now,
raised by the protocol layer. (The fuzz run that found them: tests/gateway/test_fuzz.py.)"""

from __future__ import annotations

import tracemalloc
from datetime import datetime, timezone

import cbor2
import pytest
from botocore.model import ShapeResolver, StructureShape

from regionbox.core.errors import ServiceError
from regionbox.protocol import parser_for, serializer_for, values
from regionbox.protocol.http import HttpRequest
from regionbox.protocol.specs import service_model
from regionbox.protocol.validate import validate
from tests.protocol.botocore_wire import botocore_parse
from tests.protocol.dialects import dialect_of

FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}


def parser(service: str, protocol: str | None = None):
    model = service_model(service)
    return parser_for(model, protocol or model.metadata["protocol"], dialect_of(service))


def parse_form(service: str, body: str) -> dict:
    return parser(service).parse(HttpRequest("POST", "/", "", dict(FORM), body.encode()))[1]


def form_error(service: str, body: str) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        parse_form(service, body)
    return caught.value


JSON_TARGETS = {"dynamodb": ("DynamoDB_20120810", "application/x-amz-json-1.0"),
                "logs": ("Logs_20140328", "application/x-amz-json-1.1"),
                "cloudtrail": ("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", "application/x-amz-json-1.1")}


def parse_json(service: str, operation: str, body: bytes | str) -> dict:
    prefix, content_type = JSON_TARGETS[service]
    body = body.encode() if isinstance(body, str) else body
    request = HttpRequest("POST", "/", "", {"x-amz-target": f"{prefix}.{operation}", "content-type": content_type}, body)
    return parser(service).parse(request)[1]


def json_error(service: str, operation: str, body: bytes | str) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        parse_json(service, operation, body)
    return caught.value


# --- 1. list positions: only ASCII digits of a sane length -----------------------------------------

TAG_ROLE = "Action=TagRole&Version=2010-05-08&RoleName=r&Tags.member.1.Key=a&Tags.member.1.Value=b"


@pytest.mark.parametrize("index", ["²", "١", "𝟙", "1" * 5000, "99999999999", "0x1", "", "-1", "+1"])
def test_query_list_position_that_is_not_ascii_digits_is_an_unknown_parameter(index):
    # IAM, STS, ElastiCache ignore parameters they do not know: the stray item is not a tag.
    params = parse_form("iam", f"{TAG_ROLE}&Tags.member.{index}.Key=c&Tags.member.{index}.Value=d")
    assert params["Tags"] == [{"Key": "a", "Value": "b"}]


def test_a_digit_of_another_script_is_not_read_as_a_number():
    # int("١") is 1: the Arabic-Indic one must not become a second first tag, nor overwrite it.
    params = parse_form("iam", f"{TAG_ROLE}&Tags.member.١.Key=c&Tags.member.١.Value=d&Tags.member.2.Key=e&Tags.member.2.Value=f")
    assert params["Tags"] == [{"Key": "a", "Value": "b"}, {"Key": "e", "Value": "f"}]


def test_only_stray_positions_leave_a_list_empty():
    params = parse_form("iam", "Action=TagRole&Version=2010-05-08&RoleName=r&Tags.member.².Key=a&Tags.member.².Value=b")
    assert params["Tags"] == []


@pytest.mark.parametrize("service, body", [
    ("sts", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s"
            "&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.%s.Key=x"),
    ("elasticache", "Action=CreateCacheSubnetGroup&Version=2015-02-02&CacheSubnetGroupName=g"
                    "&CacheSubnetGroupDescription=d&SubnetIds.SubnetIdentifier.%s=s"),
])
@pytest.mark.parametrize("index", ["²", "1" * 5000])
def test_every_query_service_reads_list_positions_the_same_way(service, body, index):
    try:
        parse_form(service, body % index)
    except ServiceError as error:
        assert error.status == 400


@pytest.mark.parametrize("index", ["²", "١", "1" * 5000, "4294967296", "x"])
def test_ec2_refuses_a_list_position_it_cannot_read_as_an_unknown_parameter(index):
    error = form_error("ec2", f"Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=n&Filter.{index}.Value.1=v")
    assert (error.code, error.status) == ("UnknownParameter", 400)
    assert error.message == f"The parameter Filter.{index}.Value.1 is not recognized"
    error = form_error("ec2", f"Action=DescribeVpcs&Version=2016-11-15&VpcId.{index}=vpc-1")
    assert error.message == f"The parameter VpcId.{index} is not recognized"


def test_ec2_still_reads_ordinary_positions_in_numeric_order():
    params = parse_form("ec2", "Action=DescribeVpcs&Version=2016-11-15&VpcId.10=c&VpcId.2=b&VpcId.1=a")
    assert params["VpcIds"] == ["a", "b", "c"]


# --- 2. null list elements and map values -----------------------------------------------------------

@pytest.mark.parametrize("service, operation, body, message", [
    ("dynamodb", "TransactWriteItems", '{"TransactItems": [null]}',
     "1 validation error detected: Value null at 'transactItems.1.member' failed to satisfy constraint: Member must not be null"),
    ("dynamodb", "TransactGetItems", '{"TransactItems": [{"Get": {"TableName": "t", "Key": {"k": {"S": "v"}}}}, null]}',
     "1 validation error detected: Value null at 'transactItems.2.member' failed to satisfy constraint: Member must not be null"),
    ("dynamodb", "BatchGetItem", '{"RequestItems": {"t": null}}',
     "1 validation error detected: Value null at 'requestItems.t.member' failed to satisfy constraint: Member must not be null"),
    ("dynamodb", "BatchWriteItem", '{"RequestItems": {"t": [null]}}',
     "1 validation error detected: Value null at 'requestItems.t.member.1.member' failed to satisfy constraint: "
     "Member must not be null"),
    ("dynamodb", "BatchExecuteStatement", '{"Statements": [null, null]}',
     "2 validation errors detected: Value null at 'statements.1.member' failed to satisfy constraint: Member must not be "
     "null; Value null at 'statements.2.member' failed to satisfy constraint: Member must not be null"),
    ("dynamodb", "ExecuteTransaction", '{"TransactStatements": [null]}',
     "1 validation error detected: Value null at 'transactStatements.1.member' failed to satisfy constraint: "
     "Member must not be null"),
    ("dynamodb", "PutItem", '{"TableName": "t", "Item": {"k": null}}',
     "1 validation error detected: Value null at 'item.k.member' failed to satisfy constraint: Member must not be null"),
    ("cloudtrail", "LookupEvents", '{"LookupAttributes": [null]}',
     "1 validation error detected: Value null at 'lookupAttributes.1.member' failed to satisfy constraint: "
     "Member must not be null"),
    ("logs", "DescribeLogGroups", '{"logGroupIdentifiers": [null]}',
     "1 validation error detected: Value null at 'logGroupIdentifiers.1.member' failed to satisfy constraint: "
     "Member must not be null"),
])
def test_null_in_a_list_or_map_is_a_validation_error(service, operation, body, message):
    error = json_error(service, operation, body)
    assert error.status == 400
    assert error.code == ("InvalidParameterException" if service == "logs" else "ValidationException")
    assert error.message == message


def test_sparse_collections_may_hold_nulls():
    model = service_model("rds-data")  # ArrayOfArray is the model's one sparse list
    sparse = model.shape_for("ArrayOfArray")
    holder = StructureShape("Holder", {"type": "structure", "members": {"Values": {"shape": "ArrayOfArray"}}},
                   ShapeResolver(model._shape_resolver._shape_map))
    validate(holder, {"Values": [None, {"longValues": [1]}]})
    assert sparse.type_name == "list"


def test_a_query_list_item_without_a_value_is_missing_for_the_legacy_dialects():
    # ElastiCache checks only presence: an item named without a value is a missing parameter.
    error = form_error("elasticache", "Action=CreateCacheSubnetGroup&Version=2015-02-02&CacheSubnetGroupName=g"
                                      "&CacheSubnetGroupDescription=d&SubnetIds.SubnetIdentifier.1.Stray=s")
    assert (error.code, error.status) == ("InvalidParameterValue", 400)
    assert error.message == "The parameter SubnetIds.SubnetIdentifier.1 must be provided and must not be null."


# --- 3. integers beyond their type --------------------------------------------------------------------

@pytest.mark.parametrize("literal, shown", [("2147483648", "2147483648"), ("-2147483649", "-2147483649"),
                                            ("99999999999999999999999999", "1e+26"), ("18446744073709551615", "18446744073709551615")])
def test_json_integer_beyond_32_bits_is_a_serialization_error(literal, shown):
    error = json_error("dynamodb", "ListTables", '{"Limit": %s}' % literal)
    assert (error.code, error.status) == ("SerializationException", 400)
    assert error.message == f"Numeric value ({shown}) out of range of int (-2147483648 - 2147483647)"


def test_json_long_beyond_64_bits_is_a_serialization_error():
    body = '{"logGroupName": "g", "logStreamName": "s", "startTime": %s}'
    assert parse_json("logs", "GetLogEvents", body % (2**63 - 1))["startTime"] == 2**63 - 1
    for literal in (str(2**63), str(2**64), "1" + "0" * 30, "-" + "9" * 25):
        error = json_error("logs", "GetLogEvents", body % literal)
        assert error.code == "SerializationException"
        assert "out of range of long (-9223372036854775808 - 9223372036854775807)" in error.message


def test_negative_page_sizes_get_the_models_minimum():
    error = json_error("dynamodb", "ListTables", '{"Limit": -1}')
    assert error.message == ("1 validation error detected: Value '-1' at 'limit' failed to satisfy constraint: "
                             "Member must have value greater than or equal to 1")


def test_cbor_bignum_is_a_serialization_error():
    request = HttpRequest("POST", "/service/GraniteServiceVersion20100801/operation/DescribeAlarms", "",
                          {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"},
                          cbor2.dumps({"MaxRecords": 2**100}))
    with pytest.raises(ServiceError) as caught:
        parser("cloudwatch", "smithy-rpc-v2-cbor").parse(request)
    assert caught.value.code == "SerializationException" and "out of range of int" in caught.value.message
    request.body = cbor2.dumps({"MaxRecords": 2**40000})  # more digits than Python prints
    with pytest.raises(ServiceError) as caught:
        parser("cloudwatch", "smithy-rpc-v2-cbor").parse(request)
    assert caught.value.code == "SerializationException"


@pytest.mark.parametrize("text", ["99999999999999999999", "2147483648", "-2147483649", "١٢", "²", "1" * 5000, "1_000", "0x10"])
def test_query_integer_the_type_cannot_hold_is_the_dialects_error(text):
    error = form_error("iam", f"Action=ListRoles&Version=2010-05-08&MaxItems={text}")
    assert (error.code, error.status) == ("ValidationError", 400)
    assert "at 'maxItems' failed to satisfy constraint: Member must be of type integer" in error.message
    legacy = form_error("elasticache", f"Action=DescribeCacheClusters&Version=2015-02-02&MaxRecords={text}")
    assert (legacy.code, legacy.status) == ("InvalidParameterValue", 400)
    assert legacy.message.endswith("for parameter MaxRecords is invalid.")
    ec2 = form_error("ec2", f"Action=DescribeVpcs&Version=2016-11-15&MaxResults={text}")
    assert (ec2.code, ec2.status) == ("InvalidParameterValue", 400)


def test_integer_text_reads_ascii_digits_within_the_type():
    assert values.to_int(" 42 ") == 42 and values.to_int("+7") == 7 and values.to_int("-0") == 0
    assert values.to_int(str(2**63 - 1), "long") == 2**63 - 1
    assert values.to_int("123456789012345678901234567890", "biginteger") == 123456789012345678901234567890
    for text, kind in [(str(2**31), "integer"), (str(2**63), "long"), ("٣", "long"), ("+-1", "long"), ("", "long")]:
        with pytest.raises(ValueError):
            values.to_int(text, kind)


def test_json_bodies_refuse_lone_surrogates_and_deep_nesting():
    assert json_error("dynamodb", "ListTables", b'{"ExclusiveStartTableName": "\\ud800"}').code == "SerializationException"
    assert json_error("dynamodb", "ListTables", b"[" * 100_000).code == "SerializationException"
    deep = '{"TableName": "t", "Item": {"k": ' + '{"M": {"k": ' * 2000 + '{"S": "x"}' + "}}" * 2000 + "}}"
    assert json_error("dynamodb", "PutItem", deep).code == "SerializationException"


# --- XML that echoes what XML cannot carry ---------------------------------------------------------------

@pytest.mark.parametrize("service", ["iam", "elasticache", "ec2"])
def test_xml_error_echoing_control_characters_and_lone_surrogates_parses_in_botocore(service):
    model = service_model(service)
    protocol = model.metadata["protocol"]
    serializer = serializer_for(model, protocol, dialect_of(service))
    operation = model.operation_model(model.operation_names[0])
    message = "Value '\x00\x01\x1b\ud800\ufffe' at 'name' failed; tab\tand newline\n stay"
    response = serializer.serialize_error(operation, ServiceError("ValidationError", message), "rid")
    parsed = botocore_parse(protocol, operation, response)
    assert parsed["Error"]["Message"] == ("Value '\\u0000\\u0001\\u001b\\ud800\\ufffe' at 'name' failed; "
                                          "tab\tand newline\n stay")


def test_xml_output_values_with_control_characters_parse_in_botocore():
    model = service_model("iam")
    operation = model.operation_model("GetRole")
    serializer = serializer_for(model, "query", dialect_of("iam"))
    role = {"Path": "/", "RoleName": "r\x07", "RoleId": "AROA", "Arn": "arn:aws:iam::1:role/r",
            "CreateDate": datetime(2024, 1, 1, tzinfo=timezone.utc), "Description": "bell\x07 and \x1b"}
    parsed = botocore_parse("query", operation, serializer.serialize_response(operation, {"Role": role}, "rid"))
    assert parsed["Role"]["Description"] == "bell\\u0007 and \\u001b"


# --- timestamps at the edges of the calendar ---------------------------------------------------------------

EDGES = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "Fri, 31 Dec 9999 23:59:59 -1400"]


@pytest.mark.parametrize("text", EDGES)
def test_a_timestamp_whose_offset_leaves_the_calendar_is_invalid_input(text):
    # In UTC these are in year 10000 or year 0: astimezone() raised OverflowError, a 500.
    with pytest.raises(ValueError):
        values.to_datetime(text)
    legacy = form_error("elasticache", f"Action=DescribeEvents&Version=2015-02-02&StartTime={text}")
    assert (legacy.code, legacy.status) == ("InvalidParameterValue", 400)
    error = json_error("cloudtrail", "LookupEvents", '{"StartTime": "%s"}' % text)
    assert (error.code, error.status) == ("SerializationException", 400)


def test_timestamps_with_offsets_inside_the_calendar_are_read_in_utc():
    assert values.to_datetime("2024-01-02T03:04:05+09:00") == datetime(2024, 1, 1, 18, 4, 5, tzinfo=timezone.utc)
    assert values.to_datetime("9999-12-31T23:59:59+01:00").year == 9999


# --- keys that name nothing cost nothing ----------------------------------------------------------------

@pytest.mark.parametrize("junk", [
    "Tags." + ".".join(["A"] * 1_000_000) + "=1",       # one key a million segments deep (2 MB)
    "&".join(f"k{i}=" for i in range(150_000)),         # 150,000 parameters no model has (1.2 MB)
])
def test_query_keys_that_name_no_member_are_not_held(junk):
    # Each dotted segment used to become a node (a 2 MB key took 256 MB and seconds) and every
    # pair was kept before the operation was even known.
    tracemalloc.start()
    try:
        params = parse_form("iam", f"Action=ListRoles&Version=2010-05-08&MaxItems=5&{junk}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert params == {"MaxItems": 5}
    assert peak < 25_000_000, f"{peak / 1e6:.0f} MB"  # was 265 MB and 55 MB


def test_malformed_escapes_anywhere_are_still_refused():
    assert form_error("iam", "Action=ListRoles&Version=2010-05-08&Unknown=%FF%FE").code == "MalformedQueryString"
