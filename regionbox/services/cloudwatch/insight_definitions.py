"""Contributor Insights rule bodies (the RuleDefinition JSON of PutInsightRule): checked as
CloudWatch checks them, and applied to one log event.

    {"Schema": {"Name": "CloudWatchLogRule", "Version": 1},
     "LogGroupNames": ["API-Gateway-Access-Logs*"],      (or LogGroupARNs; "*" only at the end)
     "LogFormat": "JSON",                                 (or "CLF" with "Fields": {"4": "srcaddr"})
     "Contribution": {"Keys": ["$.ip"], "ValueOf": "$.requestBytes",
                      "Filters": [{"Match": "$.httpMethod", "In": ["PUT"]}]},
     "AggregateOn": "Sum"}                                (or "Count")

JSON rules name fields by path ($.a.b, $.a[0]); CLF rules by the names their Fields give to
1-based positions of the space-delimited line (a "quoted string" or [bracketed] value is one
field, as in Apache's common log format). At most 4 keys and 4 filters; a filter has one
operator: In, NotIn, StartsWith (at most 10 values), GreaterThan, LessThan, EqualTo, NotEqualTo
(numbers), or IsPresent (true/false). Matching is case-sensitive. An event counts when every
key is present and every filter holds; a filter on an absent field holds only for
IsPresent: false.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from regionbox.core.errors import ServiceError

SCHEMA = {"Name": "CloudWatchLogRule", "Version": 1}
MAX_KEYS, MAX_FILTERS, MAX_VALUES = 4, 4, 10
LIST_OPERATORS = ("In", "NotIn", "StartsWith")
NUMBER_OPERATORS = ("GreaterThan", "LessThan", "EqualTo", "NotEqualTo")
OPERATORS = (*LIST_OPERATORS, *NUMBER_OPERATORS, "IsPresent")
PATH = re.compile(r"^\$((?:\.[^.\[\]]+|\[\d+\])+)$")
STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
CLF_FIELD = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+')
ABSENT = object()


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", f"The rule definition is invalid: {message}")


@dataclass
class RuleBody:
    log_groups: list[str]  # names, a trailing "*" naming a prefix
    log_format: str
    fields: dict[int, str]  # CLF: position -> name
    keys: list[str]
    value_of: str | None
    filters: list[dict]
    aggregate: str  # "Count" | "Sum"

    def groups(self, names_with_prefix) -> list[str]:
        """The log groups the rule reads, given ``names_with_prefix(prefix) -> [names]``."""
        found: set[str] = set()
        for name in self.log_groups:
            if name.endswith("*"):
                found.update(names_with_prefix(name[:-1]))
            elif name in names_with_prefix(name):
                found.add(name)
        return sorted(found)

    def observe(self, message: str) -> tuple[tuple[str, ...], float] | None:
        """The contributor (its key values) and the value this event adds, or None when the event
        does not count: not parseable, a key missing, a filter not holding, no numeric ValueOf."""
        record = self._record(message)
        if record is None:
            return None
        keys = []
        for key in self.keys:
            value = self._get(record, key)
            if value is ABSENT or value is None or isinstance(value, (dict, list)):
                return None
            keys.append(_text(value))
        for condition in self.filters:
            if not _holds(condition, self._get(record, condition["Match"])):
                return None
        if self.aggregate == "Count":
            return tuple(keys), 1.0
        number = _number(self._get(record, self.value_of))
        return (tuple(keys), number) if number is not None else None

    def _record(self, message: str):
        if self.log_format == "JSON":
            try:
                record = json.loads(message)
            except ValueError:
                return None
            return record if isinstance(record, dict) else None
        tokens = CLF_FIELD.findall(message)
        record = {}
        for position, name in self.fields.items():
            if position <= len(tokens):
                token = tokens[position - 1]
                record[name] = token[1:-1] if token[:1] in ('"', "[") and len(token) > 1 else token
        return record

    def _get(self, record, field: str):
        if self.log_format == "CLF":
            return record.get(field, ABSENT)
        value = record
        for name, index in STEP.findall(PATH.match(field).group(1)):
            if name and isinstance(value, dict) and name in value:
                value = value[name]
            elif index and isinstance(value, list) and int(index) < len(value):
                value = value[int(index)]
            else:
                return ABSENT
        return value


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value) -> float | None:
    if isinstance(value, bool) or value is ABSENT or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _holds(condition: dict, value) -> bool:
    operator = next(k for k in condition if k != "Match")
    wanted = condition[operator]
    if operator == "IsPresent":
        return (value is not ABSENT) == wanted
    if value is ABSENT or value is None:
        return False
    if operator in ("In", "NotIn"):
        number = _number(value)
        inside = any(_text(w) == _text(value) or (number is not None and _number(w) == number) for w in wanted)
        return inside if operator == "In" else not inside
    if operator == "StartsWith":
        return any(_text(value).startswith(_text(w)) for w in wanted)
    number = _number(value)
    if number is None:
        return False
    return {"GreaterThan": number > wanted, "LessThan": number < wanted, "EqualTo": number == wanted,
            "NotEqualTo": number != wanted}[operator]


def parse(definition: str) -> RuleBody:
    """The rule body, or CloudWatch's InvalidParameterValue naming what is wrong."""
    try:
        body = json.loads(definition)
    except ValueError:
        raise invalid("it is not a valid JSON object.") from None
    if not isinstance(body, dict):
        raise invalid("it is not a valid JSON object.")
    known = {"Schema", "LogGroupNames", "LogGroupARNs", "LogFormat", "Fields", "Contribution", "AggregateOn"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise invalid(f"unknown field {unknown[0]}.")
    if body.get("Schema") != SCHEMA:
        raise invalid('Schema must be {"Name": "CloudWatchLogRule", "Version": 1}.')
    names, arns = body.get("LogGroupNames"), body.get("LogGroupARNs")
    if (names is None) == (arns is None):
        raise invalid("exactly one of LogGroupNames and LogGroupARNs must be given.")
    groups = names if names is not None else arns
    if not isinstance(groups, list) or not groups or not all(isinstance(g, str) and g for g in groups):
        raise invalid(f"{'LogGroupNames' if names is not None else 'LogGroupARNs'} must be a non-empty array of strings.")
    if any("*" in g[:-1] for g in groups):
        raise invalid("a wildcard (*) may only end a log group name.")
    if arns is not None:
        groups = [_group_of_arn(arn) for arn in arns]
    log_format = body.get("LogFormat")
    if log_format not in ("JSON", "CLF"):
        raise invalid("LogFormat must be JSON or CLF.")
    fields: dict[int, str] = {}
    if log_format == "CLF":
        given = body.get("Fields")
        if not isinstance(given, dict) or not given:
            raise invalid("a CLF rule must name its fields in Fields, e.g. {\"4\": \"srcaddr\"}.")
        for position, name in given.items():
            if not str(position).isdigit() or int(position) < 1 or not isinstance(name, str) or not name:
                raise invalid(f"Fields must map positions (1, 2, ...) to names; {position!r} is not one.")
            fields[int(position)] = name
    elif "Fields" in body:
        raise invalid("Fields may only be given for the CLF log format.")
    contribution = body.get("Contribution")
    if not isinstance(contribution, dict):
        raise invalid("Contribution is required.")
    unknown = sorted(set(contribution) - {"Keys", "ValueOf", "Filters"})
    if unknown:
        raise invalid(f"unknown field Contribution.{unknown[0]}.")

    def field(text, where: str) -> str:
        if not isinstance(text, str) or not text:
            raise invalid(f"{where} must be a field name.")
        if log_format == "JSON" and not PATH.match(text):
            raise invalid(f"{where} {text} is not a JSON path such as $.field.")
        if log_format == "CLF" and text not in fields.values():
            raise invalid(f"{where} {text} is not one of the Fields.")
        return text

    keys = contribution.get("Keys")
    if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_KEYS:
        raise invalid(f"Contribution.Keys must have between 1 and {MAX_KEYS} keys.")
    keys = [field(k, "the key") for k in keys]
    filters = contribution.get("Filters") or []
    if not isinstance(filters, list) or len(filters) > MAX_FILTERS:
        raise invalid(f"Contribution.Filters may have at most {MAX_FILTERS} filters.")
    for condition in filters:
        if not isinstance(condition, dict) or "Match" not in condition:
            raise invalid("every filter needs Match.")
        field(condition["Match"], "the filter's Match")
        operators = [k for k in condition if k != "Match"]
        if len(operators) != 1 or operators[0] not in OPERATORS:
            raise invalid(f"a filter has exactly one of {', '.join(OPERATORS)}.")
        operator, value = operators[0], condition[operators[0]]
        if operator in LIST_OPERATORS and (not isinstance(value, list) or not 1 <= len(value) <= MAX_VALUES
                                           or not all(isinstance(v, (str, int, float)) for v in value)):
            raise invalid(f"{operator} takes an array of 1 to {MAX_VALUES} values.")
        if operator in NUMBER_OPERATORS and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise invalid(f"{operator} takes a number.")
        if operator == "IsPresent" and not isinstance(value, bool):
            raise invalid("IsPresent takes true or false.")
    aggregate = body.get("AggregateOn")
    if aggregate not in ("Count", "Sum"):
        raise invalid("AggregateOn must be Count or Sum.")
    value_of = contribution.get("ValueOf")
    if aggregate == "Sum" and value_of is None:
        raise invalid("a rule that aggregates on Sum needs Contribution.ValueOf.")
    if value_of is not None:
        field(value_of, "ValueOf")
    return RuleBody(groups, log_format, fields, keys, value_of, filters, aggregate)


def _group_of_arn(arn: str) -> str:
    # arn:aws:logs:region:account:log-group:NAME[:*]; other accounts' groups (cross-account
    # observability) are not linked here, so the name is what is read in the rule's own account.
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        raise invalid(f"{arn} is not a log group ARN.")
    name = ":".join(parts[6:])
    return name[:-2] if name.endswith(":*") else name
