"""DynamoDB expressions as the DAX client sends them, back into DynamoDB's text.

The client parses each expression and sends ``[1, tree, [values...]]`` (a projection:
``[1, [paths...]]``). A tree node is ``[function, args...]``; a document path is
``[18, name, name | ordinal-tag, ...]`` with ``#name`` substitutions already resolved, and a
value is ``[17, n]``, the n-th entry of that expression's own value list. We render the tree
with fresh placeholders (``#dN`` for names, ``:<prefix>N`` for values, the prefix unique per
expression since every expression numbers its values from 0) and give DynamoDB the text, so its
own parser, validation and messages apply.
"""

from __future__ import annotations

from typing import Any

import cbor2

from regionbox.protocol.dax.codes import TAG_PATH_ORDINAL
from regionbox.protocol.dax.values import BadValue, loads, to_av

ENCODING_FORMAT = 1
(EQ, NE, LT, GE, GT, LE, AND, OR, NOT, BETWEEN, IN, ATTRIBUTE_EXISTS, ATTRIBUTE_NOT_EXISTS, ATTRIBUTE_TYPE,
 BEGINS_WITH, CONTAINS, SIZE, VARIABLE, PATH, SET, ADD, DELETE, REMOVE, IF_NOT_EXISTS, LIST_APPEND, PLUS,
 MINUS) = range(27)
COMPARATORS = {EQ: "=", NE: "<>", LT: "<", GE: ">=", GT: ">", LE: "<="}
FUNCTIONS = {ATTRIBUTE_EXISTS: "attribute_exists", ATTRIBUTE_NOT_EXISTS: "attribute_not_exists",
             ATTRIBUTE_TYPE: "attribute_type", BEGINS_WITH: "begins_with", CONTAINS: "contains", SIZE: "size",
             IF_NOT_EXISTS: "if_not_exists", LIST_APPEND: "list_append"}
ACTIONS = {SET: "SET", REMOVE: "REMOVE", ADD: "ADD", DELETE: "DELETE"}
MAX_DEPTH = 64


