"""Composite alarms' AlarmRule: ALARM(x), OK(x), INSUFFICIENT_DATA(x) (names bare, or quoted when
they hold spaces or parentheses), AND, OR, NOT, TRUE, FALSE and parentheses; NOT binds tightest,
then AND, then OR."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

TOKEN = re.compile(r'\s*(?:(?P<call>ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^()"\s]+))\s*\)'
                   r'|(?P<word>AND|OR|NOT|TRUE|FALSE)(?![\w(])|(?P<paren>[()]))')


class RuleError(ValueError):
    pass


@dataclass
class Rule:
    tree: tuple

    def names(self) -> set[str]:
        found: set[str] = set()

        def walk(node: tuple) -> None:
            if node[0] == "state":
                found.add(node[2])
            for child in node[1:]:
                if isinstance(child, tuple):
                    walk(child)
        walk(self.tree)
        return found

    def evaluate(self, state_of: Callable[[str], str | None]) -> bool:
        def run(node: tuple) -> bool:
            kind = node[0]
            if kind == "state":
                return state_of(node[2]) == node[1]
            if kind == "const":
                return node[1]
            if kind == "not":
                return not run(node[1])
            if kind == "and":
                return run(node[1]) and run(node[2])
            return run(node[1]) or run(node[2])
        return run(self.tree)


def parse_rule(text: str) -> Rule:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = TOKEN.match(text, position)
        if match is None:
            raise RuleError(f"Syntax error at position {position + 1}")
        if match.group("call"):
            tokens.append(("state", match.group("call"), match.group("quoted") if match.group("quoted") is not None
                           else match.group("bare")))
        elif match.group("word"):
            tokens.append(("word", match.group("word")))
        else:
            tokens.append(("paren", match.group("paren")))
        position = match.end()
    at = 0

    def peek():
        return tokens[at] if at < len(tokens) else None

    def expect_word(word: str) -> bool:
        nonlocal at
        if peek() == ("word", word):
            at += 1
            return True
        return False

    def disjunction():
        left = conjunction()
        while expect_word("OR"):
            left = ("or", left, conjunction())
        return left

    def conjunction():
        left = negation()
        while expect_word("AND"):
            left = ("and", left, negation())
        return left

    def negation():
        if expect_word("NOT"):
            return ("not", negation())
        return atom()

    def atom():
        nonlocal at
        token = peek()
        if token is None:
            raise RuleError("Unexpected end of the rule")
        at += 1
        if token[0] == "state":
            return token
        if token in (("word", "TRUE"), ("word", "FALSE")):
            return ("const", token[1] == "TRUE")
        if token == ("paren", "("):
            inner = disjunction()
            if peek() != ("paren", ")"):
                raise RuleError("Missing closing parenthesis")
            at += 1
            return inner
        raise RuleError(f"Unexpected {token[1]}")

    tree = disjunction()
    if at != len(tokens):
        raise RuleError(f"Unexpected {tokens[at][1]}")
    return Rule(tree)
