"""A small Velocity (VTL) engine: the part of the language API Gateway's mapping templates use.

- references: ``$x``, ``$!x``, ``${x}``, ``$!{x}``, with properties (``$context.identity.sourceIp``),
  method calls (``$input.params('id')``, ``$util.escapeJavaScript($x)``, ``$list.size()``) and
  indexes (``$items[0]``); an undefined reference renders as written, or as nothing when quiet (``$!``);
- directives: ``#set($x = ...)``, ``#if (...) #elseif (...) #else #end``, ``#foreach($x in ...) #end``
  (with ``$foreach.hasNext`` and ``$foreach.index``), ``##`` and ``#* *#`` comments;
- expressions: strings ('...' as written, "..." with references), numbers, true/false/null,
  lists ``[a, b]``, ``+ - * /``, comparisons, ``&& || !`` (and ``and or not``), parentheses.

What the template objects offer (``$input``, ``$util``, ``$context``) is the caller's (templates.py).
A template this engine cannot parse raises ``TemplateError``, which the data plane answers as AWS
answers a template that fails: 500 Internal server error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

_ID_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_ID_CHARS = _ID_START + "0123456789-"
_MAX_LOOP = 10_000  # #foreach over more is cut short, as Velocity's directive.foreach.maxloops


class TemplateError(ValueError):
    pass


# -- the tree -----------------------------------------------------------------------------------
@dataclass
class Ref:
    name: str
    suffixes: list  # ("prop", name) | ("call", name, [Expr]) | ("index", Expr)
    quiet: bool = False
    raw: str = ""


@dataclass
class Literal:
    value: Any


@dataclass
class Interpolated:
    nodes: list


@dataclass
class ListExpr:
    items: list


@dataclass
class Unary:
    op: str
    operand: Any


@dataclass
class Binary:
    op: str
    left: Any
    right: Any


@dataclass
class SetNode:
    target: Ref
    value: Any


@dataclass
class IfNode:
    branches: list  # [(condition, nodes)]
    otherwise: list


@dataclass
class ForeachNode:
    variable: str
    iterable: Any
    body: list


# -- parsing ------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str) -> TemplateError:
        return TemplateError(f"{message} at character {self.pos}")

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def starts(self, word: str) -> bool:
        return self.text.startswith(word, self.pos)

    def skip_space(self) -> None:
        while self.peek() and self.peek() in " \t\r\n":
            self.pos += 1

    def expect(self, char: str) -> None:
        self.skip_space()
        if self.peek() != char:
            raise self.error(f"expected {char!r}")
        self.pos += 1

    # template text
    def block(self, stops: tuple[str, ...] = ()) -> tuple[list, str | None]:
        nodes: list = []
        text: list[str] = []

        def flush() -> None:
            if text:
                nodes.append("".join(text))
                text.clear()
        while self.pos < len(self.text):
            char = self.peek()
            if char == "#":
                if self.starts("##"):
                    end = self.text.find("\n", self.pos)
                    self.pos = len(self.text) if end < 0 else end + 1
                    continue
                if self.starts("#*"):
                    end = self.text.find("*#", self.pos + 2)
                    self.pos = len(self.text) if end < 0 else end + 2
                    continue
                word = self._directive_word()
                if word in stops:
                    flush()
                    return nodes, word
                if word in ("set", "if", "foreach"):
                    flush()
                    nodes.append(getattr(self, f"_{word}")())
                    continue
                if word in ("elseif", "else", "end"):
                    raise self.error(f"#{word} without #if or #foreach")
            elif char == "$" and self._reference_ahead():
                flush()
                start = self.pos
                reference = self.reference()
                reference.raw = self.text[start:self.pos]
                nodes.append(reference)
                continue
            text.append(char)
            self.pos += 1
        flush()
        if stops:
            raise self.error("#end missing")
        return nodes, None

    def _directive_word(self) -> str | None:
        for word in ("foreach", "elseif", "else", "end", "set", "if"):
            for form in (f"#{word}", f"#{{{word}}}"):
                if self.starts(form):
                    after = self.text[self.pos + len(form):self.pos + len(form) + 1]
                    if form.endswith("}") or not after or after not in _ID_CHARS:
                        self.pos += len(form)
                        return word
        return None

    def _reference_ahead(self) -> bool:
        ahead = 1
        if self.peek(ahead) == "!":
            ahead += 1
        if self.peek(ahead) == "{":
            ahead += 1
        return bool(self.peek(ahead)) and self.peek(ahead) in _ID_START

    def _condition(self) -> Any:
        self.expect("(")
        condition = self.expression()
        self.expect(")")
        return condition

    def _set(self) -> SetNode:
        self.expect("(")
        self.skip_space()
        target = self.reference()
        self.expect("=")
        value = self.expression()
        self.expect(")")
        return SetNode(target, value)

    def _if(self) -> IfNode:
        branches = []
        condition = self._condition()
        while True:
            nodes, stop = self.block(("elseif", "else", "end"))
            branches.append((condition, nodes))
            if stop == "elseif":
                condition = self._condition()
                continue
            if stop == "else":
                otherwise, _ = self.block(("end",))
                return IfNode(branches, otherwise)
            return IfNode(branches, [])

    def _foreach(self) -> ForeachNode:
        self.expect("(")
        self.skip_space()
        variable = self.reference()
        self.skip_space()
        if not self.starts("in"):
            raise self.error("expected 'in'")
        self.pos += 2
        iterable = self.expression()
        self.expect(")")
        body, _ = self.block(("end",))
        return ForeachNode(variable.name, iterable, body)

    # references
    def identifier(self) -> str:
        start = self.pos
        if not self.peek() or self.peek() not in _ID_START:
            raise self.error("expected a name")
        while self.peek() and self.peek() in _ID_CHARS:
            self.pos += 1
        return self.text[start:self.pos]

    def reference(self) -> Ref:
        if self.peek() != "$":
            raise self.error("expected a reference")
        self.pos += 1
        quiet = self.peek() == "!"
        if quiet:
            self.pos += 1
        braced = self.peek() == "{"
        if braced:
            self.pos += 1
        reference = Ref(self.identifier(), [], quiet)
        while True:
            if self.peek() == "." and self.peek(1) and self.peek(1) in _ID_START:
                self.pos += 1
                name = self.identifier()
                if self.peek() == "(":
                    self.pos += 1
                    reference.suffixes.append(("call", name, self._arguments(")")))
                else:
                    reference.suffixes.append(("prop", name))
            elif self.peek() == "[":
                self.pos += 1
                index = self.expression()
                self.expect("]")
                reference.suffixes.append(("index", index))
            else:
                break
        if braced:
            self.expect("}")
        return reference

    def _arguments(self, closing: str) -> list:
        arguments = []
        self.skip_space()
        if self.peek() == closing:
            self.pos += 1
            return arguments
        while True:
            arguments.append(self.expression())
            self.skip_space()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect(closing)
            return arguments

    # expressions
    def expression(self) -> Any:
        return self._binary(0)

    _LEVELS = (("||", "or"), ("&&", "and"), ("==", "!=", "eq", "ne"), ("<=", ">=", "<", ">", "le", "ge", "lt", "gt"),
               ("+", "-"), ("*", "/", "%"))

    def _binary(self, level: int) -> Any:
        if level == len(self._LEVELS):
            return self._unary()
        left = self._binary(level + 1)
        while True:
            self.skip_space()
            op = next((op for op in self._LEVELS[level] if self.starts(op)
                       and (op[0] not in _ID_START or self.peek(len(op)) in (" ", "(", "$", "!"))), None)
            if op is None:
                return left
            self.pos += len(op)
            left = Binary(_CANONICAL.get(op, op), left, self._binary(level + 1))

    def _unary(self) -> Any:
        self.skip_space()
        if self.peek() == "!" and self.peek(1) != "=":
            self.pos += 1
            return Unary("!", self._unary())
        if self.starts("not ") or self.starts("not("):
            self.pos += 3
            return Unary("!", self._unary())
        if self.peek() == "-" and self.peek(1).isdigit():
            self.pos += 1
            return Unary("-", self._unary())
        return self._primary()

    def _primary(self) -> Any:
        self.skip_space()
        char = self.peek()
        if char == "(":
            self.pos += 1
            inner = self.expression()
            self.expect(")")
            return inner
        if char == "$":
            return self.reference()
        if char == "[":
            self.pos += 1
            return ListExpr(self._arguments("]"))
        if char in ("'", '"'):
            return self._string(char)
        if char.isdigit():
            start = self.pos
            while self.peek().isdigit() or (self.peek() == "." and self.peek(1).isdigit()):
                self.pos += 1
            number = self.text[start:self.pos]
            return Literal(float(number) if "." in number else int(number))
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.starts(word):
                self.pos += len(word)
                return Literal(value)
        raise self.error("expected a value")

    def _string(self, quote: str) -> Any:
        self.pos += 1
        end = self.text.find(quote, self.pos)
        if end < 0:
            raise self.error("unterminated string")
        body = self.text[self.pos:end]
        self.pos = end + 1
        if quote == "'" or "$" not in body:
            return Literal(body)
        nodes, _ = _Parser(body).block()
        return Interpolated(nodes)


_CANONICAL = {"or": "||", "and": "&&", "eq": "==", "ne": "!=", "le": "<=", "ge": ">=", "lt": "<", "gt": ">"}


@lru_cache(maxsize=1024)
def parse(template: str) -> list:
    """The template's tree (kept: a deployed API renders the same templates on every call)."""
    return _Parser(template).block()[0]


