"""Who touches which table: what each DynamoDB operation touches for IAM (``resources``), with
DynamoDB's condition keys, and the account a table ARN addresses (``owned``).

IAM (the gateway asks before any handler runs):
- item and table operations act on the table ARN (Query and Scan with IndexName on the index,
  ``table/T/index/I``); batches act on every table they name with dynamodb:BatchGetItem /
  BatchWriteItem; a transaction needs the item action of each of its items (dynamodb:PutItem,
  UpdateItem, DeleteItem, ConditionCheckItem, GetItem); PartiQL statements need
  dynamodb:PartiQLSelect / PartiQLInsert / PartiQLUpdate / PartiQLDelete on their table;
- condition keys: dynamodb:LeadingKeys (the partition key values a request reads or writes),
  dynamodb:Attributes (the top-level attributes it names), dynamodb:Select,
  dynamodb:ReturnValues, dynamodb:ReturnConsumedCapacity, dynamodb:EnclosingOperation.

Table ARNs: an ARN of another region is refused as DynamoDB refuses it ("Invalid AWS region");
one of another account addresses that account's table (IAM has already required its resource
policy and the caller's identity to allow it), only for the operations AWS serves across
accounts; any other operation never finds it, so it can never reach the caller's own table of
the same name. One request names tables of one account (regionbox does not mix accounts in a
batch or a transaction).
"""

from __future__ import annotations

import base64
import dataclasses
import re
from typing import Any, Callable

from regionbox.core import arns
from regionbox.core.arns import Arn
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.service import Access
from regionbox.services.dynamodb import names
from regionbox.services.dynamodb.models import Table
from regionbox.services.dynamodb.state import DynamoDBState, table_name

# The operations AWS serves on another account's table (resource-based policies).
CROSS_ACCOUNT = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems", "DescribeTable", "UpdateTable", "DeleteTable",
    "ListTagsOfResource", "TagResource", "UntagResource", "GetResourcePolicy", "PutResourcePolicy",
    "DeleteResourcePolicy", "DescribeTimeToLive",
})
_ON_ACCOUNT = {"ListTables", "DescribeLimits", "DescribeEndpoints", "ListBackups", "ListExports", "ListImports",
               "ListContributorInsights", "ListGlobalTables", "ListBulkOperations"}
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
_PARTIQL = {"SELECT": "PartiQLSelect", "INSERT": "PartiQLInsert", "UPDATE": "PartiQLUpdate",
            "DELETE": "PartiQLDelete", "EXISTS": "PartiQLSelect"}
_STATEMENT_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+("(?:[^"]|"")+"|[A-Za-z0-9_.\-]+)', re.IGNORECASE)
_NAME = re.compile(r"#[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*")
_EQUALS = re.compile(r"(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)\s*=\s*(#?[A-Za-z0-9_]+)")
_UPDATE_WORDS = {"set", "remove", "add", "delete", "if_not_exists", "list_append", "and", "or", "not"}


def _names_in(params: dict) -> list[Any]:
    """The tables (names or ARNs) and the resource ARN a request names."""
    found = [params.get("TableName"), params.get("ResourceArn")]
    found += list(params.get("RequestItems") or {})
    for item in params.get("TransactItems") or []:
        found += [spec.get("TableName") for spec in item.values() if isinstance(spec, dict)]
    return [v for v in found if v is not None]


def _accounts_in(ctx: RequestContext, params: dict) -> tuple[set[str], bool]:
    """The accounts the request's ARNs name (refusing another region's as DynamoDB does), and
    whether it also names tables by name."""
    accounts, by_name = set(), False
    for value in _names_in(params):
        if not (isinstance(value, str) and value.startswith("arn:")):
            by_name = True
            continue
        try:
            arn = Arn.parse(value)
        except ValueError:
            continue  # the handler refuses what is no ARN
        if arn.region != ctx.region:
            raise invalid(f"1 validation error detected: Invalid AWS region in '{value}'")
        accounts.add(arn.account)
    return accounts, by_name


def _key_text(value: Any) -> str | None:
    if not isinstance(value, dict) or len(value) != 1:
        return None
    kind, raw = next(iter(value.items()))
    if kind in ("S", "N"):
        return str(raw)
    if kind == "B":
        return base64.b64encode(raw).decode() if isinstance(raw, (bytes, bytearray)) else str(raw)
    return None


def _top_names(expression: str | None, names: dict | None, skip: set[str] = frozenset()) -> list[str]:
    """Top-level attribute names of a projection or update expression (#names resolved)."""
    if not expression:
        return []
    found = []
    for token in _NAME.findall(re.sub(r":[A-Za-z0-9_]+|\[[0-9]*\]|\.[#A-Za-z0-9_]+", " ", expression)):
        if token.lower() in skip:
            continue
        found.append((names or {}).get(token, token) if token.startswith("#") else token)
    return list(dict.fromkeys(found))


