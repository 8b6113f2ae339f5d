"""Legacy parameters become the same Condition / Update / KeyCondition / Projection objects."""

from __future__ import annotations

import pytest

from regionbox.core.errors import InvalidInput, ServiceError
from regionbox.services.dynamodb import legacy
from regionbox.services.dynamodb.expressions import compile_request

S = lambda s: {"S": s}  # noqa: E731
N = lambda n: {"N": str(n)}  # noqa: E731

ITEM = {"pk": S("k"), "age": N(36), "name": S("Ada"), "tags": {"SS": ["a", "b"]}, "bin": {"B": b"\x01\x02"},
        "nums": {"NS": ["1", "2"]}, "lst": {"L": [S("x")]}}


def error(fn, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, InvalidInput)  # answered as ValidationException (the gateway fills the code in)
    return info.value.message


def op(operator, *values):
    return {"ComparisonOperator": operator, "AttributeValueList": list(values)}


# -- Expected -------------------------------------------------------------------------------------
def test_expected_value_and_exists():
    assert legacy.expected_condition({"age": {"Value": N(36)}}).evaluate(ITEM)
    assert legacy.expected_condition({"age": {"Value": N("36.0"), "Exists": True}}).evaluate(ITEM)
    assert not legacy.expected_condition({"age": {"Value": N(1)}}).evaluate(ITEM)
    assert legacy.expected_condition({"nope": {"Exists": False}}).evaluate(ITEM)
    assert not legacy.expected_condition({"age": {"Exists": False}}).evaluate(ITEM)
    assert legacy.expected_condition({"pk": {"Exists": False}}).evaluate(None)  # no item yet


def test_expected_conditional_operator():
    expected = {"age": {"Value": N(1)}, "name": {"Value": S("Ada")}}
    assert not legacy.expected_condition(expected).evaluate(ITEM)
    assert not legacy.expected_condition(expected, "AND").evaluate(ITEM)
    assert legacy.expected_condition(expected, "OR").evaluate(ITEM)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ({"Exists": True}, "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: age"),
        ({"Exists": False, "Value": N(1)}, "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: age"),
        ({"Value": N(1), "AttributeValueList": [N(1)], "ComparisonOperator": "EQ"},
         "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: age"),
        ({"Exists": True, "ComparisonOperator": "EQ", "AttributeValueList": [N(1)]},
         "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: age"),
        ({"AttributeValueList": [N(1)]},
         "One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: age"),
        ({"ComparisonOperator": "EQ"}, "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: age"),
        ({"ComparisonOperator": "EQ", "AttributeValueList": []}, "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"),
        ({}, "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: age"),
        ({"ComparisonOperator": "IN", "AttributeValueList": [N(1), S("a")]},
         "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"),
        ({"ComparisonOperator": "NULL", "AttributeValueList": [N(1)]},
         "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator"),
        ({"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(5), N(1)]},
         "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"),
        ({"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(1), S("5")]},
         "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"),
        ({"ComparisonOperator": "IN", "AttributeValueList": []},
         "One or more parameter values were invalid: Invalid number of argument(s) for the IN ComparisonOperator"),
        ({"ComparisonOperator": "LIKE", "AttributeValueList": [S("a")]},
         "1 validation error detected: Value 'LIKE' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy "
         "enum value set: [BEGINS_WITH, BETWEEN, CONTAINS, EQ, GE, GT, IN, LE, LT, NE, NOT_CONTAINS, NOT_NULL, NULL]"),
        ({"Value": {"SS": []}}, "One or more parameter values were invalid: An string set  may not be empty"),
    ],
)
def test_expected_errors(spec, expected):
    assert error(legacy.expected_condition, {"age": spec}) == expected


# -- comparison operators (Expected and filters share them) ------------------------------------------
@pytest.mark.parametrize(
    "name, spec, expected",
    [
        ("age", op("EQ", N(36)), True), ("age", op("EQ", S("36")), False), ("tags", op("EQ", {"SS": ["b", "a"]}), True),
        ("age", op("NE", N(1)), True), ("nope", op("NE", N(1)), True), ("age", op("NE", N(36)), False),
        ("age", op("LT", N(37)), True), ("age", op("LE", N(36)), True), ("age", op("GT", N(36)), False),
        ("age", op("GE", N(36)), True), ("name", op("GT", S("A")), True), ("name", op("GT", N(1)), False),
        ("age", op("NOT_NULL"), True), ("nope", op("NOT_NULL"), False), ("nope", op("NULL"), True), ("age", op("NULL"), False),
        ("name", op("CONTAINS", S("d")), True), ("tags", op("CONTAINS", S("a")), True), ("tags", op("CONTAINS", S("z")), False),
        ("nums", op("CONTAINS", N("2.0")), True), ("bin", op("CONTAINS", {"B": b"\x02"}), True),
        ("lst", op("CONTAINS", S("x")), True), ("nope", op("CONTAINS", S("x")), False),
        ("tags", op("NOT_CONTAINS", S("z")), True), ("tags", op("NOT_CONTAINS", S("a")), False), ("nope", op("NOT_CONTAINS", S("a")), False),
        ("name", op("BEGINS_WITH", S("Ad")), True), ("name", op("BEGINS_WITH", S("d")), False), ("bin", op("BEGINS_WITH", {"B": b"\x01"}), True),
        ("age", op("IN", N(1), N(36)), True), ("age", op("IN", N(1)), False),
        ("age", op("BETWEEN", N(30), N(40)), True), ("age", op("BETWEEN", N(37), N(40)), False), ("name", op("BETWEEN", N(1), N(2)), False),
    ],
)
def test_comparison_operators(name, spec, expected):
    assert legacy.expected_condition({name: spec}).evaluate(ITEM) is expected
    assert legacy.filter_condition({name: spec}).evaluate(ITEM) is expected


