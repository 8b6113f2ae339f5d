"""Tokens of DynamoDB expressions, and the parser base every expression grammar shares:
token cursor, DynamoDB-style syntax errors, document paths with ``#name`` / ``:value``
substitution, reserved-word checks and the order in which DynamoDB reports semantic errors.
"""

from __future__ import annotations

import re
from typing import NoReturn

from regionbox.core.errors import ServiceError, invalid
from regionbox.services.dynamodb.expressions.attributes import ExpressionAttributes
from regionbox.services.dynamodb.expressions.paths import Path
from regionbox.services.dynamodb.expressions.reserved import RESERVED_WORDS

# token kinds
NAME, NAMEREF, VALUEREF, INT, PUNCT, EOF = "name", "#", ":", "int", "punct", "eof"  # == regex group names
BAD = "bad"  # a character no rule accepts: a syntax error wherever the parser meets it

# One pass of one compiled pattern; the group that matched names the token kind. (Only the
# parse uses it, once per distinct expression text: tokens are cached by text.)
_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<ref>[#:][A-Za-z0-9_]*)|(?P<int>[0-9]+)"
    r"|(?P<punct><>|<=|>=|[()\[\],.=<>+\-])|(?P<bad>\S))"
)
_CACHE_LIMIT = 2048
MAX_EXPRESSION_SIZE = 4096  # bytes, per expression (DynamoDB's documented limit)
MAX_PATH_DEPTH = 32  # levels of a document path, as deep as an item may nest


def parse_guarded(parser: "ParserBase", parse):
    """Run ``parse`` (a recursive-descent entry point) so that absurd nesting, which a 4 KB
    expression can reach, is a ValidationException and not a RecursionError. (DynamoDB rejects
    such expressions too; its exact text for this case is not documented.)"""
    try:
        return parse()
    except RecursionError:
        raise parser.invalid("The expression is nested too deeply;") from None
_token_cache: dict[str, tuple] = {}


class Token:
    __slots__ = ("kind", "text", "start", "end")

    def __init__(self, kind: str, text: str, start: int, end: int):
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == NAME else ""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Token({self.kind}, {self.text!r})"


def tokenize(text: str) -> tuple:
    """Split ``text`` into tokens (the last one is EOF). Tokens are immutable, so the list for
    a text is computed once and shared by every request that sends the same expression."""
    tokens = _token_cache.get(text)
    if tokens is not None:
        return tokens
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind is None:  # trailing whitespace
            continue
        start, end = match.span(kind)
        token_text = match.group(kind)
        if kind == "ref":
            kind = NAMEREF if token_text[0] == "#" else VALUEREF
        out.append(Token(kind, token_text, start, end))
    out.append(Token(EOF, "<EOF>", len(text), len(text)))
    tokens = tuple(out)
    if len(_token_cache) >= _CACHE_LIMIT:
        _token_cache.clear()
    _token_cache[text] = tokens
    return tokens


# Semantic errors, in the order DynamoDB reports them when an expression has several.
_ERROR_ORDER = ("parens", "function", "misused", "reserved", "undefined", "operand", "distinct", "type", "overlap", "other")