class DynamoDBAccess:
    def __init__(self, state: DynamoDBState) -> None:
        self.state = state

    # -- which table ---------------------------------------------------------------------------
    def _table(self, ctx: RequestContext, value: Any) -> Table | None:
        if isinstance(value, str) and value.startswith("arn:"):
            parts = value.split(":", 5)
            scope = (parts[4], parts[3]) if len(parts) == 6 else ctx.scope
            return self.state.tables.get(scope, table_name(value))
        return self.state.tables.get(ctx.scope, value)

    @staticmethod
    def table_arn(ctx: RequestContext, value: Any) -> str:
        if isinstance(value, str) and value.startswith("arn:"):
            return value
        return ctx.arn("dynamodb", f"table/{value}")

    # -- IAM -----------------------------------------------------------------------------------
    def resources(self, ctx: RequestContext, operation: str, params: dict) -> list:
        names.check(params)  # bad input is refused before any authorization
        if operation in _ON_ACCOUNT:
            return ["*"]
        _accounts_in(ctx, params)  # another region's ARN is a validation error before any authorization
        keys = {"dynamodb:Select": params.get("Select"), "dynamodb:ReturnValues": params.get("ReturnValues"),
                "dynamodb:ReturnConsumedCapacity": params.get("ReturnConsumedCapacity")}
        keys = {k: v for k, v in keys.items() if v}
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [Access(self.table_arn(ctx, name), context={**keys, **self._batch_keys(ctx, name, spec)})
                    for name, spec in (params.get("RequestItems") or {}).items()]
        if operation in ("TransactWriteItems", "TransactGetItems"):
            accesses = []
            for item in params.get("TransactItems") or []:
                for kind, spec in item.items():
                    if kind in _TRANSACT_ACTIONS and isinstance(spec, dict):
                        context = {**keys, "dynamodb:EnclosingOperation": operation, **self._item_keys(ctx, kind, spec)}
                        accesses.append(Access(self.table_arn(ctx, spec.get("TableName")),
                                               f"dynamodb:{_TRANSACT_ACTIONS[kind]}", context))
            return accesses or ["*"]
        if operation in ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"):
            statements = params.get("Statements") or params.get("TransactStatements") or [params]
            return [self._statement(ctx, s.get("Statement") or "") for s in statements if isinstance(s, dict)] or ["*"]
        if "ResourceArn" in params:
            return [params["ResourceArn"]]
        if operation in ("DescribeBulkOperation", "CancelBulkOperation"):
            return [params.get("BulkOperationArn") or "*"]
        if operation in ("DescribeBackup", "DeleteBackup"):
            return [params.get("BackupArn") or "*"]
        if operation == "ExportTableToPointInTime":
            return [params.get("TableArn") or "*"]
        if operation in ("DescribeExport", "DescribeImport"):
            return [params.get("ExportArn") or params.get("ImportArn") or "*"]
        if operation == "ImportTable":
            return [self.table_arn(ctx, (params.get("TableCreationParameters") or {}).get("TableName"))]
        if operation == "RestoreTableFromBackup":  # the backup, and the table it makes
            return [params.get("BackupArn") or "*", self.table_arn(ctx, params.get("TargetTableName"))]
        if operation == "RestoreTableToPointInTime":
            source = params.get("SourceTableArn") or self.table_arn(ctx, params.get("SourceTableName"))
            return [source, self.table_arn(ctx, params.get("TargetTableName"))]
        if "GlobalTableName" in params:
            return [arns.arn("dynamodb", "", ctx.account_id, f"global-table/{params['GlobalTableName']}", ctx.partition)]
        if "TableName" not in params:
            return ["*"]
        arn = self.table_arn(ctx, params["TableName"])
        if operation == "CreateTable" and isinstance(params.get("GlobalTableSourceArn"), str):
            # A replica of another account's table: that table's policy must let the caller associate it.
            return [arn, Access(params["GlobalTableSourceArn"], "dynamodb:AssociateTableReplica")]
        if operation == "UpdateTable" and params.get("ReplicaUpdates"):
            # Adding or removing a replica also needs CreateTableReplica / DeleteTableReplica on the table.
            extra = [Access(arn, f"dynamodb:{kind}TableReplica") for update in params["ReplicaUpdates"]
                     for kind in ("Create", "Delete") if isinstance(update, dict) and kind in update]
            return [arn, *extra]
        if params.get("IndexName"):
            arn = f"{arn.split('/index/')[0]}/index/{params['IndexName']}"
        return [Access(arn, context={**keys, **self._item_keys(ctx, operation, params)})]

    @staticmethod
    def _statement(ctx: RequestContext, statement: str) -> Access:
        verb = statement.strip().split(None, 1)[0].upper() if statement.strip() else ""
        match = _STATEMENT_TABLE.search(statement)
        if verb not in _PARTIQL or match is None:
            return Access("*", "dynamodb:PartiQLSelect")
        name = match.group(1)
        name = name[1:-1].replace('""', '"') if name.startswith('"') else name
        table, _, index = name.partition(".")
        arn = DynamoDBAccess.table_arn(ctx, table)
        return Access(f"{arn}/index/{index}" if index else arn, f"dynamodb:{_PARTIQL[verb]}")

    def _item_keys(self, ctx: RequestContext, operation: str, params: dict) -> dict[str, Any]:
        """dynamodb:LeadingKeys and dynamodb:Attributes of one item request (or Query/Scan)."""
        table = self._table(ctx, params.get("TableName"))
        names = params.get("ExpressionAttributeNames")
        keys: dict[str, Any] = {}
        leading = None
        if table is not None:
            hash_name = table.hash_name
            item = params.get("Key") or params.get("Item")
            if isinstance(item, dict) and hash_name in item:
                leading = _key_text(item[hash_name])
            elif operation == "Query" and not params.get("IndexName"):
                leading = self._query_hash(params, hash_name)
        if leading is not None:
            keys["dynamodb:LeadingKeys"] = [leading]
        attributes = list(params.get("AttributesToGet") or []) + _top_names(params.get("ProjectionExpression"), names)
        if params.get("Item"):
            attributes += list(params["Item"])
        if params.get("AttributeUpdates"):
            attributes += list(params["AttributeUpdates"])
        if params.get("UpdateExpression"):
            attributes += _top_names(params["UpdateExpression"], names, _UPDATE_WORDS)
        if attributes:
            attributes += list(params.get("Key") or {})
            keys["dynamodb:Attributes"] = list(dict.fromkeys(attributes))
        return keys

    def _batch_keys(self, ctx: RequestContext, name: str, spec: Any) -> dict[str, Any]:
        table = self._table(ctx, name)
        if table is None:
            return {}
        items = spec.get("Keys") if isinstance(spec, dict) else \
            [r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key") for r in spec or []
             if isinstance(r, dict)]
        values = [_key_text(i.get(table.hash_name)) for i in items or [] if isinstance(i, dict)]
        return {"dynamodb:LeadingKeys": list(dict.fromkeys(v for v in values if v is not None))}

    @staticmethod
    def _query_hash(params: dict, hash_name: str) -> str | None:
        conditions = params.get("KeyConditions") or {}
        if hash_name in conditions:
            values = conditions[hash_name].get("AttributeValueList") or []
            return _key_text(values[0]) if values else None
        names, values = params.get("ExpressionAttributeNames") or {}, params.get("ExpressionAttributeValues") or {}
        for a, b, c, d in _EQUALS.findall(params.get("KeyConditionExpression") or ""):
            attribute, placeholder = (a, b) if a else (d, c)
            if names.get(attribute, attribute) == hash_name and placeholder in values:
                return _key_text(values[placeholder])
        return None

    # -- which account -------------------------------------------------------------------------
    def owner(self, ctx: RequestContext, operation: str, params: dict) -> RequestContext:
        """The context to serve a request in: the caller's, or the account its table ARNs name."""
        accounts, by_name = _accounts_in(ctx, params)
        if accounts <= {ctx.account_id}:
            return ctx
        if len(accounts) > 1 or by_name:
            raise invalid("regionbox serves one request on the tables of one account; "
                          "name the tables of another account in a request of their own.")
        if operation not in CROSS_ACCOUNT:
            raise ServiceError("ResourceNotFoundException", "Requested resource not found")
        owner = next(iter(accounts))
        return dataclasses.replace(ctx, caller=dataclasses.replace(ctx.caller, account_id=owner))

    def served_by_owner(self, operations: dict[str, Callable]) -> dict[str, Callable]:
        """The registration table, each handler served in the account its table ARNs name."""
        def owned(handler: Callable) -> Callable:
            def serve(ctx: RequestContext, params: dict):
                names.check(params)
                return handler(self.owner(ctx, ctx.operation, params), params)
            serve.__wrapped__ = handler  # type: ignore[attr-defined]
            return serve
        return {name: owned(handler) for name, handler in operations.items()}