# -- evaluation ---------------------------------------------------------------------------------
def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


class _Foreach:
    def __init__(self, index: int, count: int) -> None:
        self.index = index
        self.count = index + 1
        self.hasNext = index + 1 < count
        self.first = index == 0
        self.last = index + 1 == count


def render(template: str | list, variables: dict[str, Any]) -> str:
    nodes = parse(template) if isinstance(template, str) else template
    out: list[str] = []
    _run(nodes, dict(variables), out)
    return "".join(out)


def _run(nodes: list, scope: dict[str, Any], out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Ref):
            value = _reference(node, scope)
            out.append(text_of(value) if value is not None else ("" if node.quiet else node.raw))
        elif isinstance(node, SetNode):
            _assign(node.target, _evaluate(node.value, scope), scope)
        elif isinstance(node, IfNode):
            for condition, body in node.branches:
                if _truthy(_evaluate(condition, scope)):
                    _run(body, scope, out)
                    break
            else:
                _run(node.otherwise, scope, out)
        elif isinstance(node, ForeachNode):
            items = _evaluate(node.iterable, scope)
            if isinstance(items, dict):
                items = list(items.values())
            items = list(items or [])[:_MAX_LOOP]
            for index, item in enumerate(items):
                scope[node.variable] = item
                scope["foreach"] = _Foreach(index, len(items))
                _run(node.body, scope, out)


