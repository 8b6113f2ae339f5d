"""AttributeValue semantics: validation messages, numbers, ordering, sizes, keys, sort_key."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from regionbox.core.errors import InvalidInput, ServiceError
from regionbox.services.dynamodb import types as t


def message(fn, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, InvalidInput)  # answered as ValidationException (the gateway fills the code in)
    return info.value.message


# -- validation ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, expected",
    [
        ({}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
        ({"S": "a", "N": "1"}, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"),
        ({"NULL": False}, "One or more parameter values were invalid: Null attribute value types must have the value of true"),
        ({"SS": []}, "One or more parameter values were invalid: An string set  may not be empty"),
        ({"NS": []}, "One or more parameter values were invalid: An number set  may not be empty"),
        ({"BS": []}, "One or more parameter values were invalid: Binary sets should not be empty"),
        ({"SS": ["a", "a"]}, "One or more parameter values were invalid: Input collection [a, a] contains duplicates."),
        ({"NS": ["1", "1.0"]}, "Input collection contains duplicates"),
        ({"BS": [b"x", b"x"]}, "Input collection contains duplicates"),
        ({"N": "abc"}, "The parameter cannot be converted to a numeric value: abc"),
        ({"N": ""}, "The parameter cannot be converted to a numeric value"),
        ({"N": "Infinity"}, "The parameter cannot be converted to a numeric value: Infinity"),
        # Surrounding spaces are no part of a number for DynamoDB (Python's Decimal would take them).
        ({"N": " 5 "}, "The parameter cannot be converted to a numeric value:  5 "),
        ({"N": "5\n"}, "The parameter cannot be converted to a numeric value: 5\n"),
        ({"NS": ["1", " 2"]}, "The parameter cannot be converted to a numeric value:  2"),
        ({"N": "1e126"}, "Number overflow. Attempting to store a number with magnitude larger than supported range"),
        ({"N": "1e-131"}, "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
        ({"N": "1." + "0" * 40 + "1"}, "Attempting to store more than 38 significant digits in a Number"),
        ({"N": "1" * 39}, "Attempting to store more than 38 significant digits in a Number"),
        ({"L": [{"M": {"x": {"NS": []}}}]}, "One or more parameter values were invalid: An number set  may not be empty"),
        ({"X": "1"}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
        ({"BOOL": "yes"}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ],
)
def test_invalid_values(value, expected):
    assert message(t.validate_value, value) == expected


def test_empty_strings_and_binaries_are_set_members():
    # Only an empty set is invalid; an empty string or binary may be one of its members.
    assert t.validate_value({"SS": ["a", ""]}) == {"SS": ["a", ""]}
    assert t.validate_value({"BS": [b"a", b""]}) == {"BS": [b"a", b""]}
    assert message(t.validate_value, {"SS": ["", ""]}) == "One or more parameter values were invalid: Input collection [, ] contains duplicates."


def test_more_than_one_type_ignores_null_members():
    # A JSON body may carry explicit nulls for the other members; only set members count.
    assert t.validate_value({"S": "a", "N": None}) == {"S": "a"}


@pytest.mark.parametrize(
    "given, canonical",
    [("1.50", "1.5"), ("1E+2", "100"), ("-0", "0"), ("0.000", "0"), ("007", "7"), ("-1.0e-3", "-0.001"),
     ("1e-130", "0." + "0" * 129 + "1"), ("9.9999999999999999999999999999999999999E+125", "99999999999999999999999999999999999999" + "0" * 88),
     ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678")],
)
def test_numbers_are_canonical(given, canonical):
    assert t.validate_value({"N": given}) == {"N": canonical}


def test_number_sets_are_canonical_and_items_validate_deeply():
    item = t.validate_item({"a": {"NS": ["1.0", "2e1"]}, "m": {"M": {"l": {"L": [{"N": "3.00"}]}}}, "b": {"B": b"\x00"}})
    assert item == {"a": {"NS": ["1", "20"]}, "m": {"M": {"l": {"L": [{"N": "3"}]}}}, "b": {"B": b"\x00"}}


def test_nesting_depth_limit():
    value = {"S": "x"}
    for _ in range(33):
        value = {"L": [value]}
    assert "Nesting Levels have exceeded supported limits" in message(t.validate_value, value)
    shallow = {"S": "x"}
    for _ in range(31):
        shallow = {"M": {"a": shallow}}
    t.validate_value(shallow)


def test_expression_values_name_the_key():
    assert message(t.validate_expression_values, {":v": {"SS": []}}) == (
        "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
        "An string set  may not be empty for key :v"
    )
    assert message(t.validate_expression_values, {"v": {"S": "x"}}) == (
        'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"'
    )


# -- numbers ------------------------------------------------------------------------------------
def test_arithmetic_is_exact_and_checked():
    assert t.add_numbers(Decimal("0.1"), Decimal("0.2")) == Decimal("0.3")
    assert t.subtract_numbers(Decimal("1"), Decimal("1")) == 0
    big = Decimal("9.9999999999999999999999999999999999999E+125")
    assert message(t.add_numbers, big, big).startswith("Number overflow")
    assert "38 significant digits" in message(t.add_numbers, Decimal("1e37"), Decimal("0.1"))
    assert "38 significant digits" in message(t.add_numbers, Decimal("1e125"), Decimal("1e-130"))  # exact, not rounded
    assert t.add_numbers(Decimal("99999999999999999999999999999999999999"), Decimal(1)) == Decimal("1e38")


# -- comparison ---------------------------------------------------------------------------------
def test_compare_numbers_strings_binary():
    assert t.compare({"N": "10"}, {"N": "9"}) == 1
    assert t.compare({"N": "-1"}, {"N": "1e-130"}) == -1
    assert t.compare({"S": "a"}, {"S": "B"}) == 1  # UTF-8 bytes: 'a' (0x61) > 'B' (0x42)
    assert t.compare({"S": "\uffff"}, {"S": "\U00010000"}) == -1  # bytes, not UTF-16 code units
    assert t.compare({"B": b"\x80"}, {"B": b"\x7f"}) == 1  # unsigned
    assert t.compare({"S": "1"}, {"N": "1"}) is None
    assert t.compare({"SS": ["a"]}, {"SS": ["a"]}) is None


def test_equality():
    assert t.values_equal({"N": "1"}, {"N": "1.0"})
    assert not t.values_equal({"N": "1"}, {"S": "1"})
    assert t.values_equal({"SS": ["a", "b"]}, {"SS": ["b", "a"]})
    assert t.values_equal({"NS": ["1", "2"]}, {"NS": ["2.0", "1"]})
    assert not t.values_equal({"L": [{"S": "a"}, {"S": "b"}]}, {"L": [{"S": "b"}, {"S": "a"}]})
    assert t.values_equal({"M": {"a": {"N": "1"}}}, {"M": {"a": {"N": "1.00"}}})
    assert not t.values_equal({"M": {"a": {"N": "1"}}}, {"M": {"b": {"N": "1"}}})
    assert t.values_equal({"NULL": True}, {"NULL": True})
    assert not t.values_equal({"BOOL": True}, {"BOOL": False})
    assert t.values_equal(None, None) and not t.values_equal(None, {"S": "a"})


# -- sizes --------------------------------------------------------------------------------------
def test_sizes_follow_dynamodb_rules():
    assert t.item_size({"ab": {"S": "xyz"}}) == 5
    assert t.item_size({"s": {"S": "é"}}) == 3  # UTF-8 bytes
    assert t.item_size({"b": {"B": b"1234"}}) == 5
    assert t.item_size({"n": {"N": "12345"}}) == 1 + 4  # ceil(5/2) + 1
    assert t.item_size({"n": {"N": "0.001"}}) == 1 + 2
    assert t.item_size({"t": {"BOOL": True}, "u": {"NULL": True}}) == 4
    assert t.item_size({"l": {"L": []}}) == 1 + 3
    assert t.item_size({"l": {"L": [{"S": "ab"}]}}) == 1 + 3 + 1 + 2
    assert t.item_size({"m": {"M": {"k": {"S": "ab"}}}}) == 1 + 3 + 1 + 1 + 2
    assert t.item_size({"ss": {"SS": ["a", "bc"]}}) == 2 + 3


def test_item_size_limit():
    t.check_item_size({"a": {"S": "x" * (400 * 1024 - 1)}})
    assert message(t.check_item_size, {"a": {"S": "x" * (400 * 1024)}}) == "Item size has exceeded the maximum allowed size"
    assert message(t.check_item_size, {"a": {"S": "x" * (400 * 1024)}}, updating=True) == (
        "Item size to update has exceeded the maximum allowed size"
    )


# -- keys ---------------------------------------------------------------------------------------
SCHEMA = [("pk", "S"), ("sk", "N")]


def test_key_must_match_schema():
    assert t.validate_key({"pk": {"S": "a"}, "sk": {"N": "1.0"}}, SCHEMA) == {"pk": {"S": "a"}, "sk": {"N": "1"}}
    for key in ({"pk": {"S": "a"}}, {"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "b"}},
                {"pk": {"N": "1"}, "sk": {"N": "1"}}, {"pk": {"S": "a"}, "other": {"N": "1"}}):
        assert message(t.validate_key, key, SCHEMA) == "The provided key element does not match the schema"


def test_key_values_empty_and_too_large():
    assert message(t.validate_key, {"pk": {"S": ""}, "sk": {"N": "1"}}, SCHEMA) == (
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
        "empty string value. Key: pk"
    )
    assert message(t.validate_key, {"pk": {"B": b""}}, [("pk", "B")]).endswith("empty binary value. Key: pk")
    assert message(t.validate_key, {"pk": {"S": "x" * 2049}, "sk": {"N": "1"}}, SCHEMA) == (
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
    )
    t.validate_key({"pk": {"S": "x" * 2048}, "sk": {"N": "1"}}, SCHEMA)
    assert message(t.validate_key, {"pk": {"S": "a"}, "sk": {"S": "x" * 1025}}, [("pk", "S"), ("sk", "S")]) == (
        "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
    )


def test_item_keys():
    t.validate_item_keys({"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": ""}}, SCHEMA)
    assert message(t.validate_item_keys, {"pk": {"S": "a"}}, SCHEMA) == (
        "One or more parameter values were invalid: Missing the key sk in the item"
    )
    assert message(t.validate_item_keys, {"pk": {"S": "a"}, "sk": {"S": "1"}}, SCHEMA) == (
        "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S"
    )


def test_index_keys():
    t.validate_index_keys({"g": {"S": "a"}}, "byG", [("g", "S")])
    t.validate_index_keys({}, "byG", [("g", "S")])  # sparse: absent is fine
    assert message(t.validate_index_keys, {"g": {"N": "1"}}, "byG", [("g", "S")]) == (
        "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: byG"
    )
    assert message(t.validate_index_keys, {"g": {"S": ""}}, "byG", [("g", "S")]).endswith(
        "cannot contain an empty string value. IndexName: byG, IndexKey: g"
    )


# -- sort_key -----------------------------------------------------------------------------------
def test_sort_key_orders_numbers_like_dynamodb():
    rng = random.Random(7)
    numbers = [Decimal(0), Decimal("1e-130"), Decimal("-1e-130"), Decimal("9.9999999999999999999999999999999999999E+125"),
               Decimal("-9.9999999999999999999999999999999999999E+125"), Decimal("0.1"), Decimal("0.12"), Decimal("-0.1"),
               Decimal("-0.12"), Decimal(10), Decimal(9), Decimal(-10), Decimal(-9)]
    for _ in range(3000):
        numbers.append(Decimal(rng.randint(-10**12, 10**12)).scaleb(rng.randint(-40, 40)))
    encoded = {n: t.sort_key({"N": t.format_number(t.check_number(n))}) for n in numbers}
    by_value = sorted(set(numbers))
    by_bytes = sorted(set(numbers), key=lambda n: encoded[n])
    assert by_value == by_bytes
    assert t.sort_key({"N": "1"}) == t.sort_key({"N": "1.00"})


def test_sort_key_orders_strings_and_binary_by_bytes():
    strings = ["", "a", "ab", "b", "B", "é", "\uffff", "\U00010000", "a\x00"]
    assert sorted(strings, key=lambda s: t.sort_key({"S": s})) == sorted(strings, key=lambda s: s.encode())
    blobs = [b"", b"\x00", b"\x00\x00", b"\x7f", b"\x80", b"\xff"]
    assert sorted(blobs, key=lambda b: t.sort_key({"B": b})) == sorted(blobs)
    with pytest.raises(ServiceError):
        t.sort_key({"SS": ["a"]})
