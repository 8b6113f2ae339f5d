"""The expression language: conditions, updates, projections, key conditions, placeholders and
every error DynamoDB reports for them."""

from __future__ import annotations

import pytest

from regionbox.core.errors import InvalidInput, ServiceError
from regionbox.services.dynamodb.expressions import (
    RESERVED_WORDS, ExpressionAttributes, compile_request, parse_condition, parse_key_condition, parse_projection,
    parse_update,
)

S = lambda s: {"S": s}  # noqa: E731
N = lambda n: {"N": str(n)}  # noqa: E731

ITEM = {
    "pk": S("user#1"),
    "sk": N(10),
    "nm": S("Ada"),
    "age": N(36),
    "tags": {"SS": ["math", "engines"]},
    "scores": {"NS": ["1", "2.5"]},
    "bin": {"B": b"\x01\x02\x03"},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "lst": {"L": [S("a"), N(2), {"M": {"deep": S("x")}}]},
    "mp": {"M": {"inr": {"M": {"n": N(5)}}, "s": S("hello")}},
}

VALUES = {
    ":ada": S("Ada"), ":bob": S("Bob"), ":n36": N(36), ":n10": N(10), ":n40": N(40), ":n1": N(1), ":n3": N(3),
    ":n5": N(5), ":a": S("a"), ":A": S("A"), ":math": S("math"), ":x": S("x"), ":he": S("he"), ":b01": {"B": b"\x01"},
    ":t": {"BOOL": True}, ":S": S("S"), ":SS": S("SS"), ":N": S("N"), ":L": S("L"), ":M": S("M"),
    ":lst": {"L": [S("a")]}, ":n2": N(2), ":n25": N("2.50"),
}


def evaluate(expression: str, item=ITEM, names=None) -> bool:
    attrs = ExpressionAttributes(names, VALUES)
    return parse_condition(expression, attrs).evaluate(item)


def error(fn, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, InvalidInput)  # answered as ValidationException (the gateway fills the code in)
    return info.value.message


def condition_error(expression: str, names=None, values=VALUES) -> str:
    return error(parse_condition, expression, ExpressionAttributes(names, values))


# -- comparators ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "expression, expected",
    [
        ("age = :n36", True), ("age = :bob", False), ("age <> :n36", False), ("age <> :n10", True),
        ("age < :n40", True), ("age <= :n36", True), ("age > :n36", False), ("age >= :n36", True),
        ("sk < :n36", True), ("pk > :a", True),  # "u" > "a"
        ("age < :ada", False),  # different types never order
        ("absent = :n1", False), ("absent <> :n1", True), ("absent < :n1", False),
        ("age BETWEEN :n10 AND :n40", True), ("age BETWEEN :n1 AND :n10", False), ("age between :n36 and :n36", True),
        ("age IN (:n1, :n36)", True), ("age IN (:n1, :n10)", False), ("absent IN (:n1)", False),
        ("scores = :n25", False), ("lst[1] = :n2", True), ("mp.inr.n = :n5", True), ("lst[2].deep = :x", True),
        ("lst[9] = :n2", False), ("mp.s.x = :n2", False), ("lst.x = :n2", False), ("mp[0] = :n2", False),
        ("flag = :t", True), ("bin > :b01", True),
        ("age = :n36 AND nm = :ada", True), ("age = :n1 OR nm = :ada", True), ("NOT age = :n1", True),
        ("NOT (age = :n36 AND nm = :ada)", False),
        # precedence: NOT > AND > OR
        ("age = :n1 AND nm = :ada OR flag = :t", True),
        ("flag = :t OR age = :n1 AND nm = :bob", True),
        ("(flag = :t OR age = :n1) AND nm = :bob", False),
        ("NOT age = :n1 AND nm = :bob", False),
        ("(age) = :n36", True), ("(mp.inr).n = :n5", True),
        ("age = :n36 and (nm = :bob or (flag = :t and pk = :a or sk = :n10))", True),
    ],
)
def test_comparisons(expression, expected):
    assert evaluate(expression) is expected


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("attribute_exists(age)", True), ("attribute_exists(absent)", False), ("attribute_exists(mp.inr.n)", True),
        ("attribute_exists(lst[2].deep)", True), ("attribute_exists(lst[3])", False),
        ("attribute_not_exists(absent)", True), ("attribute_not_exists(age)", False),
        ("attribute_type(age, :N)", True), ("attribute_type(age, :S)", False), ("attribute_type(tags, :SS)", True),
        ("attribute_type(lst, :L)", True), ("attribute_type(mp, :M)", True), ("attribute_type(absent, :S)", False),
        ("begins_with(nm, :A)", True), ("begins_with(nm, :a)", False), ("begins_with(mp.s, :he)", True),
        ("begins_with(bin, :b01)", True), ("begins_with(age, :a)", False),
        ("contains(nm, :a)", True), ("contains(tags, :math)", True), ("contains(tags, :x)", False),
        ("contains(scores, :n25)", True), ("contains(lst, :a)", True), ("contains(lst, :n2)", True),
        ("contains(lst, :x)", False), ("contains(bin, :b01)", True), ("contains(absent, :a)", False),
        ("size(nm) = :n3", True), ("size(tags) = :n2", True), ("size(lst) = :n3", True), ("size(mp) = :n2", True),
        ("size(bin) = :n3", True), ("size(age) = :n2", False), ("size(absent) > :n1", False),
        ("size(mp.s) BETWEEN :n1 AND :n5", True), ("size(nm) IN (:n3)", True),
        ("NOT contains(tags, :x) AND attribute_exists(pk)", True),
    ],
)
def test_functions(expression, expected):
    assert evaluate(expression) is expected


