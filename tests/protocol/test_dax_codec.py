"""DAX's encodings against the official client's own encoders (the spec): range-key numbers
(lexdecimal) both ways, keys and values, and expressions back to DynamoDB's text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from amazondax import AttributeValueEncoder, CborSExprGenerator, LexDecimal
from hypothesis import given, settings
from hypothesis import strategies as st

from regionbox.protocol.dax import lexdecimal
from regionbox.protocol.dax.expressions import Expressions
from regionbox.protocol.dax.values import AttributeLists, BadValue, decode_key, decode_values, encode_key

NUMBERS = ["0", "1", "-1", "100", "1E+2", "0.5", "-0.001", "123.456", "9.99E+125", "-1.2345E-120",
           "12345678901234567890123456789012345678", "-99999999999999999999999999999999999999", "7E+70", "-7E-70"]


@pytest.mark.parametrize("text", NUMBERS)
def test_lexdecimal_matches_the_client(text):
    number = LexDecimal.create_decimal(text)
    assert lexdecimal.encode(number) == LexDecimal.encode(number)
    assert lexdecimal.decode(LexDecimal.encode(number)) == number


@settings(max_examples=200)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda d: d == 0 or -128 < d.adjusted() < 125).map(lambda d: LexDecimal.create_decimal(str(d)) if len(d.as_tuple().digits) <= 38 else Decimal(0)))
def test_lexdecimal_round_trip(number):
    encoded = lexdecimal.encode(number)
    assert encoded == LexDecimal.encode(number)
    assert lexdecimal.decode(encoded) == number


def test_broken_lexdecimal_is_refused():
    for data in (b"", b"\xc1", b"\xfe\x00"):
        with pytest.raises(ValueError):
            lexdecimal.decode(data)


SCHEMAS = {
    "S": [{"AttributeName": "h", "AttributeType": "S"}],
    "N": [{"AttributeName": "h", "AttributeType": "N"}],
    "B": [{"AttributeName": "h", "AttributeType": "B"}],
    "SN": [{"AttributeName": "h", "AttributeType": "S"}, {"AttributeName": "r", "AttributeType": "N"}],
    "NS": [{"AttributeName": "h", "AttributeType": "N"}, {"AttributeName": "r", "AttributeType": "S"}],
    "BB": [{"AttributeName": "h", "AttributeType": "B"}, {"AttributeName": "r", "AttributeType": "B"}],
}
VALUES = {"S": "text ü", "N": "-12.5", "B": b"\x00\xff"}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_keys_decode_what_the_client_encodes(name):
    schema = SCHEMAS[name]
    key = {part["AttributeName"]: {part["AttributeType"]: VALUES[part["AttributeType"]]} for part in schema}
    sent = AttributeValueEncoder.encode_key(key, schema)
    decoded = decode_key(sent, schema)
    import base64
    expected = {n: ({"B": base64.b64encode(v["B"]).decode()} if "B" in v else v) for n, v in key.items()}
    assert decoded == expected
    assert encode_key(decoded, schema) == sent


def test_values_decode_what_the_client_encodes():
    lists = AttributeLists()
    item = {"a": {"S": "x"}, "b": {"NS": ["1", "2.5"]}, "c": {"M": {"z": {"L": [{"NULL": True}, {"BOOL": False}]}}}}
    list_id = lists.id_of(sorted(item))
    sent = AttributeValueEncoder.encode_values(item, [], sorted(item), list_id)
    assert decode_values(sent, lists) == item
    with pytest.raises(BadValue):
        decode_values(AttributeValueEncoder.encode_values(item, [], sorted(item), 77), lists)


def render(condition=None, key=None, filter_=None, update=None, projection=None, names=None, values=None):
    encoded = CborSExprGenerator.encode_expressions(condition, key, filter_, update, projection, names or {}, values or {})
    exprs = Expressions()
    out = {}
    if condition:
        out["condition"] = exprs.condition(encoded.Condition, "c")
    if key:
        out["key"] = exprs.condition(encoded.KeyCondition, "k")
    if filter_:
        out["filter"] = exprs.condition(encoded.Filter, "f")
    if update:
        out["update"] = exprs.update(encoded.Update, "u")
    if projection:
        out["projection"] = exprs.projection(encoded.Projection)[0]
    return out, exprs.names, exprs.values


def test_expressions_come_back_as_dynamodb_text():
    out, names, values = render(
        condition="attribute_exists(#a.b[2]) AND NOT (c < :v OR size(d) BETWEEN :v AND :w) AND e IN (:v, :w)",
        key="pk = :v AND begins_with(sk, :w)",
        update="SET a = a + :v, b = list_append(:l, b), z = if_not_exists(z, :v) REMOVE c[1] ADD d :v DELETE s :ss",
        projection="a, b.c, #a[3]",
        names={"#a": "x y"}, values={":v": {"N": "1"}, ":w": {"S": "s"}, ":l": {"L": []}, ":ss": {"SS": ["q"]}})
    assert out == {
        "condition": "attribute_exists(#d0.#d1[2]) AND ((NOT (#d2 < :c0 OR size(#d3) BETWEEN :c0 AND :c1)) "
                     "AND #d4 IN (:c0, :c1))",
        "key": "#d5 = :k0 AND begins_with(#d6, :k1)",
        "update": "SET #d7 = #d7 + :u0, #d1 = list_append(:u1, #d1), #d8 = if_not_exists(#d8, :u0) "
                  "REMOVE #d2[1] ADD #d3 :u0 DELETE #d9 :u2",
        "projection": "#d7, #d1.#d2, #d0[3]"}
    assert names["#d0"] == "x y"
    assert values == {":c0": {"N": "1"}, ":c1": {"S": "s"}, ":k0": {"N": "1"}, ":k1": {"S": "s"},
                      ":u0": {"N": "1"}, ":u1": {"L": []}, ":u2": {"SS": ["q"]}}


@pytest.mark.parametrize("data", [b"", b"\x01", b"\x83\x02\x80\x80", b"\x83\x01\x82\x63abc\x01\x80",
                                  b"\x83\x01\x82\x11\x05\x80", b"\x83\x01" + b"\x82\x08" * 100 + b"\x80" + b"\x80"])
def test_malformed_expressions_are_refused(data):
    with pytest.raises(BadValue):
        Expressions().condition(data, "c")