class ParserBase:
    """Recursive-descent helpers over a token list. ``label`` names the parameter in messages
    ("ConditionExpression", "UpdateExpression", ...)."""

    label = "Expression"

    def __init__(self, text: str, attrs: ExpressionAttributes, label: str | None = None):
        if label:
            self.label = label
        self.text = text
        self.attrs = attrs
        self.errors: dict[str, str] = {}
        self.error_index = -1  # token index of the last syntax error (the furthest one wins)
        if not isinstance(text, str) or not text.strip():
            raise self.invalid("The expression can not be empty;")
        size = len(text.encode("utf-8"))
        if size > MAX_EXPRESSION_SIZE:
            raise self.invalid(f"Expression size has exceeded the maximum allowed size; expression size: {size}")
        self.tokens = tokenize(text)
        self.pos = 0

    # -- errors ------------------------------------------------------------------------------
    def invalid(self, message: str) -> ServiceError:
        return invalid(f"Invalid {self.label}: {message}")

    def syntax_error(self, token: Token | None = None) -> NoReturn:
        """DynamoDB's message: the offending token and the text around it (the token before
        through the token after)."""
        index = self.pos if token is None else self.tokens.index(token)
        token = self.tokens[index]
        before = self.tokens[index - 1] if index > 0 else token
        after = self.tokens[index + 1] if index + 1 < len(self.tokens) else token
        near = self.text[before.start:max(after.end, token.end)]
        self.error_index = index
        raise self.invalid(f'Syntax error; token: "{token.text}", near: "{near}"')

    def note(self, category: str, message: str) -> None:
        """Remember a semantic error; the first of the highest-priority category is raised by
        ``finish`` once the whole expression has parsed (DynamoDB reports syntax first)."""
        self.errors.setdefault(category, message)

    def finish(self) -> None:
        if self.peek().kind != EOF:
            self.syntax_error()
        for category in _ERROR_ORDER:
            if category in self.errors:
                raise self.invalid(self.errors[category])

    # -- cursor ------------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else self.tokens[-1]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != EOF:
            self.pos += 1
        return token

    def at_punct(self, text: str) -> bool:
        token = self.tokens[self.pos]
        return token.kind == PUNCT and token.text == text

    def at_keyword(self, word: str) -> bool:
        token = self.tokens[self.pos]
        return token.kind == NAME and token.text.upper() == word

    def expect_punct(self, text: str) -> Token:
        if not self.at_punct(text):
            self.syntax_error()
        return self.advance()

    def expect_keyword(self, word: str) -> Token:
        if not self.at_keyword(word):
            self.syntax_error()
        return self.advance()

    def closing(self, index: int) -> int:
        """Index of the ')' matching the '(' at ``index`` (the EOF token when unbalanced)."""
        depth = 0
        for i in range(index, len(self.tokens)):
            token = self.tokens[i]
            if token.kind == PUNCT and token.text == "(":
                depth += 1
            elif token.kind == PUNCT and token.text == ")":
                depth -= 1
                if depth == 0:
                    return i
        return len(self.tokens) - 1

    def redundant_parens(self) -> bool:
        """At '(': is it ``((x))``, two parentheses around the very same thing?"""
        if not (self.at_punct("(") and self.peek(1).kind == PUNCT and self.peek(1).text == "("):
            return False
        outer, inner = self.closing(self.pos), self.closing(self.pos + 1)
        return outer == inner + 1

    # -- operands ----------------------------------------------------------------------------
    def value(self, token: Token) -> dict | None:
        value = self.attrs.value(token.text)
        if value is None:
            self.note("undefined", f"An expression attribute value used in expression is not defined; attribute value: {token.text}")
        return value

    def path_element_name(self, token: Token) -> str:
        if token.kind == NAMEREF:
            name = self.attrs.name(token.text)
            if name is None:
                self.note("undefined", f"An expression attribute name used in the document path is not defined; attribute name: {token.text}")
                return token.text
            return name
        if token.text.upper() in RESERVED_WORDS:
            self.note("reserved", f"Attribute name is a reserved keyword; reserved keyword: {token.text}")
        return token.text

    def parse_path(self) -> Path:
        """``name ( '.' name | '[' int ']' )*`` where a name is an identifier or ``#ref``."""
        token = self.peek()
        if token.kind not in (NAME, NAMEREF) or token.upper in _KEYWORDS:
            self.syntax_error()
        self.advance()
        return self.parse_path_steps([self.path_element_name(token)])

    def parse_path_steps(self, elements: list) -> Path:
        """The ``.name`` and ``[index]`` steps that follow the start of a path."""
        while True:
            if self.at_punct("."):
                self.advance()
                token = self.peek()
                if token.kind not in (NAME, NAMEREF):
                    self.syntax_error()
                self.advance()
                elements.append(self.path_element_name(token))
            elif self.at_punct("["):
                self.advance()
                token = self.peek()
                if token.kind != INT:
                    self.syntax_error()
                self.advance()
                self.expect_punct("]")
                elements.append(int(token.text))
            else:
                if len(elements) > MAX_PATH_DEPTH:
                    self.note("other", f"The document path has too many nesting levels; nesting levels: {len(elements)}")
                return tuple(elements)


# Words that are grammar, never a document path (DynamoDB reports them as syntax errors).
_KEYWORDS = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN"})
