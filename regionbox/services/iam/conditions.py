"""Matching, as IAM does it: wildcards, ARNs, policy variables and the condition operators.

One implementation for every kind of policy (trust, identity, resource, boundary, session).

- Wildcards: ``*`` any run of characters, ``?`` one character; nothing else is special (no
  ``[]`` classes). Actions compare without case, resources and most values with it.
- ARNs (Resource, ArnLike ...): the six colon-separated parts match one by one, so a wildcard
  never spans a colon of the first five; the last part (the resource) may hold colons.
- Policy variables (``${aws:username}``, ``${aws:PrincipalTag/team}``, ``${aws:username, 'x'}``,
  ``${*}`` ``${?}`` ``${$}``) are replaced in Resource and condition values of a "2012-10-17"
  policy. A variable whose key the request lacks, with no default, makes that value match nothing.
- Condition operators as IAM documents them: String*, Numeric*, Date*, Bool, BinaryEquals,
  IpAddress/NotIpAddress, Arn*, Null, the ``...IfExists`` forms and the ``ForAllValues:`` /
  ``ForAnyValue:`` set qualifiers. A key absent from the request fails a positive operator and
  satisfies a negated one (StringNotEquals ...); an operator IAM does not know never matches, so
  it can never grant (it can only fail to deny).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable

# Characters a policy variable put into a pattern stands for literally (${*}, or a value that
# holds * or ?): the wildcard compiler turns them back into themselves, not into wildcards.
_LITERAL_STAR, _LITERAL_QUESTION = "\x00", "\x01"
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,]*?)\s*,\s*'([^']*)'\s*$")
CURRENT_VERSION = "2012-10-17"

Context = dict[str, Any]  # lower-cased condition key -> str | bool | int | list of them


@lru_cache(maxsize=4096)
def _regex(pattern: str, ignore_case: bool) -> re.Pattern:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        elif char == _LITERAL_STAR:
            parts.append(re.escape("*"))
        elif char == _LITERAL_QUESTION:
            parts.append(re.escape("?"))
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern and _LITERAL_STAR not in pattern and _LITERAL_QUESTION not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _regex(pattern, ignore_case).fullmatch(value) is not None


def arn_like(pattern: str, value: str) -> bool:
    """ARN against an ARN pattern, part by part (a ``*`` pattern matches everything)."""
    if pattern == "*":
        return True
    wanted = pattern.split(":", 5)
    given = value.split(":", 5)
    if len(wanted) != 6 or len(given) != 6:
        return False  # IAM compares the six parts: a pattern with fewer names no ARN
    return all(wildcard(w, g) for w, g in zip(wanted, given))


def context_value(context: Context, key: str) -> Any:
    return context.get(key.lower())


def substitute(text: str, context: Context, version: str | None) -> str | None:
    """``text`` with its policy variables replaced; None when one has no value (and no default).
    Policies of the 2008 version have no variables: ``${...}`` is literal there."""
    if version != CURRENT_VERSION or "${" not in text:
        return text
    missing = False

    def replace(match: re.Match) -> str:
        nonlocal missing
        inner = match.group(1)
        if inner in ("*", "?", "$"):
            return {"*": _LITERAL_STAR, "?": _LITERAL_QUESTION, "$": "$"}[inner]
        default = None
        with_default = _DEFAULT.match(inner)
        if with_default:
            inner, default = with_default.group(1), with_default.group(2)
        value = context_value(context, inner.strip())
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if value is None:
            value = default
        if value is None:
            missing = True
            return ""
        return _as_text(value).replace("*", _LITERAL_STAR).replace("?", _LITERAL_QUESTION)

    result = _VARIABLE.sub(replace, text)
    return None if missing else result


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _date(text: str) -> float | None:
    """An ISO 8601 date or an epoch number, as epoch seconds."""
    number = _number(text)
    if number is not None:
        return number
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def check(expected: str, actual: str) -> bool:
        a, e = _number(actual), _number(expected)
        return a is not None and e is not None and compare(a, e)
    return check


def _dated(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def check(expected: str, actual: str) -> bool:
        a, e = _date(actual), _date(expected)
        return a is not None and e is not None and compare(a, e)
    return check


def _ip(expected: str, actual: str) -> bool:
    try:
        return ipaddress.ip_address(actual.strip()) in ipaddress.ip_network(expected.strip(), strict=False)
    except ValueError:
        return False


# operator -> (expected, actual) -> bool; the negated operators are the negation of their pair.
OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda e, a: e == a,
    "StringEqualsIgnoreCase": lambda e, a: e.lower() == a.lower(),
    "StringLike": wildcard,
    "NumericEquals": _numeric(lambda a, e: a == e),
    "NumericLessThan": _numeric(lambda a, e: a < e),
    "NumericLessThanEquals": _numeric(lambda a, e: a <= e),
    "NumericGreaterThan": _numeric(lambda a, e: a > e),
    "NumericGreaterThanEquals": _numeric(lambda a, e: a >= e),
    "DateEquals": _dated(lambda a, e: a == e),
    "DateLessThan": _dated(lambda a, e: a < e),
    "DateLessThanEquals": _dated(lambda a, e: a <= e),
    "DateGreaterThan": _dated(lambda a, e: a > e),
    "DateGreaterThanEquals": _dated(lambda a, e: a >= e),
    "Bool": lambda e, a: e.lower() == a.lower(),
    "BinaryEquals": lambda e, a: e == a,
    "IpAddress": _ip,
    "ArnEquals": arn_like,  # IAM matches ArnEquals exactly as ArnLike
    "ArnLike": arn_like,
}
NEGATED = {
    "StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike", "NumericNotEquals": "NumericEquals", "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike",
}
# Operators whose values may hold policy variables (IAM replaces them in string and ARN values).
_WITH_VARIABLES = {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}


def known_operator(operator: str) -> bool:
    _, base, _ = _split_operator(operator)
    return base == "Null" or base in OPERATORS or base in NEGATED


def _split_operator(operator: str) -> tuple[str, str, bool]:
    qualifier = ""
    for prefix in ("ForAllValues:", "ForAnyValue:"):
        if operator.startswith(prefix):
            qualifier, operator = prefix[:-1], operator[len(prefix):]
    if_exists = operator.endswith("IfExists")
    return qualifier, operator[: -len("IfExists")] if if_exists else operator, if_exists


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [_as_text(item) for item in items if item is not None]


def _condition_holds(operator: str, key: str, expected_raw: Any, context: Context, version: str | None) -> bool:
    qualifier, base, if_exists = _split_operator(operator)
    actual = context_value(context, key)
    present = actual is not None and actual != [] and actual != ""
    if base == "Null":
        wanted_absent = any(v.lower() == "true" for v in _values(expected_raw))
        return (not present) == wanted_absent
    negated = base in NEGATED
    compare = OPERATORS.get(NEGATED.get(base, base))
    if compare is None:
        return False
    expected = _values(expected_raw)
    if NEGATED.get(base, base) in _WITH_VARIABLES:
        expected = [v for v in (substitute(e, context, version) for e in expected) if v is not None]
    if actual is None:
        if qualifier == "ForAllValues":
            return True  # every one of no values matches
        if qualifier == "ForAnyValue":
            return False
        return if_exists or negated
    values = _values(actual)

    def matches(value: str) -> bool:
        return any(compare(e, value) for e in expected)

    if qualifier == "ForAllValues":
        return all(matches(v) != negated for v in values)
    if qualifier == "ForAnyValue":
        return any(matches(v) != negated for v in values)
    found = any(matches(v) for v in values)
    return not found if negated else found


def conditions_hold(conditions: dict | None, context: Context, version: str | None = CURRENT_VERSION) -> bool:
    """All operators of a Condition block hold (keys within one operator: all of them)."""
    for operator, tests in (conditions or {}).items():
        if not isinstance(tests, dict):
            return False
        for key, expected in tests.items():
            if not _condition_holds(operator, key, expected, context, version):
                return False
    return True


def build_context(values: dict[str, Any]) -> Context:
    """A request context from condition keys as AWS spells them (keys compare without case)."""
    return {key.lower(): value for key, value in values.items() if value is not None}