@pytest.mark.parametrize(
    "spec, expected",
    [
        (op("GT", {"SS": ["a"]}), "One or more parameter values were invalid: ComparisonOperator GT is not valid for SS AttributeValue type"),
        (op("BEGINS_WITH", N(1)), "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"),
        (op("EQ", {"L": []}), "One or more parameter values were invalid: ComparisonOperator EQ is not valid for L AttributeValue type"),
        (op("NOT_NULL", N(1)), "One or more parameter values were invalid: Invalid number of argument(s) for the NOT_NULL ComparisonOperator"),
    ],
)
def test_filter_operand_types(spec, expected):
    assert error(legacy.filter_condition, {"age": spec}) == expected


def test_expected_does_not_check_operand_types():
    # Expected compares whatever it is given; a value of another type simply does not match.
    assert not legacy.expected_condition({"age": op("GT", {"SS": ["a"]})}).evaluate(ITEM)


def test_filters():
    condition = legacy.filter_condition({"age": op("GT", N(1)), "name": op("EQ", S("Bob"))}, "OR", "ScanFilter")
    assert condition.evaluate(ITEM)
    assert not legacy.filter_condition({"age": op("GT", N(1)), "name": op("EQ", S("Bob"))}).evaluate(ITEM)
    assert error(legacy.filter_condition, {"pk": op("EQ", S("k"))}, None, "QueryFilter", ("pk",)) == (
        "QueryFilter can only contain non-primary key attributes: Primary key attribute: pk"
    )
    assert error(legacy.filter_condition, {"age": op("GT", N(1))}, "XOR").startswith("1 validation error detected")


# -- AttributeUpdates -------------------------------------------------------------------------------
def test_attribute_updates_put_add_delete():
    update = legacy.attribute_updates({
        "name": {"Action": "PUT", "Value": S("Bob")},
        "age": {"Action": "ADD", "Value": N(-6)},
        "tags": {"Action": "DELETE", "Value": {"SS": ["a"]}},
        "nums": {"Action": "ADD", "Value": {"NS": ["3"]}},
        "lst": {"Action": "ADD", "Value": {"L": [S("y")]}},
        "bin": {"Action": "DELETE"},
        "fresh": {"Value": N(1)},  # PUT is the default action
        "counter": {"Action": "ADD", "Value": N(1)},
    }, key_names=("pk",))
    new = update.apply(ITEM)
    assert new["name"] == S("Bob") and new["age"] == N(30) and new["tags"] == {"SS": ["b"]}
    assert sorted(new["nums"]["NS"]) == ["1", "2", "3"] and new["lst"] == {"L": [S("x"), S("y")]}
    assert "bin" not in new and new["fresh"] == N(1) and new["counter"] == N(1)
    assert update.updated_old(ITEM)["age"] == N(36) and update.updated_new(new)["age"] == N(30)
    assert "bin" not in update.updated_new(new) and update.updated_old(ITEM)["bin"] == {"B": b"\x01\x02"}


@pytest.mark.parametrize(
    "updates, expected",
    [
        ({"pk": {"Value": S("x")}}, "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"),
        ({"a": {"Action": "PUT"}}, "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"),
        ({"a": {"Action": "ADD", "Value": S("x")}}, "One or more parameter values were invalid: ADD action is not supported for the type S"),
        ({"a": {"Action": "DELETE", "Value": N(1)}}, "One or more parameter values were invalid: DELETE action with value is not supported for the type N"),
        ({"a": {"Action": "ADD", "Value": {"NS": []}}}, "One or more parameter values were invalid: An number set  may not be empty"),
    ],
)
def test_attribute_updates_errors(updates, expected):
    assert error(legacy.attribute_updates, updates, ("pk",)) == expected


def test_attribute_updates_type_mismatch_at_apply():
    update = legacy.attribute_updates({"name": {"Action": "ADD", "Value": N(1)}})
    assert error(update.apply, ITEM) == "An operand in the update expression has an incorrect data type"


