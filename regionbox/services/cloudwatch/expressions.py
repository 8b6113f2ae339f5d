"""Metric math: the expressions of GetMetricData and of alarms on metric math.

Values are scalars, time series ({timestamp: value}) and arrays of time series. Arithmetic
(+ - * / ^), comparisons (< > <= >= == !=) and logic (AND && OR || NOT !) apply point by point;
between two series only timestamps both have keep a value, as CloudWatch does.

Functions: ABS, AVG, CEIL, DATAPOINT_COUNT, DIFF, DIFF_TIME, EPOCH, FILL (value, REPEAT, LINEAR),
FIRST, FLOOR, IF, LAST, LOG, LOG10, MAX, METRIC_COUNT, METRICS, MIN, PERIOD, RATE, REMOVE_EMPTY,
RUNNING_SUM, SQRT, STDDEV, SUM, TIME_SERIES. SUM/AVG/MIN/MAX/STDDEV of one series are a scalar,
of an array a series (per timestamp over the array's series).

Not here (an expression using them is a ValidationError naming the function): SEARCH, SELECT
(Metrics Insights), ANOMALY_DETECTION_BAND, SERVICE_QUOTA, LAMBDA,
DB_PERF_INSIGHTS, SORT, SLICE, CONCAT, MINUTE/HOUR/DAY/DATE/MONTH/YEAR.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field
from typing import Callable, Union

from regionbox.core.errors import ServiceError

NOT_SUPPORTED = frozenset(["SEARCH", "SELECT", "ANOMALY_DETECTION_BAND", "SERVICE_QUOTA", "LAMBDA",
                           "DB_PERF_INSIGHTS", "SORT", "SLICE", "CONCAT", "MINUTE", "HOUR", "DAY", "DATE", "MONTH",
                           "YEAR", "TIME_SERIES_METRICS"])


class ExpressionError(Exception):
    """What is wrong with an expression, in the words of CloudWatch's ValidationError."""


@dataclass
class TimeSeries:
    points: dict[int, float]
    id: str = ""
    label: str = ""
    period: int = 60


Value = Union[float, TimeSeries, list]


@dataclass
class Context:
    """What an expression sees: the other queries' results by id, the grid of its period."""

    resolve: Callable[[str], Value]
    all_series: Callable[[], list[TimeSeries]]
    grid: Callable[[int], list[int]]
    period: int
    own_id: str = ""
    references: set[str] = field(default_factory=set)
    # INSIGHT_RULE_METRIC(rule, metric): (rule, metric, period) -> a Contributor Insights rule's statistic
    insight_rule_metric: Callable[[str, str, int], TimeSeries] | None = None