def test_literal_comparisons_agree_with_attribute_comparisons():
    # Comparisons with a literal are specialised; they must decide exactly as the general path
    # (attribute against attribute) does, for every pair of value types and operators.
    samples = [N(-1.5), N(0), N(2), N(10), S(""), S("a"), S("ab"), S("é"), {"B": b"\x00"}, {"B": b"\xff"},
               {"BOOL": True}, {"BOOL": False}, {"NULL": True}, {"SS": ["a"]}, {"NS": ["1"]}, {"L": [N(1)]},
               {"M": {"k": S("v")}}]
    for op in ("=", "<>", "<", "<=", ">", ">="):
        for left in samples + [None]:
            for right in samples:
                item = {"b": right} if left is None else {"a": left, "b": right}
                attrs = ExpressionAttributes(None, {":v": right})
                literal = parse_condition(f"a {op} :v", attrs).evaluate(item)
                mirrored = parse_condition(f":v {op} a", ExpressionAttributes(None, {":v": right})).evaluate(item)
                general = parse_condition(f"a {op} b", ExpressionAttributes()).evaluate(item)
                reverse = parse_condition(f"b {op} a", ExpressionAttributes()).evaluate(item)
                assert literal is general, (left, op, right)
                assert mirrored is reverse, (right, op, left)


def test_names_and_nested_placeholders():
    names = {"#s": "status", "#m": "mp", "#i": "inr", "#dot": "a.b"}
    item = {"status": S("ok"), "mp": ITEM["mp"], "a.b": N(1)}
    attrs = ExpressionAttributes(names, {":ok": S("ok"), ":n5": N(5), ":n1": N(1)})
    condition = parse_condition("#s = :ok AND #m.#i.n = :n5 AND #dot = :n1", attrs)
    assert condition.evaluate(item)
    assert condition.paths == [("status",), ("mp", "inr", "n"), ("a.b",)]


def test_no_item_evaluates_as_empty():
    attrs = ExpressionAttributes(None, {":v": N(1)})
    assert parse_condition("attribute_not_exists(pk)", ExpressionAttributes()).evaluate(None)
    assert not parse_condition("a = :v", attrs).evaluate(None)