def _truthy(value: Any) -> bool:
    return value is not None and value is not False and value != ""


def _assign(target: Ref, value: Any, scope: dict[str, Any]) -> None:
    if not target.suffixes:
        scope[target.name] = value
        return
    container = _reference(Ref(target.name, target.suffixes[:-1]), scope)
    last = target.suffixes[-1]
    if isinstance(container, dict) and last[0] == "prop":
        container[last[1]] = value


def _reference(reference: Ref, scope: dict[str, Any]) -> Any:
    value = scope.get(reference.name)
    for suffix in reference.suffixes:
        if value is None:
            return None
        if suffix[0] == "prop":
            value = _property(value, suffix[1])
        elif suffix[0] == "index":
            index = _evaluate(suffix[1], scope)
            try:
                value = value[index]
            except (KeyError, IndexError, TypeError):
                return None
        else:
            value = _call(value, suffix[1], [_evaluate(argument, scope) for argument in suffix[2]])
    return value


def _property(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return value.get(name)
    if name.startswith("_"):
        return None
    found = getattr(value, name, None)
    if found is None:
        getter = getattr(value, "get" + name[:1].upper() + name[1:], None)  # Java bean style: $x.size -> getSize()
        return getter() if callable(getter) else None
    return found


_STRING_METHODS: dict[str, Callable] = {
    "length": len, "size": len, "isEmpty": lambda s: len(s) == 0, "toLowerCase": str.lower, "toUpperCase": str.upper,
    "trim": str.strip, "contains": lambda s, x: str(x) in s, "startsWith": lambda s, x: s.startswith(str(x)),
    "endsWith": lambda s, x: s.endswith(str(x)), "replace": lambda s, a, b: s.replace(str(a), str(b)),
    "replaceAll": lambda s, a, b: __import__("re").sub(str(a), str(b), s), "equals": lambda s, x: s == x,
    "substring": lambda s, a, b=None: s[a:b], "indexOf": lambda s, x: s.find(str(x)), "split": lambda s, x: s.split(str(x)),
    "toString": str, "equalsIgnoreCase": lambda s, x: s.lower() == str(x).lower(),
}
_LIST_METHODS: dict[str, Callable] = {
    "size": len, "isEmpty": lambda v: len(v) == 0, "get": lambda v, i: v[i] if 0 <= i < len(v) else None,
    "contains": lambda v, x: x in v, "add": lambda v, x: v.append(x) or True,
}
_MAP_METHODS: dict[str, Callable] = {
    "size": len, "isEmpty": lambda m: len(m) == 0, "get": lambda m, k: m.get(k), "containsKey": lambda m, k: k in m,
    "keySet": lambda m: list(m), "values": lambda m: list(m.values()), "entrySet": lambda m: [{"key": k, "value": v} for k, v in m.items()],
    "put": lambda m, k, v: m.__setitem__(k, v),
}


def _call(value: Any, name: str, arguments: list) -> Any:
    table = _STRING_METHODS if isinstance(value, str) else _LIST_METHODS if isinstance(value, list) \
        else _MAP_METHODS if isinstance(value, dict) else None
    try:
        if table is not None:
            method = table.get(name)
            return method(value, *arguments) if method is not None else None
        method = getattr(value, name, None)
        if name.startswith("_") or not callable(method):
            return None
        return method(*arguments)
    except (TypeError, ValueError, IndexError, KeyError):
        return None


def _evaluate(expression: Any, scope: dict[str, Any]) -> Any:
    if isinstance(expression, Literal):
        return expression.value
    if isinstance(expression, Ref):
        return _reference(expression, scope)
    if isinstance(expression, Interpolated):
        out: list[str] = []
        _run(expression.nodes, scope, out)
        return "".join(out)
    if isinstance(expression, ListExpr):
        return [_evaluate(item, scope) for item in expression.items]
    if isinstance(expression, Unary):
        operand = _evaluate(expression.operand, scope)
        return (not _truthy(operand)) if expression.op == "!" else -operand
    if isinstance(expression, Binary):
        return _binary(expression.op, expression, scope)
    raise TemplateError(f"cannot evaluate {expression!r}")


def _binary(op: str, expression: Binary, scope: dict[str, Any]) -> Any:
    left = _evaluate(expression.left, scope)
    if op == "&&":
        return _truthy(left) and _truthy(_evaluate(expression.right, scope))
    if op == "||":
        return _truthy(left) or _truthy(_evaluate(expression.right, scope))
    right = _evaluate(expression.right, scope)
    if op == "==":
        return _same(left, right)
    if op == "!=":
        return not _same(left, right)
    try:
        if op == "+" and (isinstance(left, str) or isinstance(right, str)):
            return text_of(left) + text_of(right)
        operations = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
                      "/": lambda a, b: a // b if isinstance(a, int) and isinstance(b, int) else a / b,
                      "%": lambda a, b: a % b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
                      ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
        return operations[op](left, right)
    except (TypeError, ZeroDivisionError):
        return None


def _same(left: Any, right: Any) -> bool:
    """Velocity compares a number with a number, else both as strings ("200" == 200)."""
    if isinstance(left, (int, float)) and isinstance(right, (int, float)) and not isinstance(left, bool) \
            and not isinstance(right, bool):
        return left == right
    if left is None or right is None:
        return left is right
    return text_of(left) == text_of(right)
