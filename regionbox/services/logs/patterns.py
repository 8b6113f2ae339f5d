"""CloudWatch Logs filter patterns, compiled to a predicate over an event's message.

Three syntaxes, as CloudWatch Logs has them:

- terms: ``ERROR``, ``"quoted phrase"``, ``-excluded``, ``?either ?or``, ``%regex%``;
  plain terms must all match, at least one ``?`` term must match when there are any,
  no ``-`` term may match. Matching is case-sensitive and by substring.
- JSON: ``{ $.user.id = 5 && ($.level = "ERR*" || $.latency > 1.5) }`` with ``=``, ``!=``,
  ``<``, ``<=``, ``>``, ``>=``, ``IS NULL``, ``NOT EXISTS``, ``IS TRUE``/``IS FALSE``; string values
  may use ``*`` wildcards; a message that is not a JSON object never matches.
- space-delimited: ``[ip, user, ..., status = 4*, size > 1000]`` over whitespace-separated fields,
  where ``"..."`` and ``[...]`` group a field, and ``...`` stands for any number of fields.

A pattern that does not parse raises ``PatternError`` with the reason.

``compile_pattern`` gives a predicate (FilterLogEvents, Live Tail, subscription filters);
``compile_extractor`` gives, for a matching message, the values the pattern names (metric
filters and TestMetricFilter): ``{"$status": "404"}`` for a space-delimited field,
``{"$.latency": 1.5}`` for a JSON selector, nothing for terms.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any, Callable

Predicate = Callable[[str], bool]
# The values a pattern names in a message it matches; None when it does not match.
Extractor = Callable[[str], "dict[str, Any] | None"]
_NOTHING: dict[str, Any] = {}


class PatternError(ValueError):
    pass


def compile_pattern(pattern: str | None) -> Predicate:
    text = (pattern or "").strip()
    if not text:
        return lambda message: True
    if text.startswith("{"):
        extract = _json_pattern(text)
        return lambda message: extract(message) is not None
    if text.startswith("["):
        extract = _space_delimited(text)
        return lambda message: extract(message) is not None
    return _terms(text)


def compile_extractor(pattern: str | None) -> Extractor:
    text = (pattern or "").strip()
    if text.startswith("{"):
        return _json_pattern(text)
    if text.startswith("["):
        return _space_delimited(text)
    matches = compile_pattern(text)
    return lambda message: _NOTHING if matches(message) else None


def pattern_kind(pattern: str | None) -> str:
    """"json", "space-delimited" or "terms" (an empty pattern is terms that match everything)."""
    text = (pattern or "").strip()
    return "json" if text.startswith("{") else "space-delimited" if text.startswith("[") else "terms"


def regex_count(pattern: str | None) -> int:
    """How many %regular expressions% a pattern holds (AWS allows two per filter)."""
    return len(re.findall(r"%(?:[^%\\]|\\.)+%", pattern or ""))


# -- terms -------------------------------------------------------------------------------------

_TERM = re.compile(r'([?-]?)(?:"((?:[^"\\]|\\.)*)"|%((?:[^%\\]|\\.)+)%|([^\s"%]+))')


def _terms(text: str) -> Predicate:
    required: list[Predicate] = []
    optional: list[Predicate] = []
    excluded: list[Predicate] = []
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        match = _TERM.match(text, position)
        if match is None:
            raise PatternError(f"Invalid character(s) in term '{text[position:].split()[0]}'")
        prefix, quoted, regex, bare = match.groups()
        if regex is not None:
            try:
                compiled = re.compile(regex)
            except re.error as exc:
                raise PatternError(f"Invalid regular expression '%{regex}%': {exc}") from None
            test: Predicate = lambda m, c=compiled: c.search(m) is not None
        else:
            needle = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
            test = lambda m, n=needle: n in m
        {"": required, "?": optional, "-": excluded}[prefix].append(test)
        position = match.end()

    def matches(message: str) -> bool:
        return (all(t(message) for t in required)
                and (not optional or any(t(message) for t in optional))
                and not any(t(message) for t in excluded))

    return matches


# -- shared comparison of a field against a pattern value ----------------------------------------

_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value)
    return None


def _compare(actual: Any, operator: str, expected: Any, expected_is_string: bool) -> bool:
    if not expected_is_string and _as_number(expected) is not None:
        left, right = _as_number(actual), float(expected)
        if left is None:
            return False
        return {"=": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
                ">": left > right, ">=": left >= right}[operator]
    if operator not in ("=", "!="):
        raise PatternError(f"Operator {operator} needs a numeric value")
    if actual is None or isinstance(actual, (dict, list)):
        return False
    text = ("true" if actual else "false") if isinstance(actual, bool) else str(actual)
    equal = fnmatch.fnmatchcase(text, str(expected).replace("[", "[[]"))
    return equal if operator == "=" else not equal


# -- JSON patterns -------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(r"""
    \s*(?:
      (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\))
    | (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<word>[^\s()=!<>&|"]+)
    )""", re.X)
_MISSING = object()


def _json_tokens(body: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(body):
        if body[position:].strip() == "":
            break
        match = _JSON_TOKEN.match(body, position)
        if match is None or match.end() == position:
            raise PatternError(f"Invalid filter pattern near '{body[position:].strip()[:20]}'")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


_SELECTOR_PART = re.compile(r"\.([A-Za-z0-9_\-@$]+)|\[(\d+)\]|\[\*\]")


def parse_selector(text: str) -> list:
    if not text.startswith("$"):
        raise PatternError(f"Invalid selector '{text}': selectors start with $")
    parts, position = [], 1
    while position < len(text):
        match = _SELECTOR_PART.match(text, position)
        if match is None:
            raise PatternError(f"Invalid selector '{text}'")
        parts.append(match.group(1) if match.group(1) is not None else (int(match.group(2)) if match.group(2) else "*"))
        position = match.end()
    return parts


def resolve(document: Any, path: list) -> list:
    """Values a selector reaches (``[*]`` may reach several); empty when it reaches nothing."""
    values = [document]
    for part in path:
        reached = []
        for value in values:
            if part == "*" and isinstance(value, list):
                reached.extend(value)
            elif isinstance(part, int) and isinstance(value, list) and part < len(value):
                reached.append(value[part])
            elif isinstance(part, str) and part != "*" and isinstance(value, dict) and part in value:
                reached.append(value[part])
        values = reached
    return values


class TokenCursor:
    """Walks a list of (kind, text) tokens; shared by the pattern and Insights parsers."""

    # What is raised when a token is needed past the end.
    error_type: type[Exception]
    end_message: str

    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.position = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.error_type(self.end_message)
        self.position += 1
        return token


class _JsonParser(TokenCursor):
    """Recursive descent: or := and ('||' and)*; and := unary ('&&' unary)*; unary := '(' or ')' | test."""

    error_type, end_message = PatternError, "Invalid filter pattern: unexpected end"

    def __init__(self, tokens: list[tuple[str, str]]):
        super().__init__(tokens)
        self.selectors: dict[str, list] = {}  # selector text -> path, in the order they appear

    def parse(self) -> Callable[[Any], bool]:
        expression = self.disjunction()
        if self.peek() is not None:
            raise PatternError(f"Invalid filter pattern near '{self.peek()[1]}'")
        return expression

    def disjunction(self):
        terms = [self.conjunction()]
        while self.peek() == ("op", "||"):
            self.take()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else (lambda doc, ts=terms: any(t(doc) for t in ts))

    def conjunction(self):
        terms = [self.unary()]
        while self.peek() == ("op", "&&"):
            self.take()
            terms.append(self.unary())
        return terms[0] if len(terms) == 1 else (lambda doc, ts=terms: all(t(doc) for t in ts))

    def unary(self):
        if self.peek() == ("op", "("):
            self.take()
            inner = self.disjunction()
            if self.take() != ("op", ")"):
                raise PatternError("Invalid filter pattern: missing )")
            return inner
        return self.test()

    def test(self):
        kind, text = self.take()
        if kind != "word":
            raise PatternError(f"Invalid filter pattern near '{text}'")
        path = parse_selector(text)
        self.selectors.setdefault(text, path)
        kind, text = self.take()
        if kind == "word" and text.upper() in ("IS", "NOT"):
            return self.keyword_test(path, text.upper())
        if kind != "op" or text not in ("=", "!=", "<", "<=", ">", ">="):
            raise PatternError(f"Invalid filter pattern: expected an operator after the selector, got '{text}'")
        operator = text
        kind, value = self.take()
        if kind == "op":
            raise PatternError(f"Invalid filter pattern: expected a value after {operator}")
        is_string = kind == "string"
        if is_string:
            value = json.loads(value)
        elif operator not in ("=", "!=") and _as_number(value) is None:
            raise PatternError(f"Invalid filter pattern: {operator} needs a number, got '{value}'")

        def test(doc, path=path, operator=operator, value=value, is_string=is_string):
            found = resolve(doc, path)
            return any(_compare(v, operator, value, is_string) for v in found)

        return test

    def keyword_test(self, path: list, first: str):
        words = [first]
        while self.peek() and self.peek()[0] == "word" and self.peek()[1].upper() in ("NOT", "NULL", "EXISTS", "TRUE", "FALSE"):
            words.append(self.take()[1].upper())
        phrase = " ".join(words)
        if phrase == "IS NULL":
            return lambda doc: any(v is None for v in resolve(doc, path))
        if phrase == "NOT EXISTS":
            return lambda doc: not resolve(doc, path)
        if phrase == "EXISTS":
            return lambda doc: bool(resolve(doc, path))
        if phrase in ("IS TRUE", "IS FALSE"):
            wanted = phrase == "IS TRUE"
            return lambda doc: any(v is wanted for v in resolve(doc, path))
        raise PatternError(f"Invalid filter pattern: unknown test '{phrase}'")


def _json_pattern(text: str) -> Extractor:
    if not text.endswith("}"):
        raise PatternError("Invalid filter pattern: a JSON pattern ends with }")
    tokens = _json_tokens(text[1:-1])
    if not tokens:
        raise PatternError("Invalid filter pattern: empty JSON pattern")
    parser = _JsonParser(tokens)
    expression = parser.parse()
    selectors = parser.selectors

    def extract(message: str) -> dict[str, Any] | None:
        try:
            document = json.loads(message)
        except ValueError:
            return None
        if not isinstance(document, (dict, list)) or not expression(document):
            return None
        found = {}
        for name, path in selectors.items():
            values = resolve(document, path)
            if values:
                found[name] = values[0]
        return found

    return extract


# -- space-delimited patterns --------------------------------------------------------------------

_FIELD = re.compile(r'"[^"]*"|\[[^\]]*\]|\S+')
_CONDITION = re.compile(r"^\s*([A-Za-z_][\w]*)\s*(!=|<=|>=|=|<|>)\s*(.+?)\s*$")


def _split_fields(message: str) -> list[str]:
    return [f[1:-1] if f[:1] in '"[' and len(f) > 1 else f for f in _FIELD.findall(message)]


def _space_delimited(text: str) -> Extractor:
    if not text.endswith("]"):
        raise PatternError("Invalid filter pattern: a space-delimited pattern ends with ]")
    specs = [s.strip() for s in text[1:-1].split(",")]
    if any(not s for s in specs):
        raise PatternError("Invalid filter pattern: empty field in space-delimited pattern")
    # each spec: "..." (any fields) or a field with optional conditions joined by && / ||
    compiled: list[tuple[str, Callable[[str], bool]] | None] = []
    for spec in specs:
        if spec == "...":
            compiled.append(None)
            continue
        alternatives = []
        name = ""
        for alternative in spec.split("||"):
            conditions = []
            for part in alternative.split("&&"):
                part = part.strip()
                match = _CONDITION.match(part)
                if match is None:
                    if not re.fullmatch(r"[A-Za-z_]\w*", part):
                        raise PatternError(f"Invalid filter pattern: bad field '{part}'")
                    name = name or part
                    continue
                field_name, operator, value = match.groups()
                name = name or field_name
                is_string = value.startswith('"')
                value = value[1:-1] if is_string else value
                if operator not in ("=", "!=") and _as_number(value) is None:
                    raise PatternError(f"Invalid filter pattern: {operator} needs a number, got '{value}'")
                conditions.append(lambda f, o=operator, v=value, s=is_string: _compare(f, o, v, s))
            alternatives.append(conditions)
        compiled.append((name, lambda f, alts=alternatives: any(all(c(f) for c in conds) for conds in alts)))

    def fits(fields: list[str], specs: list) -> dict[str, Any] | None:
        if not specs:
            return {} if not fields else None
        head, rest = specs[0], specs[1:]
        if head is None:
            for i in range(len(fields) + 1):
                found = fits(fields[i:], rest)
                if found is not None:
                    return found
            return None
        name, test = head
        if not fields or not test(fields[0]):
            return None
        found = fits(fields[1:], rest)
        if found is not None and name:
            found[f"${name}"] = fields[0]
        return found

    names = [f"${spec[0]}" for spec in compiled if spec is not None and spec[0]]

    def extract(message: str) -> dict[str, Any] | None:
        found = fits(_split_fields(message), compiled)
        return None if found is None else {name: found[name] for name in names if name in found}

    return extract
