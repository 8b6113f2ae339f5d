"""Table names, checked before anything else a request asks.

botocore's model no longer constrains TableName beyond 1..1024 characters (it takes a table ARN
too), but DynamoDB still holds a name to 3..255 characters of ``[a-zA-Z0-9_.-]`` and says so
in Coral's words, ahead of any other check and of the table lookup::

    1 validation error detected: Value 'a!' at 'tableName' failed to satisfy constraint:
    Member must have length greater than or equal to 3

The checks run before authorization too (access.py), as AWS validates input before it asks IAM.
"""

from __future__ import annotations

import re
from typing import Any

from regionbox.core.errors import invalid
from regionbox.protocol.validate import format_message, java_string

PATTERN = "[a-zA-Z0-9_.-]+"
_PATTERN = re.compile(PATTERN)
MIN, MAX = 3, 255
# Members that name one table, with their Coral path.
_MEMBERS = (("TableName", "tableName"), ("GlobalTableName", "globalTableName"),
            ("SourceTableName", "sourceTableName"), ("TargetTableName", "targetTableName"))
_TRANSACT = ("Put", "Update", "Delete", "ConditionCheck", "Get")


def constraints(name: Any) -> list[str]:
    """What a table name (not an ARN) breaks, in Coral's order."""
    if not isinstance(name, str) or name.startswith("arn:"):
        return []
    broken = []
    if len(name) > MAX:
        broken.append(f"Member must have length less than or equal to {MAX}")
    if len(name) < MIN:
        broken.append(f"Member must have length greater than or equal to {MIN}")
    if _PATTERN.fullmatch(name) is None:
        broken.append(f"Member must satisfy regular expression pattern: {PATTERN}")
    return broken


def _named(value: Any, path: str, problems: list[str]) -> None:
    for constraint in constraints(value):
        problems.append(f"Value '{java_string(value)}' at '{path}' failed to satisfy constraint: {constraint}")


_VALID = re.compile(f"[a-zA-Z0-9_.-]{{{MIN},{MAX}}}")
_OTHER_MEMBERS = frozenset(m for m, _ in _MEMBERS[1:]) | {"TableCreationParameters", "RequestItems", "TransactItems"}


def check(params: dict) -> None:
    """Refuse a request whose table names break DynamoDB's rules, all problems in one message."""
    name = params.get("TableName")
    if (name is None or (isinstance(name, str) and (_VALID.fullmatch(name) or name.startswith("arn:")))) \
            and params.keys().isdisjoint(_OTHER_MEMBERS):
        return  # the common case (one good TableName), asked on every request
    problems: list[str] = []
    for member, path in _MEMBERS:
        _named(params.get(member), path, problems)
    creation = params.get("TableCreationParameters")
    if isinstance(creation, dict):
        _named(creation.get("TableName"), "tableCreationParameters.tableName", problems)
    requested = params.get("RequestItems")
    if isinstance(requested, dict):
        broken = sorted({c for name in requested for c in constraints(name)})
        if broken:
            problems.append("Value at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: "
                            f"[{', '.join(broken)}]")
    for position, entry in enumerate(params.get("TransactItems") or [], 1):
        for kind in _TRANSACT:
            spec = entry.get(kind) if isinstance(entry, dict) else None
            if isinstance(spec, dict):
                _named(spec.get("TableName"), f"transactItems.{position}.member.{kind[0].lower() + kind[1:]}.tableName",
                       problems)
    if problems:
        raise invalid(format_message(problems))
