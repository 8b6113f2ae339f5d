"""Data sources at work: what a resolver's request document does for each kind.

- NONE: the request's ``payload`` is the result (local resolvers; what a subscription-only
  mutation publishes).
- AMAZON_DYNAMODB: AppSync's DynamoDB request documents (GetItem ... TransactWriteItems) run
  through DynamoDB's api as the data source's role (when it exists in IAM; otherwise as the
  account, which is what a role AppSync could assume would usually allow).
- AWS_LAMBDA: the function is invoked through Lambda's api (as the data source's role when it
  exists) with the request's payload; a direct resolver (no request step) sends AppSync's event.
- HTTP: the request is sent to the data source's endpoint; the result is statusCode/headers/body.
- The other kinds answer an error naming why they cannot run here."""

from __future__ import annotations

import asyncio
import base64
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import orjson

from regionbox.core import ids
from regionbox.core.context import Caller, RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.appsync.models import DataSource
from regionbox.services.appsync.utils import ResolverError, from_item

SESSION = "APPSYNC_ASSUME_ROLE"


def _token(key: dict | None) -> str | None:
    return base64.b64encode(orjson.dumps(key)).decode() if key else None


def _start(token: str | None) -> dict | None:
    if not token:
        return None
    try:
        return orjson.loads(base64.b64decode(token))
    except (ValueError, orjson.JSONDecodeError):
        raise ResolverError("Invalid pagination token given.", "DynamoDB:ValidationException") from None


def _expression(part: dict | None, names: dict, values: dict) -> str | None:
    """One of a request's expressions (condition, filter, query, update), merging its names and values."""
    if not part:
        return None
    names.update(part.get("expressionNames") or {})
    values.update(part.get("expressionValues") or {})
    return part.get("expression")


def _with_expressions(request: dict, **parts: dict | None) -> dict:
    names: dict = {}
    values: dict = {}
    for member, part in parts.items():
        text = _expression(part, names, values)
        if text:
            request[member] = text
    if names:
        request["ExpressionAttributeNames"] = names
    if values:
        request["ExpressionAttributeValues"] = values
    return request