class Expressions:
    """Collects the names and values of the expressions of one request."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self._name_of: dict[str, str] = {}
        self.values: dict[str, dict] = {}

    def attribute_names(self) -> dict[str, str] | None:
        return dict(self.names) or None

    def attribute_values(self) -> dict[str, dict] | None:
        return dict(self.values) or None

    def condition(self, data: Any, prefix: str) -> str:
        """A condition, key condition or filter expression."""
        tree, values = self._open(data, prefix)
        text = _Renderer(self, values, prefix).condition(tree, 0)
        # the outermost AND/OR needs no parentheses (and key conditions read better without)
        return text[1:-1] if type(tree) is list and tree and tree[0] in (AND, OR) else text

    def update(self, data: Any, prefix: str) -> str:
        tree, values = self._open(data, prefix)
        renderer = _Renderer(self, values, prefix)
        if type(tree) is not list:
            raise BadValue("an update expression must be a list of actions")
        clauses: dict[str, list[str]] = {}
        for action in tree:
            if type(action) is not list or not action or action[0] not in ACTIONS:
                raise BadValue("bad update action")
            kind, args = action[0], action[1:]
            if kind == REMOVE and len(args) == 1:
                text = renderer.path(args[0])
            elif kind == SET and len(args) == 2:
                text = f"{renderer.path(args[0])} = {renderer.operand(args[1], 0)}"
            elif kind in (ADD, DELETE) and len(args) == 2:
                text = f"{renderer.path(args[0])} {renderer.operand(args[1], 0)}"
            else:
                raise BadValue("bad update action")
            clauses.setdefault(ACTIONS[kind], []).append(text)
        return " ".join(f"{verb} {', '.join(texts)}" for verb, texts in clauses.items())

    def projection(self, data: Any) -> tuple[str, list[list]]:
        """The projection's text and its paths (names and ordinals), in the client's order."""
        decoded = loads(data) if type(data) is bytes else None
        if type(decoded) is not list or len(decoded) != 2 or decoded[0] != ENCODING_FORMAT or type(decoded[1]) is not list:
            raise BadValue("bad projection expression")
        renderer = _Renderer(self, [], "p")
        texts, paths = [], []
        for path in decoded[1]:
            texts.append(renderer.path(path))
            paths.append(_steps(path))
        return ", ".join(texts), paths

    def _open(self, data: Any, prefix: str) -> tuple[Any, list]:
        decoded = loads(data) if type(data) is bytes else None
        if type(decoded) is not list or len(decoded) != 3 or decoded[0] != ENCODING_FORMAT or type(decoded[2]) is not list:
            raise BadValue("bad expression")
        return decoded[1], decoded[2]

    def name(self, name: str) -> str:
        placeholder = self._name_of.get(name)
        if placeholder is None:
            placeholder = self._name_of[name] = f"#d{len(self._name_of)}"
            self.names[placeholder] = name
        return placeholder


class _Renderer:
    def __init__(self, owner: Expressions, values: list, prefix: str) -> None:
        self.owner = owner
        self.values = values
        self.prefix = prefix

    def condition(self, node: Any, depth: int) -> str:
        fn, args = _node(node, depth)
        if fn in COMPARATORS and len(args) == 2:
            return f"{self.operand(args[0], depth + 1)} {COMPARATORS[fn]} {self.operand(args[1], depth + 1)}"
        if fn in (AND, OR) and len(args) == 2:
            word = "AND" if fn == AND else "OR"
            return f"({self.condition(args[0], depth + 1)} {word} {self.condition(args[1], depth + 1)})"
        if fn == NOT and len(args) == 1:
            return f"(NOT {self.condition(args[0], depth + 1)})"
        if fn == BETWEEN and len(args) == 3:
            a, b, c = (self.operand(arg, depth + 1) for arg in args)
            return f"{a} BETWEEN {b} AND {c}"
        if fn == IN and len(args) == 2 and type(args[1]) is list and args[1]:
            choices = ", ".join(self.operand(arg, depth + 1) for arg in args[1])
            return f"{self.operand(args[0], depth + 1)} IN ({choices})"
        if fn in FUNCTIONS:
            return self.function(fn, args, depth)
        raise BadValue(f"unknown condition function {fn}")

    def operand(self, node: Any, depth: int) -> str:
        fn, args = _node(node, depth)
        if fn == PATH:
            return self.path(node)
        if fn == VARIABLE and len(args) == 1:
            return self.variable(args[0])
        if fn in (PLUS, MINUS) and len(args) == 2:
            sign = "+" if fn == PLUS else "-"
            return f"{self.operand(args[0], depth + 1)} {sign} {self.operand(args[1], depth + 1)}"
        if fn in FUNCTIONS:
            return self.function(fn, args, depth)
        raise BadValue(f"unknown operand {fn}")

    def function(self, fn: int, args: list, depth: int) -> str:
        return f"{FUNCTIONS[fn]}({', '.join(self.operand(arg, depth + 1) for arg in args)})"

    def variable(self, index: Any) -> str:
        if type(index) is not int or not 0 <= index < len(self.values):
            raise BadValue("expression value out of range")
        placeholder = f":{self.prefix}{index}"
        if placeholder not in self.owner.values:
            self.owner.values[placeholder] = to_av(self.values[index])
        return placeholder

    def path(self, node: Any) -> str:
        text = ""
        for step in _steps(node):
            text += f"[{step}]" if type(step) is int else (("." if text else "") + self.owner.name(step))
        return text


def _node(node: Any, depth: int) -> tuple[int, list]:
    if depth > MAX_DEPTH:
        raise BadValue("expression too deep")
    if type(node) is not list or not node or type(node[0]) is not int:
        raise BadValue("bad expression node")
    return node[0], node[1:]


def _steps(node: Any) -> list:
    if type(node) is not list or len(node) < 2 or node[0] != PATH:
        raise BadValue("bad document path")
    steps = []
    for i, step in enumerate(node[1:]):
        if type(step) is str:
            steps.append(step)
        elif type(step) is cbor2.CBORTag and step.tag == TAG_PATH_ORDINAL and type(step.value) is int and i:
            steps.append(step.value)
        else:
            raise BadValue("bad document path element")
    return steps