# -- condition errors ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "expression, expected",
    [
        ("", "The expression can not be empty;"),
        ("   ", "The expression can not be empty;"),
        ("status = :ada", "Attribute name is a reserved keyword; reserved keyword: status"),
        ("a.Size = :ada", "Attribute name is a reserved keyword; reserved keyword: Size"),
        ("age =", 'Syntax error; token: "<EOF>", near: "="'),
        ("age = ", 'Syntax error; token: "<EOF>", near: "= "'),
        ("age == :n1", 'Syntax error; token: "=", near: "== :n1"'),
        ("age = :n1 age", 'Syntax error; token: "age", near: ":n1 age"'),
        ("age = :n1 AND", 'Syntax error; token: "<EOF>", near: "AND"'),
        ("a-b = :n1", 'Syntax error; token: "-", near: "a-b"'),
        ("a = :n1 $", 'Syntax error; token: "$", near: ":n1 $"'),
        ("(age = :n1", 'Syntax error; token: "<EOF>", near: ":n1"'),
        ("age BETWEEN :n1", 'Syntax error; token: "<EOF>", near: ":n1"'),
        ("age IN :n1", 'Syntax error; token: ":n1", near: "IN :n1"'),
        ("lst[x] = :n1", 'Syntax error; token: "x", near: "[x]"'),
        ("AND = :n1", 'Syntax error; token: "AND", near: "AND ="'),
        ("((age = :n1))", "The expression has redundant parentheses;"),
        ("foo(age)", "Invalid function name; function: foo"),
        ("if_not_exists(age, :n1)", "Invalid function name; function: if_not_exists"),
        ("size(age)", "The function is not allowed to be used this way in an expression; function: size"),
        ("begins_with(nm, :a) = :t", "The function is not allowed to be used this way in an expression; function: begins_with"),
        ("attribute_exists(age, nm)", "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"),
        ("contains(tags)", "Incorrect number of operands for operator or function; operator or function: contains, number of operands: 1"),
        ("attribute_exists(:n1)", "Operator or function requires a document path; operator or function: attribute_exists"),
        ("size(:a) = :n1", "Operator or function requires a document path; operator or function: size"),
        ("begins_with(nm, :n1)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
        ("attribute_type(age, :n1)", "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"),
        ("attribute_type(age, :x)", "Invalid attribute type name found; type: x, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
        ("age = age", "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [age]"),
        ("contains(lst[0], lst[0])", "The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [lst, [0]]"),
        ("age BETWEEN :n10 AND :n1", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:1}"),
        ("age BETWEEN :a AND :n1", "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {S:a}, upper bound operand: AttributeValue: {N:1}"),
        ("#nope = :n1", "An expression attribute name used in the document path is not defined; attribute name: #nope"),
        ("age = :nope", "An expression attribute value used in expression is not defined; attribute value: :nope"),
        # reported in DynamoDB's order: a reserved word before an undefined value
        ("status = :nope", "Attribute name is a reserved keyword; reserved keyword: status"),
    ],
)
def test_condition_errors(expression, expected):
    assert condition_error(expression) == f"Invalid ConditionExpression: {expected}"


def test_filter_label():
    assert error(parse_condition, "status = :v", ExpressionAttributes(None, {":v": N(1)}), "FilterExpression") == (
        "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: status"
    )


def test_expression_size_limit():
    values = {":v": N(1)}
    longest = "a = :v OR " * 409 + "a = :v"  # 4096 bytes
    assert len(longest) == 4096
    parse_condition(longest, ExpressionAttributes(None, values))
    assert condition_error(longest + " ", values=values) == (
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"
    )


def test_absurd_nesting_is_a_validation_error():
    values = {":v": N(1)}
    deep = "(" * 1500 + "a = :v" + ")" * 1500
    assert condition_error(deep, values=values) == "Invalid ConditionExpression: The expression is nested too deeply;"
    assert condition_error("NOT " * 1000 + "a = :v", values=values) == "Invalid ConditionExpression: The expression is nested too deeply;"
    assert error(parse_update, "SET a = " + "(" * 1500 + ":v" + ")" * 1500, ExpressionAttributes(None, values)) == (
        "Invalid UpdateExpression: The expression is nested too deeply;"
    )


def test_document_paths_nest_at_most_32_levels():
    parse_projection(".".join(["a"] * 32), ExpressionAttributes())
    assert error(parse_projection, ".".join(["a"] * 33), ExpressionAttributes()) == (
        "Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33"
    )
    assert error(parse_update, "SET " + "a" + "[0]" * 40 + " = :v", ExpressionAttributes(None, {":v": N(1)})) == (
        "Invalid UpdateExpression: The document path has too many nesting levels; nesting levels: 41"
    )


def test_in_accepts_up_to_100_operands():
    values = {f":v{i}": N(i) for i in range(101)}
    ok = "a IN (" + ", ".join(f":v{i}" for i in range(100)) + ")"
    parse_condition(ok, ExpressionAttributes(None, values))
    too_many = "a IN (" + ", ".join(f":v{i}" for i in range(101)) + ")"
    assert "number of operands: 101" in condition_error(too_many, values=values)


def test_reserved_words_are_the_full_list():
    assert len(RESERVED_WORDS) == 573
    for word in ("ABORT", "STATUS", "NAME", "DATA", "TTL", "ZONE", "SIZE", "USER", "TIMESTAMP"):
        assert word in RESERVED_WORDS
    assert "ATTRIBUTE_EXISTS" not in RESERVED_WORDS


# -- placeholders ---------------------------------------------------------------------------------
def test_unused_placeholders():
    attrs = ExpressionAttributes({"#a": "a", "#b": "b"}, {":v": N(1), ":w": N(2)})
    parse_condition("#a = :v", attrs)
    assert error(attrs.check_unused) == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"
    attrs = ExpressionAttributes({"#a": "a"}, {":v": N(1), ":w": N(2)})
    parse_condition("#a = :v", attrs)
    assert error(attrs.check_unused) == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"


def test_placeholders_used_across_expressions_of_a_request():
    attrs = ExpressionAttributes({"#a": "a", "#p": "p"}, {":v": N(1), ":w": N(2)})
    parse_condition("#a = :v", attrs)
    parse_update("SET #p = :w", attrs)
    attrs.check_unused()


@pytest.mark.parametrize(
    "names, values, expected",
    [
        ({}, None, "ExpressionAttributeNames must not be empty"),
        (None, {}, "ExpressionAttributeValues must not be empty"),
        ({"a": "x"}, None, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'),
        ({"#a": ""}, None, "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a"),
        (None, {":v": {"NS": []}}, "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An number set  may not be empty for key :v"),
        (None, {":v": {}}, "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :v"),
    ],
)
def test_placeholder_maps_are_validated(names, values, expected):
    assert error(ExpressionAttributes, names, values) == expected


# -- updates --------------------------------------------------------------------------------------
def update(expression: str, item=ITEM, names=None, values=None, key_names=()):
    attrs = ExpressionAttributes(names, values or VALUES)
    return parse_update(expression, attrs, key_names).apply(item)


def test_set_plain_and_nested():
    new = update("SET nm = :bob, mp.inr.n = :n1, lst[0] = :x, mp.newkey = :a")
    assert new["nm"] == S("Bob")
    assert new["mp"]["M"]["inr"]["M"]["n"] == N(1)
    assert new["lst"]["L"][0] == S("x")
    assert new["mp"]["M"]["newkey"] == S("a")
    # the original item is untouched
    assert ITEM["nm"] == S("Ada") and ITEM["mp"]["M"]["inr"]["M"]["n"] == N(5) and ITEM["lst"]["L"][0] == S("a")


def test_set_arithmetic_if_not_exists_list_append():
    new = update("SET age = age + :n1, sk = sk - :n25, c = if_not_exists(c, :n5), d = if_not_exists(age, :n1) + :n1, "
                 "lst = list_append(lst, :lst), e = list_append(:lst, lst)")
    assert new["age"] == N(37) and new["sk"] == N("7.5") and new["c"] == N(5) and new["d"] == N(37)
    assert new["lst"]["L"][-1] == S("a") and len(new["lst"]["L"]) == 4
    assert new["e"]["L"][0] == S("a") and new["e"]["L"][1] == S("a")


def test_operands_read_the_old_item():
    new = update("SET age = :n1, sk = age")
    assert new["age"] == N(1) and new["sk"] == N(36)


def test_set_list_index_past_end_appends():
    new = update("SET lst[10] = :x")
    assert new["lst"]["L"][-1] == S("x") and len(new["lst"]["L"]) == 4


def test_remove_attributes_nested_and_list_indexes():
    new = update("REMOVE nm, mp.inr, lst[0], lst[2], absent")
    assert "nm" not in new and "inr" not in new["mp"]["M"]
    assert new["lst"]["L"] == [N(2)]  # indexes refer to the lst before the update
    assert update("REMOVE lst[7]")["lst"] == ITEM["lst"]


def test_add_numbers_and_sets():
    new = update("ADD age :n1, cnt :n5, tags :set, newset :set, scores :nums",
                 values={":n1": N(1), ":n5": N(5), ":set": {"SS": ["x", "math"]}, ":nums": {"NS": ["2.50", "7"]}})
    assert new["age"] == N(37) and new["cnt"] == N(5)
    assert sorted(new["tags"]["SS"]) == ["engines", "math", "x"] and new["newset"] == {"SS": ["x", "math"]}
    assert sorted(new["scores"]["NS"]) == ["1", "2.5", "7"]


def test_delete_from_sets():
    new = update("DELETE tags :m, scores :all, absent :m", values={":m": {"SS": ["math"]}, ":all": {"NS": ["1", "2.5"]}})
    assert new["tags"] == {"SS": ["engines"]}
    assert "scores" not in new  # an emptied set disappears


def test_sections_in_any_order_and_case():
    new = update("remove flag add age :n1 set nm = :bob delete tags :m",
                 values={":n1": N(1), ":bob": S("Bob"), ":m": {"SS": ["math"]}})
    assert "flag" not in new and new["age"] == N(37) and new["nm"] == S("Bob") and new["tags"] == {"SS": ["engines"]}


def test_update_on_missing_item():
    attrs = ExpressionAttributes(None, {":n1": N(1)})
    assert parse_update("ADD c :n1 SET d = :n1", attrs).apply(None) == {"c": N(1), "d": N(1)}


def test_updated_old_and_new():
    attrs = ExpressionAttributes(None, {":n1": N(1), ":x": S("x")})
    upd = parse_update("SET age = age + :n1, mp.inr.n = :n1 REMOVE nm ADD newn :n1", attrs)
    new = upd.apply(ITEM)
    assert upd.updated_old(ITEM) == {"age": N(36), "mp": {"M": {"inr": {"M": {"n": N(5)}}}}, "nm": S("Ada")}
    assert upd.updated_new(new) == {"age": N(37), "mp": {"M": {"inr": {"M": {"n": N(1)}}}}, "newn": N(1)}
    assert upd.attributes == {"age", "mp", "nm", "newn"}


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("SET", 'Syntax error; token: "<EOF>", near: "SET"'),
        ("SET a", 'Syntax error; token: "<EOF>", near: "a"'),
        ("SET a = :n1 +", 'Syntax error; token: "<EOF>", near: "+"'),
        ("SET a = :n1 / :n1", 'Syntax error; token: "/", near: ":n1 / :n1"'),
        ("PUT a = :n1", 'Syntax error; token: "PUT", near: "PUT a"'),
        ("ADD a", 'Syntax error; token: "<EOF>", near: "a"'),
        ("ADD a b", 'Syntax error; token: "b", near: "a b"'),
        ("SET a = :n1 SET b = :n1", 'The "SET" section can only be used once in an update expression;'),
        ("SET a = :n1, a.b = :n1", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"),
        ("SET a = :n1 REMOVE a", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
        ("SET a.b = :n1 REMOVE a[0]", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"),
        ("SET status = :n1", "Attribute name is a reserved keyword; reserved keyword: status"),
        ("SET a = :nope", "An expression attribute value used in expression is not defined; attribute value: :nope"),
        ("SET #nope = :n1", "An expression attribute name used in the document path is not defined; attribute name: #nope"),
        ("SET a = foo(b)", "Invalid function name; function: foo"),
        ("SET a = size(b)", "The function is not allowed in an update expression; function: size"),
        ("SET a = if_not_exists(:n1, :n1)", "Operator or function requires a document path; operator or function: if_not_exists"),
        ("SET a = list_append(:lst)", "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"),
        ("SET a = list_append(a, :n1)", "Incorrect operand type for operator or function; operator or function: list_append, operand type: N"),
        ("SET a = a + :a", "Incorrect operand type for operator or function; operator or function: +, operand type: S"),
        ("ADD a :a", "Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"),
        ("ADD a :lst", "Incorrect operand type for operator or function; operator: ADD, operand type: LIST, typeSet: ALLOWED_FOR_ADD_OPERAND"),
        ("DELETE a :n1", "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND"),
        ("SET a = ((:n1))", "The expression has redundant parentheses;"),
        ("", "The expression can not be empty;"),
    ],
)
def test_update_parse_errors(expression, expected):
    assert error(parse_update, expression, ExpressionAttributes(None, VALUES)) == f"Invalid UpdateExpression: {expected}"


def test_update_of_key_attributes_is_rejected():
    assert error(update, "SET pk = :a", key_names=("pk", "sk")) == (
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    )
    assert "Cannot update attribute sk" in error(update, "REMOVE sk", key_names=("pk", "sk"))


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("SET a = absent + :n1", "The provided expression refers to an attribute that does not exist in the item"),
        ("SET a = mp.nope", "The provided expression refers to an attribute that does not exist in the item"),
        ("SET a = nm + :n1", "An operand in the update expression has an incorrect data type"),
        ("SET a = list_append(nm, :lst)", "An operand in the update expression has an incorrect data type"),
        ("ADD nm :n1", "An operand in the update expression has an incorrect data type"),
        ("ADD tags :nums", "An operand in the update expression has an incorrect data type"),
        ("DELETE tags :nums", "An operand in the update expression has an incorrect data type"),
        ("SET nope.a = :n1", "The document path provided in the update expression is invalid for update"),
        ("SET nm.a = :n1", "The document path provided in the update expression is invalid for update"),
        ("SET mp.nope.a = :n1", "The document path provided in the update expression is invalid for update"),
        ("SET nm[0] = :n1", "The document path provided in the update expression is invalid for update"),
        ("SET lst[9].a = :n1", "The document path provided in the update expression is invalid for update"),
        ("REMOVE nope.a", "The document path provided in the update expression is invalid for update"),
        ("ADD nope.a :n1", "The document path provided in the update expression is invalid for update"),
    ],
)
def test_update_runtime_errors(expression, expected):
    values = dict(VALUES, **{":nums": {"NS": ["1"]}})
    assert error(update, expression, values=values) == expected


def test_arithmetic_overflow_is_reported():
    values = {":big": N("9.9999999999999999999999999999999999999E+125")}
    item = {"a": N("9.9999999999999999999999999999999999999E+125")}
    assert error(update, "SET a = a + :big", item=item, values=values).startswith("Number overflow")


# -- projections ----------------------------------------------------------------------------------
def test_projection_top_level_and_nested():
    attrs = ExpressionAttributes({"#n": "nm"})
    projection = parse_projection("#n, mp.inr.n, lst[2].deep, lst[0], absent, mp.nope", attrs)
    assert projection.apply(ITEM) == {
        "nm": S("Ada"),
        "mp": {"M": {"inr": {"M": {"n": N(5)}}}},
        "lst": {"L": [S("a"), {"M": {"deep": S("x")}}]},  # selected elements, in index order, compacted
    }
    assert projection.apply(None) == {}
    assert parse_projection("age, pk", ExpressionAttributes()).apply(ITEM) == {"age": N(36), "pk": S("user#1")}


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("a, a.b", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"),
        ("a, a", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
        ("a.b, a[1]", "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]"),
        ("a b", 'Syntax error; token: "b", near: "a b"'),
        ("a,", 'Syntax error; token: "<EOF>", near: ","'),
        ("name", "Attribute name is a reserved keyword; reserved keyword: name"),
        ("#x", "An expression attribute name used in the document path is not defined; attribute name: #x"),
        ("a = :v", 'Syntax error; token: "=", near: "a = :v"'),
    ],
)
def test_projection_errors(expression, expected):
    assert error(parse_projection, expression, ExpressionAttributes()) == f"Invalid ProjectionExpression: {expected}"


# -- key conditions -------------------------------------------------------------------------------
KEYS = [("pk", "S"), ("sk", "N")]
KEY_VALUES = {":p": S("u1"), ":one": N(1), ":five": N(5), ":s": S("x"), ":n": N(3)}


def key_condition(expression, names=None, schema=KEYS, values=KEY_VALUES):
    return parse_key_condition(expression, ExpressionAttributes(names, values), schema)


def test_hash_only_and_each_range_operator():
    kc = key_condition("pk = :p")
    assert kc.hash_name == "pk" and kc.hash_value == S("u1") and kc.op is None and kc.lower is None and kc.upper is None
    for op in ("=", "<", "<=", ">", ">="):
        kc = key_condition(f"pk = :p AND sk {op} :n")
        assert kc.op == op and kc.values == (N(3),)
        for sk, expected in ((2, op in ("<", "<=")), (3, "=" in op), (4, op in (">", ">="))):
            assert kc.matches({"pk": S("u1"), "sk": N(sk)}) is expected
    kc = key_condition("sk BETWEEN :one AND :five AND pk = :p")
    assert kc.op == "BETWEEN" and kc.matches({"pk": S("u1"), "sk": N(5)}) and not kc.matches({"pk": S("u1"), "sk": N(6)})
    assert not kc.matches({"pk": S("u2"), "sk": N(3)})
    kc = key_condition(":p = pk AND :n > sk")  # value on the left
    assert kc.op == "<" and kc.hash_value == S("u1")
    kc = key_condition("#k = :p AND (#r >= :n)", names={"#k": "pk", "#r": "sk"})
    assert kc.op == ">="


def test_key_condition_bounds_are_sort_key_bytes():
    from regionbox.services.dynamodb.types import sort_key

    kc = key_condition("pk = :p AND sk BETWEEN :one AND :five")
    assert kc.lower == (sort_key(N(1)), True) and kc.upper == (sort_key(N(5)), True)
    assert key_condition("pk = :p AND sk < :n").lower is None
    kc = key_condition("pk = :p AND begins_with(sk, :s)", schema=[("pk", "S"), ("sk", "S")])
    assert kc.lower == (b"x", True) and kc.upper == (b"y", False)
    assert kc.matches({"pk": S("u1"), "sk": S("xyz")}) and not kc.matches({"pk": S("u1"), "sk": S("y")})
    kc = key_condition("pk = :p AND begins_with(sk, :b)", schema=[("pk", "S"), ("sk", "B")],
                       values={":p": S("u1"), ":b": {"B": b"\x01\xff"}})
    assert kc.upper == (b"\x02", False)


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("sk = :one", "Query condition missed key schema element: pk"),
        ("pk < :p", "Query key condition not supported"),
        ("pk = :p AND age = :one", "Query condition missed key schema element: sk"),
        ("pk = :p AND sk > :one AND sk < :five", "KeyConditionExpressions must only contain one condition per key"),
        ("(pk) = :p", None),
        ("pk = :one", "One or more parameter values were invalid: Condition parameter type does not match schema type"),
        ("pk = :p AND sk = :s", "One or more parameter values were invalid: Condition parameter type does not match schema type"),
        ("pk = :p AND begins_with(sk, :one)", "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
        ("pk = :p OR sk = :one", "Invalid operator used in KeyConditionExpression: OR"),
        ("NOT pk = :p", "Invalid operator used in KeyConditionExpression: NOT"),
        ("pk = :p AND sk <> :one", "Invalid operator used in KeyConditionExpression: <>"),
        ("pk = :p AND sk IN (:one)", "Invalid operator used in KeyConditionExpression: IN"),
        ("pk = :p AND attribute_exists(sk)", "Invalid operator used in KeyConditionExpression: attribute_exists"),
        ("pk = :p OR sk = :nope", "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"),
        ("pk = :p AND size(sk) = :one", "KeyConditionExpressions cannot contain nested operations"),
        ("pk = :p AND :one BETWEEN sk AND :five", "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"),
        ("pk = :p AND begins_with(:s, sk)", "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"),
        ("pk = :p AND sk = pk", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"),
        ("pk = :p AND :one = :five", "Invalid condition in KeyConditionExpression: No key attribute specified"),
        ("pk = :p AND sk.x = :one", "KeyConditionExpressions cannot have conditions on nested attributes"),
        ("pk = :p AND pk = :p", "KeyConditionExpressions must only contain one condition per key"),
        ("pk = :p AND sk = :one AND age = :one", "Query key condition not supported"),
        ("pk = :p AND sk = sk", "Invalid KeyConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [sk]"),
        ("pk = :p AND", 'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "AND"'),
        ("pk = :nope", "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"),
        ("pk = :p AND sk BETWEEN :five AND :one", "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}"),
    ],
)
def test_key_condition_errors(expression, expected):
    if expected is None:  # a valid expression among the invalid ones: parenthesized operand
        assert key_condition(expression).hash_value == S("u1")
        return
    assert error(key_condition, expression) == expected


def test_key_condition_on_hash_only_schema():
    assert key_condition("pk = :p", schema=[("pk", "S")]).range_name is None
    assert error(key_condition, "pk = :p AND sk = :one", schema=[("pk", "S")]) == "Query key condition not supported"


# -- whole requests -------------------------------------------------------------------------------
def test_compile_request_expressions():
    exprs = compile_request(
        {"UpdateExpression": "SET #a = :v", "ConditionExpression": "attribute_exists(pk)",
         "ExpressionAttributeNames": {"#a": "a"}, "ExpressionAttributeValues": {":v": N(1)}},
        key_schema=[("pk", "S")],
    )
    assert exprs.update.apply({"pk": S("k")}) == {"pk": S("k"), "a": N(1)}
    assert exprs.condition.evaluate({"pk": S("k")}) and exprs.projection is None


def test_compile_request_query_and_filter_on_key():
    exprs = compile_request(
        {"KeyConditionExpression": "pk = :p", "FilterExpression": "age > :n", "ProjectionExpression": "age",
         "ExpressionAttributeValues": {":p": S("k"), ":n": N(1)}},
        key_schema=[("pk", "S"), ("sk", "N")],
    )
    assert exprs.key_condition.hash_value == S("k") and exprs.filter.evaluate({"age": N(2)})
    assert exprs.projection.apply({"age": N(2), "x": N(1)}) == {"age": N(2)}
    assert error(compile_request, {"KeyConditionExpression": "pk = :p", "FilterExpression": "sk > :n",
                                   "ExpressionAttributeValues": {":p": S("k"), ":n": N(1)}},
                 key_schema=[("pk", "S"), ("sk", "N")]) == (
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"
    )


def test_compile_request_errors():
    assert error(compile_request, {"ConditionExpression": "a = :v", "ExpressionAttributeValues": {":v": N(1), ":w": N(1)}}) == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"
    )
    assert error(compile_request, {"ExpressionAttributeNames": {"#a": "a"}},
                 expression_parameters=("ProjectionExpression",)) == (
        "ExpressionAttributeNames can only be specified when using expressions"
    )
    assert error(compile_request, {"ExpressionAttributeValues": {":v": N(1)}}, expression_parameters=("ProjectionExpression",)) == (
        "ExpressionAttributeValues can only be specified when using expressions"
    )
    assert error(compile_request, {"Expected": {}, "ExpressionAttributeNames": {}}) == (
        "ExpressionAttributeNames can only be specified when using expressions"
    )
    assert error(compile_request, {"ExpressionAttributeValues": {":v": N(1)}},
                 expression_parameters=("UpdateExpression", "ConditionExpression")) == (
        "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null"
    )
    assert error(compile_request, {"Expected": {"a": {"Exists": False}}, "AttributeUpdates": {},
                                   "ConditionExpression": "a = :v", "UpdateExpression": "SET b = :v"}) == (
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributeUpdates, Expected} Expression parameters: {UpdateExpression, ConditionExpression}"
    )
