"""The PartiQL subset: statements parse into plans with keys, key conditions and predicates."""

from __future__ import annotations

import pytest

from regionbox.core.errors import InvalidInput, ServiceError
from regionbox.services.dynamodb.partiql import DeletePlan, ExistsPlan, InsertPlan, SelectPlan, UpdatePlan, parse_statement
from regionbox.services.dynamodb.types import sort_key

S = lambda s: {"S": s}  # noqa: E731
N = lambda n: {"N": str(n)}  # noqa: E731

KEYS = [("pk", "S"), ("sk", "N")]
ITEM = {"pk": S("u1"), "sk": N(3), "name": S("Ada"), "age": N(36), "tags": {"SS": ["a", "b"]},
        "m": {"M": {"x": {"L": [N(1), S("two")]}}}, "nul": {"NULL": True}}


def error(statement, parameters=None) -> str:
    with pytest.raises(ServiceError) as info:
        plan = parse_statement(statement, parameters, allow_exists=True)
        if not isinstance(plan, (SelectPlan, InsertPlan, ExistsPlan)):
            plan.where.key(KEYS)
    assert isinstance(info.value, InvalidInput)  # answered as ValidationException (the gateway fills the code in)
    return info.value.message


# -- SELECT ---------------------------------------------------------------------------------------
def test_select_star_with_key_equality():
    plan = parse_statement('SELECT * FROM "users" WHERE pk = \'u1\' AND sk = 3')
    assert isinstance(plan, SelectPlan) and plan.table == "users" and plan.index is None and plan.projection is None
    assert plan.where.key(KEYS) == {"pk": S("u1"), "sk": N(3)}
    kc = plan.where.key_condition(KEYS)
    assert kc.hash_value == S("u1") and kc.op == "=" and kc.lower == (sort_key(N(3)), True)
    assert plan.where.evaluate(ITEM) and plan.project(ITEM) is ITEM


def test_select_projection_index_and_parameters():
    plan = parse_statement('SELECT name, m.x[1], "age" FROM "users"."byName" WHERE pk = ? AND sk BETWEEN ? AND ?',
                           [S("u1"), N(1), N(5)])
    assert plan.index == "byName" and plan.projection == [("name",), ("m", "x", 1), ("age",)]
    assert plan.project(ITEM) == {"name": S("Ada"), "m": {"M": {"x": {"L": [S("two")]}}}, "age": N(36)}
    kc = plan.where.key_condition(KEYS)
    assert kc.op == "BETWEEN" and kc.values == (N(1), N(5))


def test_select_order_by():
    assert parse_statement("SELECT * FROM t WHERE pk = 'a' ORDER BY sk DESC").forward is False
    assert parse_statement("SELECT * FROM t WHERE pk = 'a' ORDER BY sk ASC").forward is True
    assert parse_statement("SELECT * FROM t WHERE pk = 'a'").forward is True


def test_exists_for_transactions():
    with pytest.raises(ServiceError, match="EXISTS can only be used in ExecuteTransaction"):
        parse_statement("EXISTS(SELECT * FROM t WHERE pk = 'a')")
    plan = parse_statement("EXISTS(SELECT * FROM \"t\" WHERE pk = ? AND sk = 3 AND age > 1)", [S("u1")], allow_exists=True)
    assert isinstance(plan, ExistsPlan) and plan.select.table == "t"
    assert plan.select.where.key(KEYS) == {"pk": S("u1"), "sk": N(3)} and plan.select.where.evaluate(ITEM)


def test_select_without_where_or_key_is_a_scan():
    assert parse_statement("SELECT * FROM users").where is None
    where = parse_statement("SELECT * FROM users WHERE age > 3").where
    assert where.key_condition(KEYS) is None and where.evaluate(ITEM)
    assert parse_statement("SELECT * FROM users WHERE pk = 'a' OR pk = 'b'").where.key_condition(KEYS) is None


def test_select_begins_with_range_key():
    kc = parse_statement("SELECT * FROM t WHERE pk = 'u1' AND begins_with(sk, 'ab')").where.key_condition([("pk", "S"), ("sk", "S")])
    assert kc.op == "begins_with" and kc.lower == (b"ab", True)