class Invokers:
    def __init__(self, cloud) -> None:
        self.cloud = cloud

    async def invoke(self, source: DataSource, request: Any, scope, context: dict) -> Any:
        if source.type == "NONE":
            return request.get("payload") if isinstance(request, dict) else None
        if source.type == "AMAZON_DYNAMODB":
            return self.dynamodb(source, request, scope)
        if source.type == "HTTP":
            return await self.http(source, request)
        if source.type == "AWS_LAMBDA":
            return await self.lambda_(source, request, scope)
        raise ResolverError(f"Data sources of type {source.type} do not run in regionbox.", "UnsupportedDataSource")

    # -- DynamoDB -------------------------------------------------------------------------------
    def _caller(self, source: DataSource, account: str) -> Caller:
        role = self.cloud.services.api("iam").role_by_arn(source.service_role_arn) if source.service_role_arn else None
        if role is None:
            return Caller.root(account)
        return Caller.assumed_role(role.arn, role.role_id, SESSION, account)

    def dynamodb(self, source: DataSource, request: Any, scope) -> Any:
        if not isinstance(request, dict) or "operation" not in request:
            raise ResolverError("The request document of a DynamoDB data source needs an operation.",
                                "MappingTemplate")
        config = source.settings.get("dynamodbConfig") or {}
        region = config.get("awsRegion") or scope[1]
        ctx = RequestContext(caller=self._caller(source, scope[0]), region=region, request_id=ids.request_id(),
                             service="dynamodb")
        table = config.get("tableName")
        operation = request["operation"]
        build = getattr(self, f"_ddb_{operation}", None)
        if build is None:
            raise ResolverError(f"Unsupported operation '{operation}'.", "DynamoDB:UnsupportedOperation")
        api = self.cloud.services.api("dynamodb")

        def call(name: str, document: dict) -> dict:
            try:
                return api.call(ctx, name, document)
            except ServiceError as error:
                raise ResolverError(f"{error.message} (Service: DynamoDb, Status Code: {error.status}, "
                                    f"Request ID: {ctx.request_id})", f"DynamoDB:{error.code}") from None
        return build(call, table, request)

    @staticmethod
    def _ddb_GetItem(call, table, r):  # noqa: N802 - AppSync's operation names
        out = call("GetItem", {"TableName": table, "Key": r.get("key") or {},
                               "ConsistentRead": bool(r.get("consistentRead"))})
        return from_item(out.get("Item"))

    @staticmethod
    def _ddb_PutItem(call, table, r):  # noqa: N802
        item = {**(r.get("attributeValues") or {}), **(r.get("key") or {})}
        call("PutItem", _with_expressions({"TableName": table, "Item": item}, ConditionExpression=r.get("condition")))
        return from_item(item)

    @staticmethod
    def _ddb_UpdateItem(call, table, r):  # noqa: N802
        out = call("UpdateItem", _with_expressions({"TableName": table, "Key": r.get("key") or {}, "ReturnValues": "ALL_NEW"},
                                                   UpdateExpression=r.get("update"), ConditionExpression=r.get("condition")))
        return from_item(out.get("Attributes"))

    @staticmethod
    def _ddb_DeleteItem(call, table, r):  # noqa: N802
        out = call("DeleteItem", _with_expressions({"TableName": table, "Key": r.get("key") or {}, "ReturnValues": "ALL_OLD"},
                                                   ConditionExpression=r.get("condition")))
        return from_item(out.get("Attributes"))

    @staticmethod
    def _listing(call, operation: str, table: str, r: dict, **expressions) -> dict:
        document = {"TableName": table}
        for member, key in (("IndexName", "index"), ("Limit", "limit"), ("ConsistentRead", "consistentRead"),
                            ("ScanIndexForward", "scanIndexForward"), ("Segment", "segment"),
                            ("TotalSegments", "totalSegments"), ("Select", "select")):
            if r.get(key) is not None:
                document[member] = r[key]
        start = _start(r.get("nextToken"))
        if start:
            document["ExclusiveStartKey"] = start
        out = call(operation, _with_expressions(document, **expressions))
        return {"items": [from_item(i) for i in out.get("Items", [])], "nextToken": _token(out.get("LastEvaluatedKey")),
                "scannedCount": out.get("ScannedCount", 0)}

    def _ddb_Query(self, call, table, r):  # noqa: N802
        return self._listing(call, "Query", table, r, KeyConditionExpression=r.get("query"),
                             FilterExpression=r.get("filter"))

    def _ddb_Scan(self, call, table, r):  # noqa: N802
        return self._listing(call, "Scan", table, r, FilterExpression=r.get("filter"))

    @staticmethod
    def _ddb_BatchGetItem(call, table, r):  # noqa: N802
        tables = r.get("tables") or {}
        out = call("BatchGetItem", {"RequestItems": {name: {"Keys": spec.get("keys") or [],
                                                            "ConsistentRead": bool(spec.get("consistentRead"))}
                                                     for name, spec in tables.items()}})
        data = {}
        for name, spec in tables.items():
            found = [from_item(i) for i in out.get("Responses", {}).get(name, [])]
            # AppSync answers in the order of the keys asked, null where an item is missing.
            data[name] = [next((i for i in found if all(i.get(k) == from_item(key)[k] for k in key)), None)
                          for key in spec.get("keys") or []]
        return {"data": data, "unprocessedKeys": {n: v.get("Keys", []) for n, v in out.get("UnprocessedKeys", {}).items()}}

    @staticmethod
    def _batch_write(call, r, kind: str) -> dict:
        tables = r.get("tables") or {}
        member = "PutRequest" if kind == "put" else "DeleteRequest"
        field = "Item" if kind == "put" else "Key"
        out = call("BatchWriteItem", {"RequestItems": {name: [{member: {field: entry}} for entry in entries]
                                                       for name, entries in tables.items()}})
        unprocessed = {name: [w[member][field] for w in writes] for name, writes in out.get("UnprocessedItems", {}).items()}
        return {"data": {name: [from_item(e) for e in entries] for name, entries in tables.items()},
                ("unprocessedItems" if kind == "put" else "unprocessedKeys"): unprocessed}

    def _ddb_BatchPutItem(self, call, table, r):  # noqa: N802
        return self._batch_write(call, r, "put")

    def _ddb_BatchDeleteItem(self, call, table, r):  # noqa: N802
        return self._batch_write(call, r, "delete")

    @staticmethod
    def _ddb_TransactGetItems(call, table, r):  # noqa: N802
        items = r.get("transactItems") or []
        out = call("TransactGetItems", {"TransactItems": [{"Get": {"TableName": i["table"], "Key": i["key"]}}
                                                          for i in items]})
        return {"items": [from_item(x.get("Item")) for x in out.get("Responses", [])], "cancellationReasons": None}

    @staticmethod
    def _ddb_TransactWriteItems(call, table, r):  # noqa: N802
        writes = []
        for item in r.get("transactItems") or []:
            operation = item.get("operation")
            base = {"TableName": item["table"]}
            if operation == "PutItem":
                writes.append({"Put": _with_expressions({**base, "Item": {**(item.get("attributeValues") or {}),
                                                                          **item["key"]}},
                                                        ConditionExpression=item.get("condition"))})
            elif operation == "UpdateItem":
                writes.append({"Update": _with_expressions({**base, "Key": item["key"]}, UpdateExpression=item.get("update"),
                                                           ConditionExpression=item.get("condition"))})
            elif operation == "DeleteItem":
                writes.append({"Delete": _with_expressions({**base, "Key": item["key"]},
                                                           ConditionExpression=item.get("condition"))})
            elif operation == "ConditionCheck":
                writes.append({"ConditionCheck": _with_expressions({**base, "Key": item["key"]},
                                                                   ConditionExpression=item.get("condition"))})
            else:
                raise ResolverError(f"Unsupported operation '{operation}' in transactItems.", "DynamoDB:UnsupportedOperation")
        call("TransactWriteItems", {"TransactItems": writes})
        return {"keys": [from_item(i["key"]) for i in r.get("transactItems") or []], "cancellationReasons": None}

    # -- Lambda ---------------------------------------------------------------------------------
    async def lambda_(self, source: DataSource, request: Any, scope) -> Any:
        """Invoke (or BatchInvoke, run as one Invoke) the data source's function with the request's
        payload, as its service role when that role exists; the function's result is the result."""
        if not isinstance(request, dict) or request.get("operation", "Invoke") not in ("Invoke", "BatchInvoke"):
            raise ResolverError("The request document of a Lambda data source is an Invoke.", "MappingTemplate")
        caller = self._caller(source, scope[0])
        try:
            invocation = await self.cloud.services.api("lambda").invoke(
                scope[0], scope[1], source.settings["lambdaConfig"]["lambdaFunctionArn"], request.get("payload"),
                caller=caller if caller.type != "Root" else None)
        except ServiceError as error:
            raise ResolverError(f"{error.message} (Service: AWSLambda; Status Code: {error.status}; "
                                f"Error Code: {error.code})", f"Lambda:{error.code}") from None
        result = invocation.json()
        if invocation.function_error:
            failure = result if isinstance(result, dict) else {}
            raise ResolverError(failure.get("errorMessage") or "The function failed.", "Lambda:Unhandled",
                                error_info={"errorType": failure.get("errorType")})
        return result

    # -- HTTP -----------------------------------------------------------------------------------
    async def http(self, source: DataSource, request: Any) -> dict:
        if not isinstance(request, dict):
            raise ResolverError("The request document of an HTTP data source is an object.", "MappingTemplate")
        endpoint = source.settings["httpConfig"]["endpoint"].rstrip("/")
        params = request.get("params") or {}
        url = endpoint + (request.get("resourcePath") or "")
        if params.get("query"):
            url += "?" + urllib.parse.urlencode(params["query"], doseq=True)
        body = params.get("body")
        data = body.encode() if isinstance(body, str) else (orjson.dumps(body) if body is not None else None)
        outgoing = urllib.request.Request(url, data=data, method=request.get("method", "GET"),
                                          headers=params.get("headers") or {})

        def send() -> dict:
            try:
                with urllib.request.urlopen(outgoing, timeout=30) as response:  # noqa: S310 - the user's endpoint
                    return {"statusCode": response.status, "headers": dict(response.headers),
                            "body": response.read().decode("utf-8", "replace")}
            except urllib.error.HTTPError as error:
                return {"statusCode": error.code, "headers": dict(error.headers),
                        "body": error.read().decode("utf-8", "replace")}
            except (urllib.error.URLError, OSError) as error:
                raise ResolverError(f"An error occurred while calling the HTTP endpoint: {error}",
                                    "HTTP:ConnectionError") from None
        return await asyncio.to_thread(send)