TOKEN = re.compile(r"""\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|"""
                   r"""(?P<string>"[^"]*"|'[^']*')|(?P<op>&&|\|\||<=|>=|==|!=|[-+*/^(),<>!]))""")


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"Syntax error at position {position + 1}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class Parser:
    """Precedence, loosest first: OR, AND, comparison, + -, * /, unary - and NOT, ^, call/atom."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1].upper() != value):
            raise ExpressionError(f"Expected {value or 'more'} at the end" if token is None else
                                  f"Unexpected '{token[1]}', expected '{value}'")
        self.at += 1
        return token

    def parse(self):
        tree = self.logical_or()
        if self.peek() is not None:
            raise ExpressionError(f"Unexpected '{self.peek()[1]}'")
        return tree

    def _binary(self, operand, operators):
        left = operand()
        while (token := self.peek()) is not None and token[1].upper() in operators and token[0] in ("op", "name"):
            self.at += 1
            left = ("bin", operators[token[1].upper()], left, operand())
        return left

    def logical_or(self):
        return self._binary(self.logical_and, {"OR": "or", "||": "or"})

    def logical_and(self):
        return self._binary(self.comparison, {"AND": "and", "&&": "and"})

    def comparison(self):
        return self._binary(self.additive, {o: o for o in ("<", ">", "<=", ">=", "==", "!=")})

    def additive(self):
        return self._binary(self.multiplicative, {"+": "+", "-": "-"})

    def multiplicative(self):
        return self._binary(self.unary, {"*": "*", "/": "/"})

    def power(self):
        base = self.atom()
        if (token := self.peek()) is not None and token[1] == "^":
            self.at += 1
            return ("bin", "^", base, self.unary())  # right-associative; -a ^ 2 is -(a ^ 2)
        return base

    def unary(self):
        token = self.peek()
        if token is not None and token[1] in ("-", "+"):
            self.at += 1
            operand = self.unary()
            return ("bin", "*", ("num", -1.0), operand) if token[1] == "-" else operand
        if token is not None and token[1].upper() in ("!", "NOT"):
            self.at += 1
            return ("not", self.unary())
        return self.power()

    def atom(self):
        kind, text = self.take()
        if kind == "number":
            return ("num", float(text))
        if kind == "string":
            return ("str", text[1:-1])
        if text == "(":
            inner = self.logical_or()
            self.take(")")
            return inner
        if kind == "name":
            if (token := self.peek()) is not None and token[1] == "(":
                self.at += 1
                args = []
                if self.peek() is not None and self.peek()[1] != ")":
                    args.append(self.logical_or())
                    while self.peek() is not None and self.peek()[1] == ",":
                        self.at += 1
                        args.append(self.logical_or())
                self.take(")")
                return ("call", text.upper(), args)
            if text.upper() in ("REPEAT", "LINEAR"):
                return ("str", text.upper())
            return ("ref", text)
        raise ExpressionError(f"Unexpected '{text}'")


def references(text: str) -> set[str]:
    return {token for kind, token in tokenize(text) if kind == "name" and token[0].islower()}


def evaluate(text: str, context: Context) -> Value:
    return _eval(Parser(text).parse(), context)


def _eval(node, context: Context) -> Value:
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "str":
        return node[1]
    if kind == "ref":
        return context.resolve(node[1])
    if kind == "not":
        return _map(_eval(node[1], context), lambda v: float(v == 0))
    if kind == "bin":
        return _binary(node[1], _eval(node[2], context), _eval(node[3], context))
    name, args = node[1], node[2]
    if name in NOT_SUPPORTED:
        raise ExpressionError(f"The function {name} is not supported by regionbox")
    function = FUNCTIONS.get(name)
    if function is None:
        raise ExpressionError(f"Unrecognized function {name}")
    return function(context, *[_eval(a, context) for a in args])


OPERATORS: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b != 0 else math.nan, "^": lambda a, b: _power(a, b),
    "<": lambda a, b: float(a < b), ">": lambda a, b: float(a > b), "<=": lambda a, b: float(a <= b),
    ">=": lambda a, b: float(a >= b), "==": lambda a, b: float(a == b), "!=": lambda a, b: float(a != b),
    "and": lambda a, b: float(a != 0 and b != 0), "or": lambda a, b: float(a != 0 or b != 0),
}


def _power(a: float, b: float) -> float:
    try:
        return float(a ** b) if not (a < 0 and b != int(b)) else math.nan
    except OverflowError:
        return math.inf


def _binary(operator: str, left: Value, right: Value) -> Value:
    apply = OPERATORS[operator]
    if isinstance(left, str) or isinstance(right, str):
        raise ExpressionError("A string is not a value for an operator")
    if isinstance(left, list):
        return [_binary(operator, item, right) for item in left]
    if isinstance(right, list):
        return [_binary(operator, left, item) for item in right]
    # A result keeps its series' id and label: METRICS() * 2 is still one result per metric.
    if isinstance(left, TimeSeries) and isinstance(right, TimeSeries):
        return TimeSeries({t: apply(v, right.points[t]) for t, v in left.points.items() if t in right.points},
                          left.id, left.label, left.period)
    if isinstance(left, TimeSeries):
        return TimeSeries({t: apply(v, right) for t, v in left.points.items()}, left.id, left.label, left.period)
    if isinstance(right, TimeSeries):
        return TimeSeries({t: apply(left, v) for t, v in right.points.items()}, right.id, right.label, right.period)
    return apply(left, right)


def _map(value: Value, function: Callable[[float], float]) -> Value:
    if isinstance(value, list):
        return [_map(item, function) for item in value]
    if isinstance(value, TimeSeries):
        return TimeSeries({t: function(v) for t, v in value.points.items()}, value.id, value.label, value.period)
    if isinstance(value, str):
        raise ExpressionError("A string is not a value for a function")
    return function(value)


def _series(value: Value, function: str) -> TimeSeries:
    if not isinstance(value, TimeSeries):
        raise ExpressionError(f"The function {function} takes a time series")
    return value


def _arity(args: tuple, low: int, high: int, function: str) -> None:
    if not low <= len(args) <= high:
        raise ExpressionError(f"Invalid number of arguments for the function {function}")


def _aggregate(function: str, reduce: Callable[[list[float]], float]):
    def apply(context: Context, *args: Value) -> Value:
        values: list = []
        for arg in args:
            values.extend(arg if isinstance(arg, list) else [arg])
        if len(args) == 1 and isinstance(args[0], TimeSeries):
            points = list(args[0].points.values())
            return reduce(points) if points else math.nan
        if not values:
            raise ExpressionError(f"Invalid number of arguments for the function {function}")
        series = [v for v in values if isinstance(v, TimeSeries)]
        scalars = [v for v in values if not isinstance(v, TimeSeries)]
        if not series:
            return reduce(scalars)
        stamps = sorted({t for s in series for t in s.points})
        return TimeSeries({t: reduce([s.points[t] for s in series if t in s.points] + scalars) for t in stamps},
                          period=series[0].period)
    return apply


def _stddev(values: list[float]) -> float:
    return statistics.pstdev(values) if len(values) > 1 else 0.0


def _unary(function: str, operation: Callable[[float], float]):
    def apply(context: Context, *args: Value) -> Value:
        _arity(args, 1, 1, function)
        return _map(args[0], operation)
    return apply


def _per_series(function: str, transform: Callable[[list[tuple[int, float]], Context], dict[int, float]]):
    def apply(context: Context, *args: Value) -> Value:
        _arity(args, 1, 1, function)
        if isinstance(args[0], list):
            return [TimeSeries(transform(sorted(s.points.items()), context), s.id, s.label, s.period) for s in args[0]]
        series = _series(args[0], function)
        return TimeSeries(transform(sorted(series.points.items()), context), period=series.period)
    return apply


def _rate(points: list[tuple[int, float]], context: Context) -> dict[int, float]:
    return {t: (v - pv) / (t - pt) for (pt, pv), (t, v) in zip(points, points[1:]) if t != pt}


def _diff(points, context) -> dict[int, float]:
    return {t: v - pv for (_, pv), (t, v) in zip(points, points[1:])}


def _diff_time(points, context) -> dict[int, float]:
    return {t: float(t - pt) for (pt, _), (t, _) in zip(points, points[1:])}


def _running_sum(points, context) -> dict[int, float]:
    total, out = 0.0, {}
    for t, v in points:
        total += v
        out[t] = total
    return out


def _fill(context: Context, *args: Value) -> Value:
    _arity(args, 2, 2, "FILL")
    target, how = args
    if isinstance(target, list):
        return [_fill(context, item, how) for item in target]
    series = _series(target, "FILL")
    grid = context.grid(series.period)
    points = dict(series.points)
    known = sorted(points.items())
    for t in grid:
        if t in points:
            continue
        if how == "REPEAT":
            before = [v for kt, v in known if kt < t]
            if before:
                points[t] = before[-1]
            elif known:
                points[t] = known[0][1]
        elif how == "LINEAR":
            before = [(kt, v) for kt, v in known if kt < t]
            after = [(kt, v) for kt, v in known if kt > t]
            if before and after:
                (t0, v0), (t1, v1) = before[-1], after[0]
                points[t] = v0 + (v1 - v0) * (t - t0) / (t1 - t0)
        elif isinstance(how, TimeSeries):
            if t in how.points:
                points[t] = how.points[t]
        elif isinstance(how, float):
            points[t] = how
        else:
            raise ExpressionError("The second argument of FILL must be a value, REPEAT or LINEAR")
    return TimeSeries(dict(sorted(points.items())), series.id, series.label, series.period)


def _if(context: Context, *args: Value) -> Value:
    _arity(args, 2, 3, "IF")
    condition, then = args[0], args[1]
    otherwise = args[2] if len(args) == 3 else None
    if isinstance(condition, list):
        return [_if(context, item, *args[1:]) for item in condition]
    if not isinstance(condition, TimeSeries):
        chosen = then if condition != 0 else otherwise
        if chosen is None:
            raise ExpressionError("IF with a scalar condition needs a value for false")
        return chosen

    def pick(value: Value, t: int) -> float | None:
        if value is None:
            return None
        if isinstance(value, TimeSeries):
            return value.points.get(t)
        if isinstance(value, list):
            raise ExpressionError("IF takes a time series, not an array, as its value")
        return float(value)
    out = {}
    for t, v in condition.points.items():
        chosen = pick(then if v != 0 else otherwise, t)
        if chosen is not None:
            out[t] = chosen
    return TimeSeries(out, period=condition.period)


def _metrics(context: Context, *args: Value) -> Value:
    _arity(args, 0, 1, "METRICS")
    wanted = args[0] if args else None
    if wanted is not None and not isinstance(wanted, str):
        raise ExpressionError("The argument of METRICS must be a string")
    return [s for s in context.all_series() if wanted is None or wanted in s.id or wanted in s.label]


def _first_last(index: int, function: str):
    def apply(context: Context, *args: Value) -> Value:
        _arity(args, 1, 1, function)
        if isinstance(args[0], list):
            if not args[0]:
                raise ExpressionError(f"The function {function} needs a non-empty array")
            return args[0][index]
        series = _series(args[0], function)
        points = sorted(series.points.items())
        return points[index][1] if points else math.nan
    return apply


def _count(context: Context, *args: Value) -> Value:
    _arity(args, 1, 1, "DATAPOINT_COUNT")
    if isinstance(args[0], list):
        return [float(len(_series(s, "DATAPOINT_COUNT").points)) for s in args[0]]
    return float(len(_series(args[0], "DATAPOINT_COUNT").points))


def _metric_count(context: Context, *args: Value) -> Value:
    _arity(args, 1, 1, "METRIC_COUNT")
    return float(len(args[0])) if isinstance(args[0], list) else 1.0


def _period(context: Context, *args: Value) -> Value:
    _arity(args, 1, 1, "PERIOD")
    return float(_series(args[0], "PERIOD").period)


def _epoch(context: Context, *args: Value) -> Value:
    _arity(args, 1, 1, "EPOCH")
    series = _series(args[0], "EPOCH")
    return TimeSeries({t: float(t) for t in series.points}, period=series.period)


def _time_series(context: Context, *args: Value) -> Value:
    _arity(args, 1, 1, "TIME_SERIES")
    if not isinstance(args[0], float):
        raise ExpressionError("The argument of TIME_SERIES must be a scalar")
    return TimeSeries({t: args[0] for t in context.grid(context.period)}, period=context.period)


def _remove_empty(context: Context, *args: Value) -> Value:
    _arity(args, 1, 1, "REMOVE_EMPTY")
    return [s for s in (args[0] if isinstance(args[0], list) else [args[0]]) if isinstance(s, TimeSeries) and s.points]


def _insight_rule_metric(context: Context, *args: Value) -> Value:
    _arity(args, 2, 2, "INSIGHT_RULE_METRIC")
    if not all(isinstance(a, str) for a in args):
        raise ExpressionError("The arguments of INSIGHT_RULE_METRIC are a rule's name and a metric's name, as strings")
    if context.insight_rule_metric is None:
        raise ExpressionError("INSIGHT_RULE_METRIC is not available here")
    return context.insight_rule_metric(args[0], args[1], context.period)


FUNCTIONS: dict[str, Callable] = {
    "ABS": _unary("ABS", abs), "CEIL": _unary("CEIL", lambda v: float(math.ceil(v)) if math.isfinite(v) else v),
    "FLOOR": _unary("FLOOR", lambda v: float(math.floor(v)) if math.isfinite(v) else v),
    "LOG": _unary("LOG", lambda v: math.log(v) if v > 0 else math.nan),
    "LOG10": _unary("LOG10", lambda v: math.log10(v) if v > 0 else math.nan),
    "SQRT": _unary("SQRT", lambda v: math.sqrt(v) if v >= 0 else math.nan),
    "SUM": _aggregate("SUM", math.fsum), "AVG": _aggregate("AVG", lambda vs: math.fsum(vs) / len(vs)),
    "MIN": _aggregate("MIN", min), "MAX": _aggregate("MAX", max), "STDDEV": _aggregate("STDDEV", _stddev),
    "RATE": _per_series("RATE", _rate), "DIFF": _per_series("DIFF", _diff), "DIFF_TIME": _per_series("DIFF_TIME", _diff_time),
    "RUNNING_SUM": _per_series("RUNNING_SUM", _running_sum), "FILL": _fill, "IF": _if, "METRICS": _metrics,
    "FIRST": _first_last(0, "FIRST"), "LAST": _first_last(-1, "LAST"), "DATAPOINT_COUNT": _count,
    "METRIC_COUNT": _metric_count, "PERIOD": _period, "EPOCH": _epoch, "TIME_SERIES": _time_series,
    "REMOVE_EMPTY": _remove_empty, "INSIGHT_RULE_METRIC": _insight_rule_metric,
}


def validation_error(query_id: str, detail: str) -> ServiceError:
    return ServiceError("ValidationError", f"Error in expression {query_id}: {detail}")
