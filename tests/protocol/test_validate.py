"""validate.py: AWS's constraint messages, checked against the real models' shapes; plus the
shared scalar conversions (values.py) and modeled-error lookup (errors.py) it sits beside."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regionbox.core.errors import ServiceError
from regionbox.protocol import values
from regionbox.protocol.http import HttpRequest
from regionbox.protocol.errors import error_spec
from regionbox.protocol.specs import service_model
from regionbox.protocol.validate import (compile_pattern, java_string, validate,
                                         violations)


def input_of(service: str, operation: str):
    return service_model(service).operation_model(operation).input_shape


def message_of(shape, params, code="ValidationException") -> str:
    with pytest.raises(ServiceError) as caught:
        validate(shape, params, code)
    assert caught.value.code == code and caught.value.status == 400
    return caught.value.message


def test_required_member():
    assert message_of(input_of("dynamodb", "GetItem"), {"Key": {}}) == (
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")


def test_several_errors_are_counted_and_joined():
    message = message_of(input_of("logs", "PutRetentionPolicy"), {"logGroupName": "", "retentionInDays": 0})
    assert message.startswith("1 validation error detected: ") or message.startswith("2 validation errors detected: ")
    assert "Value '' at 'logGroupName' failed to satisfy constraint: Member must have length greater than or equal to 1" in message


def test_length_range_enum_and_pattern():
    shape = input_of("dynamodb", "Query")
    message = message_of(shape, {"TableName": "", "Limit": 0, "Select": "EVERYTHING"})
    assert message.startswith("3 validation errors detected: ")
    assert "Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1" in message
    assert "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1" in message
    assert ("Value 'EVERYTHING' at 'select' failed to satisfy constraint: Member must satisfy enum value set: "
            "[ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, SPECIFIC_ATTRIBUTES, COUNT]") in message
    assert "Member must have length less than or equal to 1024" in message_of(shape, {"TableName": "a" * 1025})
    lambda_tags = input_of("lambda", "TagResource")
    message = message_of(lambda_tags, {"Resource": "function-f", "Tags": {}})
    assert message.startswith("1 validation error detected: Value 'function-f' at 'resource' failed to satisfy constraint: "
                              "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:")


def test_nested_paths_use_java_names_and_one_based_indexes():
    shape = input_of("dynamodb", "CreateTable")
    params = {"TableName": "t", "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
              "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}, {"KeyType": "RANGE"}]}
    assert message_of(shape, params) == ("1 validation error detected: Value null at 'keySchema.2.member.attributeName' "
                                         "failed to satisfy constraint: Member must not be null")


def test_list_length_and_map_keys():
    shape = input_of("logs", "CreateLogGroup")
    message = message_of(shape, {"logGroupName": "g", "tags": {"": "v"}})
    assert ("Value at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: "
            "[Member must have length greater than or equal to 1]") in message


def test_sensitive_values_are_not_echoed():
    shape = input_of("lambda", "UpdateFunctionConfiguration")
    message = message_of(shape, {"FunctionName": "f", "Environment": {"Variables": {"1bad": "secret"}}})
    assert "secret" not in message and "1bad" not in message
    assert "at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: " in message


def test_values_print_as_java_does():
    assert java_string(b"abc") == "java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]"
    assert java_string(["a", 1, True, None]) == "[a, 1, true, null]"
    assert java_string({"k": 2.0}) == "{k=2.0}"


def test_wrong_python_types_are_reported():
    problems = violations(input_of("dynamodb", "GetItem"), {"TableName": 5, "Key": {}})
    assert problems == ["Value '5' at 'tableName' failed to satisfy constraint: Member must be of type string"]


def test_patterns_python_cannot_read_like_java_are_not_enforced():
    assert compile_pattern(r"[\p{L}\p{Z}]+") is None
    assert compile_pattern(r"[a-z&&[^b]]+") is None
    assert compile_pattern(r"\d+").fullmatch("١٢") is None  # Java's \d is ASCII


def test_a_service_declares_its_validation_code_in_its_dialect():
    from regionbox.protocol import parser_for
    from regionbox.protocol.dialect import Dialect

    model = service_model("dynamodb")
    request = HttpRequest("POST", "/", "", {"x-amz-target": "DynamoDB_20120810.GetItem"}, b'{"TableName": "", "Key": {}}')
    for dialect, code in ((Dialect(), "ValidationException"), (Dialect(validation_code="InvalidParameterException"),
                                                               "InvalidParameterException")):
        with pytest.raises(ServiceError) as caught:
            parser_for(model, "json", dialect).parse(request)
        assert caught.value.code == code


# --- values.py -------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)).map(
    lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000, tzinfo=timezone.utc)))
def test_timestamps_round_trip_in_every_format(moment):
    assert values.parse_timestamp(values.format_timestamp(moment, "iso8601")) == moment
    assert values.parse_timestamp(values.format_timestamp(moment, "unixTimestamp")) == moment
    assert values.parse_timestamp(values.format_timestamp(moment, "rfc822")) == moment.replace(microsecond=0)


def test_timestamp_inputs_providers_may_give():
    expected = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    for given_value in (expected, expected.replace(tzinfo=None), 1704164645, 1704164645.0, "2024-01-02T03:04:05Z",
                        "2024-01-02T03:04:05.000+00:00", "Tue, 02 Jan 2024 03:04:05 GMT", "1704164645"):
        assert values.to_datetime(given_value) == expected
    assert values.format_timestamp(expected, "unixTimestamp") == 1704164645
    assert values.format_timestamp(expected.replace(microsecond=123000), "unixTimestamp") == 1704164645.123
    assert values.format_timestamp(expected, "iso8601") == "2024-01-02T03:04:05Z"
    assert values.format_timestamp(expected, "rfc822") == "Tue, 02 Jan 2024 03:04:05 GMT"
    for bad in ("yesterday", "", None, True, float("nan"), [1]):
        with pytest.raises(ValueError):
            values.to_datetime(bad)


def test_blobs_and_numbers():
    assert values.b64decode(values.b64encode(b"\x00\xff")) == b"\x00\xff"
    assert values.b64decode("AA") == b"\x00"  # missing padding tolerated
    for bad in ("***", "é"):
        with pytest.raises(ValueError):
            values.b64decode(bad)
    assert values.to_int(" 42 ") == 42 and values.to_float("Infinity") == float("inf")
    assert values.to_bool("TRUE") is True and values.format_float(float("-inf")) == "-Infinity"
    for bad in ("4.2", "x", ""):
        with pytest.raises(ValueError):
            values.to_int(bad)
    assert values.format_float_text(1.5) == "1.5" and values.format_float_text(3) == "3"


# --- errors.py -------------------------------------------------------------------------------

def test_error_lookup_by_shape_name_and_by_query_code():
    cloudwatch = service_model("cloudwatch")
    by_name = error_spec(cloudwatch, ServiceError("DashboardNotFoundError", "gone"))
    by_code = error_spec(cloudwatch, ServiceError("InvalidParameterInput", "bad"))
    assert (by_name.type_name, by_name.code, by_name.status, by_name.fault) == ("DashboardNotFoundError", "ResourceNotFound", 404, "Sender")
    assert (by_code.type_name, by_code.code) == ("DashboardInvalidInputError", "InvalidParameterInput")


def test_error_extra_fields_and_unmodeled_codes():
    dynamodb = service_model("dynamodb")
    reasons = [{"Code": "ConditionalCheckFailed"}]
    spec = error_spec(dynamodb, ServiceError("TransactionCanceledException", "cancelled", CancellationReasons=reasons, Junk=1))
    assert spec.extra_fields == {"CancellationReasons": reasons} and spec.message_key == "Message"
    unmodeled = error_spec(dynamodb, ServiceError("UnrecognizedClientException", "who?", status=403))
    assert (unmodeled.shape, unmodeled.type_name, unmodeled.status) == (None, "UnrecognizedClientException", 403)
    internal = error_spec(dynamodb, ServiceError("InternalServerError", "oops"))
    assert (internal.sender_fault, internal.status) == (False, 500)


def test_a_pattern_that_only_refuses_line_breaks_is_not_enforced():
    """AppSync's mapping templates and code carry ``^.*$`` and are multi-line on AWS."""
    assert compile_pattern("^.*$") is None
    shape = service_model("appsync").operation_model("CreateResolver").input_shape
    validate(shape, {"apiId": "a", "typeName": "Query", "fieldName": "f", "requestMappingTemplate": "{\n}\n"})
