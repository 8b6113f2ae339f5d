"""AWS_PROXY integrations to Lambda: the call becomes API Gateway's proxy event (payload format
1.0), the function is invoked through Lambda's api (``cloud.services.api("lambda")``) as the service
principal ``apigateway.amazonaws.com`` from the method's ARN (so the function's resource policy must
let API Gateway in, as ``aws lambda add-permission`` does), or trusted when the integration names
``credentials`` (a role API Gateway assumes); its answer (``statusCode``, ``headers``,
``multiValueHeaders``, ``body``, ``isBase64Encoded``) is the response.

AWS's failures: a function that cannot be invoked (missing, not allowed) is 500 "Internal server
error"; a function error or an answer that is not a proxy response is 502.
"""

from __future__ import annotations

import base64
import logging
from typing import Any, Callable
from urllib.parse import parse_qsl

import orjson

from regionbox.core.errors import ServiceError
from regionbox.protocol.http import HttpResponse
from regionbox.services.apigateway.integrations import lambda_function
from regionbox.services.apigateway.signed_calls import method_arn

log = logging.getLogger("regionbox.apigateway")


def event_headers(request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``headers`` and ``multiValueHeaders`` as AWS gives them to a function: names in the client's
    own case, a repeated header's values apart (its last one in ``headers``)."""
    headers: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}  # the first spelling of each name, for one that comes back spelled otherwise
    for name, value in request.sent_headers():
        name = spelled.setdefault(name.lower(), name)
        headers[name] = value
        multi.setdefault(name, []).append(value)
    return headers, multi


def proxy_event(call) -> dict:
    request = call.request
    query = parse_qsl(request.query_string, keep_blank_values=True)
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        multi_query.setdefault(name, []).append(value)
    headers, multi_headers = event_headers(request)
    body = call.body
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    context = {**call.context, "resourceId": call.resource["id"], "resourcePath": call.resource["path"],
               "domainName": request.host.rsplit(":", 1)[0], "domainPrefix": call.api_id}
    return {
        "resource": call.resource["path"], "path": call.path, "httpMethod": request.method,
        "headers": headers or None, "multiValueHeaders": multi_headers or None,
        "queryStringParameters": dict(query) or None, "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(call.path_params) or None, "stageVariables": dict(call.variables) or None,
        "requestContext": context, "body": text if body else None, "isBase64Encoded": encoded,
    }


class LambdaProxy:
    def __init__(self, lambda_api: Callable[[], Any]) -> None:
        self.lambda_api = lambda_api

    async def run(self, call, integration: dict) -> HttpResponse:
        function = lambda_function(integration.get("uri", ""))
        if function is None:
            return call.refuse("API_CONFIGURATION_ERROR")
        source = method_arn(call.scope[1], call.scope[0], call.api_id, call.stage.name, call.request.method, call.path)
        trusted = bool(integration.get("credentials"))
        try:
            answer = await self.lambda_api().invoke(
                call.scope[0], function.split(":")[3] if function.startswith("arn:") else call.scope[1], function,
                orjson.dumps(proxy_event(call)), principal=None if trusted else "apigateway.amazonaws.com",
                source_arn=None if trusted else source, source_account=None if trusted else call.scope[0])
        except ServiceError as error:  # no such function, not allowed, throttled: AWS's 500
            log.info("AWS_PROXY to %s failed: %s %s", function, error.code, error.message)
            return call.refuse("API_CONFIGURATION_ERROR")
        if answer.function_error:
            return call.refuse("API_CONFIGURATION_ERROR", status=502)
        try:
            result = answer.json()
        except orjson.JSONDecodeError:
            result = None
        if not isinstance(result, dict) or not isinstance(result.get("statusCode", 200), int):
            return call.refuse("API_CONFIGURATION_ERROR", status=502)  # "Malformed Lambda proxy response"
        body = result.get("body") or ""
        if not isinstance(body, str):
            return call.refuse("API_CONFIGURATION_ERROR", status=502)
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers += [(name, str(v)) for v in (values or [])]
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers += [("Content-Length", str(len(data))), ("x-amzn-RequestId", call.request_id),
                    ("x-amz-apigw-id", call.request_id[:16])]
        return HttpResponse(int(result.get("statusCode", 200)), headers, data)