@pytest.mark.parametrize(
    "where, expected",
    [
        ("age = 36", True), ("age <> 36", False), ("age != 1", True), ("age < 40", True), ("age <= 36", True),
        ("age > 36", False), ("age >= 36", True), ("name = 'Ada'", True), ("name = \"Ada\"", False),  # "Ada" is a path
        ("age BETWEEN 30 AND 40", True), ("age IN [1, 36]", True), ("age IN (1, 2)", False),
        ("age = 36 AND name = 'Bob'", False), ("age = 1 OR name = 'Ada'", True), ("NOT age = 1", True),
        ("(age = 1 OR age = 36) AND name = 'Ada'", True),
        ("nope IS MISSING", True), ("age IS MISSING", False), ("age IS NOT MISSING", True),
        ("nul IS NULL", True), ("age IS NULL", False), ("age IS NOT NULL", True),
        ("begins_with(name, 'Ad')", True), ("contains(tags, 'a')", True), ("contains(name, 'z')", False),
        ("attribute_exists(age)", True), ("attribute_not_exists(age)", False), ("attribute_type(tags, 'SS')", True),
        ("size(name) = 3", True), ("m.x[1] = 'two'", True), ("m.x[0] = 1.0", True), ("m['x'][0] = 1", True),
        ("age = -36", False), ("tags = <<'b', 'a'>>", True),
    ],
)
def test_where_conditions(where, expected):
    assert parse_statement(f"SELECT * FROM t WHERE {where}").where.evaluate(ITEM) is expected


# -- INSERT ---------------------------------------------------------------------------------------
def test_insert_value_types():
    plan = parse_statement(
        "INSERT INTO \"users\" VALUE {'pk': 'u2', 'sk': 1.50, 'ok': true, 'no': false, 'n': null, 'l': [1, 'a'], "
        "'m': {'k': -2}, 'ss': <<'a', 'b'>>, 'ns': <<1, 2>>, 'p': ?, 'it''s': 'quote'}",
        [{"B": b"\x00"}],
    )
    assert isinstance(plan, InsertPlan) and plan.table == "users"
    assert plan.item == {
        "pk": S("u2"), "sk": N("1.5"), "ok": {"BOOL": True}, "no": {"BOOL": False}, "n": {"NULL": True},
        "l": {"L": [N(1), S("a")]}, "m": {"M": {"k": N(-2)}}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]},
        "p": {"B": b"\x00"}, "it's": S("quote"),
    }


# -- UPDATE ---------------------------------------------------------------------------------------
def test_update_set_remove_returning():
    plan = parse_statement(
        "UPDATE users SET age = age + 1, name = ?, m.x[0] = 5 REMOVE nul SET tags = set_add(tags, <<'c'>>), "
        "l = list_append(if_not_exists(l, []), [1]) WHERE pk = 'u1' AND sk = 3 AND age > 1 RETURNING ALL NEW *",
        [S("Bob")],
    )
    assert isinstance(plan, UpdatePlan) and plan.returning == "ALL_NEW"
    assert plan.where.key(KEYS) == {"pk": S("u1"), "sk": N(3)} and plan.where.evaluate(ITEM)
    new = plan.apply(ITEM)
    assert new["age"] == N(37) and new["name"] == S("Bob") and new["m"]["M"]["x"]["L"][0] == N(5)
    assert "nul" not in new and sorted(new["tags"]["SS"]) == ["a", "b", "c"] and new["l"] == {"L": [N(1)]}
    assert ITEM["age"] == N(36)  # original untouched
    assert plan.paths[0] == ("age",)


def test_update_set_delete_and_errors_at_apply():
    plan = parse_statement("UPDATE t SET tags = set_delete(tags, <<'a'>>) WHERE pk = 'u1' AND sk = 3")
    assert plan.apply(ITEM)["tags"] == {"SS": ["b"]}
    plan = parse_statement("UPDATE t SET name = name + 1 WHERE pk = 'u1' AND sk = 3")
    with pytest.raises(ServiceError, match="incorrect data type"):
        plan.apply(ITEM)
    plan = parse_statement("UPDATE t SET nope.x = 1 WHERE pk = 'u1' AND sk = 3")
    with pytest.raises(ServiceError, match="document path provided in the update expression is invalid"):
        plan.apply(ITEM)
    plan = parse_statement("UPDATE t SET pk = 'x' WHERE pk = 'u1' AND sk = 3")
    with pytest.raises(ServiceError, match="Cannot update attribute pk. This attribute is part of the key"):
        plan.check_keys(("pk", "sk"))


