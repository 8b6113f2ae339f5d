"""TestInvokeMethod: a method tried from the console's "Test" button, on the API as it is now
(not a deployment), bypassing authorization, API keys, throttles and quotas as AWS's test
invocations do; the integration really runs. The answer carries the status, body, headers,
latency and a short log of what happened.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlsplit

from regionbox.core.context import RequestContext
from regionbox.protocol.http import BodyStream, HttpRequest
from regionbox.services.apigateway.integrate import Call, Integrator
from regionbox.services.apigateway.models import Stage
from regionbox.services.apigateway.responses import gateway_response
from regionbox.services.apigateway.routes import Routes
from regionbox.services.apigateway.state import ApiGatewayState


class TryOut:
    def __init__(self, state: ApiGatewayState, integrator: Integrator) -> None:
        self.state = state
        self.integrator = integrator

    async def test_invoke_method(self, ctx: RequestContext, params: dict) -> dict:
        api = self.state.api(ctx.scope, params["restApiId"])
        resource = self.state.resource(api, params["resourceId"])
        method = self.state.method(api, resource["id"], params["httpMethod"])
        target = urlsplit(params.get("pathWithQueryString") or resource["path"])
        headers = {k.lower(): v for k, v in (params.get("headers") or {}).items()}
        for name, values in (params.get("multiValueHeaders") or {}).items():
            headers[name.lower()] = ",".join(values)
        body = (params.get("body") or "").encode()
        request = HttpRequest(params["httpMethod"], target.path or "/", target.query, headers, body,
                              stream=BodyStream.of(body))
        found = Routes(api.resources).match(request.path, request.method)
        path_params = found.path_params if found is not None and found.resource["id"] == resource["id"] else {}
        request_id = str(uuid.uuid4())
        started = time.time()
        stage = Stage(api.id, "test-invoke-stage", {"variables": dict(params.get("stageVariables") or {})})
        context = {"requestId": request_id, "extendedRequestId": request_id, "apiId": api.id,
                   "stage": stage.name, "httpMethod": request.method, "path": request.path,
                   "resourcePath": resource["path"], "resourceId": resource["id"], "protocol": "HTTP/1.1",
                   "accountId": ctx.account_id, "requestTimeEpoch": int(started * 1000),
                   "identity": {"sourceIp": "test-invoke-source-ip", "userAgent": headers.get("user-agent", ""),
                                "apiKey": "test-invoke-api-key", "apiKeyId": "test-invoke-api-key-id"}}
        call = Call(request=request, body=body, request_id=request_id, scope=ctx.scope, api_id=api.id, stage=stage,
                    resource=resource, method=method, path=request.path, path_params=path_params, api_key=None,
                    started=started, context=context,
                    refuse=lambda kind, message=None, status=None: gateway_response(kind, request_id, message=message,
                                                                                   status=status))
        if "methodIntegration" not in method:
            response = call.refuse("API_CONFIGURATION_ERROR")
            log = "Execution failed due to configuration error: No integration defined for method"
        else:
            response = await self.integrator.run(call)
            log = (f"Execution log for request {request_id}\n"
                   f"Starting execution for request: {request_id}\n"
                   f"HTTP Method: {request.method}, Resource Path: {request.path}\n"
                   f"Method completed with status: {response.status}")
        latency = int((time.time() - started) * 1000)
        answer_headers: dict[str, list[str]] = {}
        for name, value in response.headers:
            answer_headers.setdefault(name, []).append(value)
        out = response.body if isinstance(response.body, (bytes, bytearray)) else b""
        return {"status": response.status, "body": out.decode("utf-8", "replace"), "latency": latency, "log": log,
                "headers": {k: v[-1] for k, v in answer_headers.items()}, "multiValueHeaders": answer_headers}