# -- KeyConditions, AttributesToGet -------------------------------------------------------------------
SCHEMA = [("pk", "S"), ("sk", "N")]


def test_key_conditions():
    kc = legacy.key_conditions({"pk": op("EQ", S("k")), "sk": op("BETWEEN", N(1), N(5))}, SCHEMA)
    assert kc.hash_value == S("k") and kc.op == "BETWEEN" and kc.matches({"pk": S("k"), "sk": N(3)})
    kc = legacy.key_conditions({"pk": op("EQ", S("k")), "sk": op("GE", N(2))}, SCHEMA)
    assert kc.op == ">=" and not kc.matches({"pk": S("k"), "sk": N(1)})
    kc = legacy.key_conditions({"pk": op("EQ", S("k")), "s": op("BEGINS_WITH", S("ab"))}, [("pk", "S"), ("s", "S")])
    assert kc.op == "begins_with" and kc.matches({"pk": S("k"), "s": S("abc")})
    assert legacy.key_conditions({"pk": op("EQ", S("k"))}, SCHEMA).op is None


@pytest.mark.parametrize(
    "conditions, expected",
    [
        ({"sk": op("EQ", N(1))}, "Query condition missed key schema element: pk"),
        ({"pk": op("GT", S("k"))}, "Query key condition not supported"),
        ({"pk": op("EQ", S("k")), "sk": op("NE", N(1))}, "Attempted conditional constraint is not an indexable operation"),
        ({"pk": op("EQ", S("k")), "sk": op("IN", N(1))}, "Attempted conditional constraint is not an indexable operation"),
        ({"pk": op("EQ", N(1))}, "One or more parameter values were invalid: Condition parameter type does not match schema type"),
        ({"pk": op("EQ", S("k")), "sk": op("EQ", N(1)), "x": op("EQ", N(1))}, "Conditions can be of length 1 or 2 only"),
        ({"pk": op("EQ", S("k")), "x": op("EQ", N(1))}, "Query condition missed key schema element: sk"),
        ({"pk": op("BEGINS_WITH", S("k"))}, "Query key condition not supported"),
    ],
)
def test_key_conditions_errors(conditions, expected):
    assert error(legacy.key_conditions, conditions, SCHEMA) == expected


def test_attributes_to_get():
    projection = legacy.attributes_to_get(["age", "nope", "name"])
    assert projection.apply(ITEM) == {"age": N(36), "name": S("Ada")}
    assert error(legacy.attributes_to_get, ["a", "a"]) == "One or more parameter values were invalid: Duplicate value in attribute name: a"


# -- through compile_request -----------------------------------------------------------------------
def test_compile_request_with_legacy_parameters():
    exprs = compile_request({
        "Expected": {"age": {"ComparisonOperator": "GT", "AttributeValueList": [N(1)]}, "nope": {"Exists": False}},
        "ConditionalOperator": "AND",
        "AttributeUpdates": {"age": {"Action": "ADD", "Value": N(1)}},
    }, key_schema=[("pk", "S")])
    assert exprs.condition.evaluate(ITEM) and exprs.update.apply(ITEM)["age"] == N(37)
    exprs = compile_request({"KeyConditions": {"pk": op("EQ", S("k"))}, "QueryFilter": {"age": op("GT", N(1))},
                             "AttributesToGet": ["age"]}, key_schema=[("pk", "S")])
    assert exprs.key_condition.hash_value == S("k") and exprs.filter.evaluate(ITEM) and exprs.projection.apply(ITEM) == {"age": N(36)}
    exprs = compile_request({"ScanFilter": {"age": op("GT", N(100))}})
    assert not exprs.filter.evaluate(ITEM)


def test_key_conditions_go_with_filter_expressions():
    exprs = compile_request({"KeyConditions": {"pk": op("EQ", S("k"))}, "FilterExpression": "age > :n",
                             "ExpressionAttributeValues": {":n": N(1)}}, key_schema=[("pk", "S")])
    assert exprs.key_condition.hash_value == S("k") and exprs.filter.evaluate(ITEM)


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"Expected": {}, "ConditionExpression": "a = :v"}, "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"),
        ({"AttributeUpdates": {}, "UpdateExpression": "SET a = :v"}, "Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"),
        ({"KeyConditions": {}, "KeyConditionExpression": "pk = :v"}, "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}"),
        ({"QueryFilter": {}, "FilterExpression": "a = :v"}, "Non-expression parameters: {QueryFilter} Expression parameters: {FilterExpression}"),
        ({"ScanFilter": {}, "ConditionalOperator": "OR", "FilterExpression": "a = :v"},
         "Non-expression parameters: {ScanFilter, ConditionalOperator} Expression parameters: {FilterExpression}"),
        ({"AttributesToGet": ["a"], "ProjectionExpression": "a"}, "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
    ],
)
def test_mixing_legacy_and_expressions(params, expected):
    assert error(compile_request, params) == (
        "Can not use both expression and non-expression parameters in the same request: " + expected
    )