@pytest.mark.parametrize("clause, expected", [("RETURNING ALL OLD *", "ALL_OLD"), ("RETURNING MODIFIED NEW *", "UPDATED_NEW"),
                                              ("RETURNING MODIFIED OLD *", "UPDATED_OLD"), ("", None)])
def test_returning(clause, expected):
    assert parse_statement(f"UPDATE t SET a = 1 WHERE pk = 'x' AND sk = 1 {clause}").returning == expected


# -- DELETE ---------------------------------------------------------------------------------------
def test_delete():
    plan = parse_statement("DELETE FROM \"users\" WHERE pk = ? AND sk = ? RETURNING ALL OLD *", [S("u1"), N(3)])
    assert isinstance(plan, DeletePlan) and plan.where.key(KEYS) == {"pk": S("u1"), "sk": N(3)} and plan.returning == "ALL_OLD"


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "statement, parameters, expected",
    [
        ("", None, "Statement wasn't well formed, can't be processed: Statement is empty"),
        ("SELEC * FROM t", None, "Statement wasn't well formed, can't be processed: Unsupported statement; expected SELECT, INSERT, UPDATE, DELETE or EXISTS at token: SELEC"),
        ("EXISTS(SELECT * FROM t WHERE pk = 'a'", None, "Statement wasn't well formed, can't be processed: Expected ) at token: <EOF>"),
        ("SELECT * FROM", None, "Statement wasn't well formed, can't be processed: Expected table name at token: <EOF>"),
        ("SELECT * FROM t WHERE", None, "Statement wasn't well formed, can't be processed: Expected a value at token: <EOF>"),
        ("SELECT * FROM t WHERE a = 'x", None, "Statement wasn't well formed, can't be processed: Unterminated quoted string"),
        ("SELECT * FROM t WHERE a = 1 junk", None, "Statement wasn't well formed, can't be processed: Unexpected token at token: junk"),
        ("SELECT * FROM t WHERE a = ?", None, "Number of parameters in request and statement don't match."),
        ("SELECT * FROM t", [S("x")], "Number of parameters in request and statement don't match."),
        ("INSERT INTO t VALUE 'x'", None, "Unsupported operation: Can't insert a value that is not a map: S"),
        ("INSERT INTO t VALUE {'s': <<'a', 1>>}", None, "Unsupported operation: A set must contain one or more values of one type: string, number or binary"),
        ("INSERT INTO t VALUE {'n': 1e999}", None, "Number overflow. Attempting to store a number with magnitude larger than supported range"),
        ("UPDATE t WHERE pk = 'a'", None, "Statement wasn't well formed, can't be processed: Expected SET or REMOVE at token: WHERE"),
        ("UPDATE t SET a = 1 WHERE pk = 'a'", None, "Where clause does not contain a mandatory equality on all key attributes"),
        ("UPDATE t SET a = 1 WHERE pk = 'a' OR sk = 1", None, "Where clause does not contain a mandatory equality on all key attributes"),
        ("DELETE FROM t WHERE sk = 1", None, "Where clause does not contain a mandatory equality on all key attributes"),
        ("DELETE FROM t WHERE pk = 1 AND sk = 1", None, "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"),
        ("DELETE FROM t.idx WHERE pk = 'a' AND sk = 1", None, "Statement wasn't well formed, can't be processed: DELETE cannot target an index at token: WHERE"),
        ("SELECT * FROM t WHERE " + "(" * 3000 + "a = 1" + ")" * 3000, None, "Statement wasn't well formed, can't be processed: Statement is nested too deeply"),
        ("INSERT INTO t VALUE " + "[" * 3000 + "]" * 3000, None, "Statement wasn't well formed, can't be processed: Statement is nested too deeply"),
        ("SELECT " + ".".join(["a"] * 33) + " FROM t", None, "The document path has too many nesting levels; nesting levels: 33"),
        ("SELECT * FROM t WHERE a = $", None, "Statement wasn't well formed, can't be processed: Unexpected character: $"),
    ],
)
def test_errors(statement, parameters, expected):
    assert error(statement, parameters) == expected
