"""Function URLs: Create/Get/Update/Delete/ListFunctionUrlConfigs, and the URLs themselves.

A URL belongs to the unqualified function or to one alias. On AWS it is
``https://<url-id>.lambda-url.<region>.on.aws/``; here ``http://<url-id>.lambda-url.<region>.localhost:<port>/``,
and ``http://localhost:<port>/_aws/lambda-url/<url-id>/`` where no DNS resolves ``*.localhost``.
A request becomes the payload format 2.0 event and the function's answer the response, as
Lambda maps them: a JSON object with ``statusCode`` is a response (``headers``, ``cookies``,
``body``, ``isBase64Encoded``); any other valid JSON is a 200 ``application/json`` body.

Who may call: ``AuthType: NONE`` needs the function's resource policy to allow
``lambda:InvokeFunctionUrl`` to ``*`` (``aws lambda add-permission --function-url-auth-type NONE``);
``AWS_IAM`` needs a SigV4 signature for the ``lambda`` service and IAM's verdict on
``lambda:InvokeFunctionUrl`` (the caller's policies and the function's). A refusal is AWS's 403
``{"Message":"Forbidden"}``. CORS is answered from the URL's ``Cors`` for browser requests.
``InvokeMode: RESPONSE_STREAM`` is accepted; the answer is sent once the function returns.
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote

import orjson

from regionbox.core import clock, ids
from regionbox.core.context import Caller, RequestContext
from regionbox.core.credentials import CredentialRegistry
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.core.service import Access
from regionbox.core.store import Scope
from regionbox.gateway.identity import credential_scope, signed_caller
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.services.lambda_.errors import conflict, invalid_value, no_such_resource
from regionbox.services.lambda_.invoke import SYNC_LIMIT, Invoker
from regionbox.services.lambda_.invoke_configs import CONFIGS_PAGE as PAGE_OF_50
from regionbox.services.lambda_.models import LATEST, FunctionUrl
from regionbox.services.lambda_.names import FunctionRef, function_arn, parse_function
from regionbox.services.lambda_.permissions import Permissions
from regionbox.services.lambda_.state import LambdaState

PATH = "/_aws/lambda-url/"
HOST_SUFFIX = ".lambda-url."
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def _now() -> str:
    epoch = clock.epoch()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1e6) % 1000000:06d}Z"


def _json(status: int, document: dict, extra: list[tuple[str, str]] = ()) -> HttpResponse:
    body = orjson.dumps(document)
    return HttpResponse(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *extra], body)


FORBIDDEN = {"Message": "Forbidden"}


class FunctionUrls:
    def __init__(self, state: LambdaState, invoker: Invoker, permissions: Permissions, paginator: Paginator,
                 credentials: CredentialRegistry, iam: Callable[[], Any], enforce_iam: bool, port: int) -> None:
        self.state = state
        self.invoker = invoker
        self.permissions = permissions
        self.paginator = paginator
        self.credentials = credentials
        self.iam = iam
        self.enforce_iam = enforce_iam
        self.port = port
        self._where: dict[str, tuple[Scope, str]] = {}  # url id -> (scope, key); checked on every use

    # -- the control plane ---------------------------------------------------------------------
    def url_of(self, scope: Scope, url_id: str) -> str:
        return f"http://{url_id}{HOST_SUFFIX}{scope[1]}.localhost:{self.port}/"

    def _output(self, scope: Scope, url: FunctionUrl, modified: bool = True) -> dict[str, Any]:
        output: dict[str, Any] = {"FunctionUrl": self.url_of(scope, url.url_id),
                                  "FunctionArn": function_arn(*scope, url.function, url.qualifier or None),
                                  "AuthType": url.auth_type, "CreationTime": url.created, "InvokeMode": url.invoke_mode}
        if url.cors is not None:
            output["Cors"] = dict(url.cors)
        if modified:
            output["LastModifiedTime"] = url.last_modified
        return output

    def _ref(self, ctx: RequestContext, params: dict) -> tuple[FunctionRef, str]:
        ref = parse_function(ctx, params["FunctionName"], params.get("Qualifier"))
        self.state.function(ref)
        qualifier = ref.qualifier or ""
        if qualifier == LATEST or qualifier.isdigit():
            # Qualifier's pattern: an alias name, never a version (AWS's validation message).
            raise invalid_value(f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to satisfy "
                                "constraint: Member must satisfy regular expression pattern: "
                                "((?!^\\d+$)^[0-9a-zA-Z-_]+$)")
        if qualifier:
            self.state.alias(ref, qualifier)
        return ref, f"{ref.name}:{qualifier}"

    @staticmethod
    def _check_cors(cors: dict | None) -> None:
        if not cors:
            return
        for method in cors.get("AllowMethods") or []:
            if method != "*" and method.upper() not in ("GET", "PUT", "HEAD", "POST", "PATCH", "DELETE"):
                raise invalid_value(f"Invalid method in AllowMethods: {method}")

    def create_function_url_config(self, ctx: RequestContext, params: dict) -> dict:
        ref, key = self._ref(ctx, params)
        if key in {k for k, _ in self.state.urls.items(ref.scope)}:
            raise conflict(f"Failed to create function url config for [functionArn = "
                           f"{function_arn(*ref.scope, ref.name, ref.qualifier)}]. Error message:  FunctionUrlConfig "
                           "exists for this Lambda function")
        self._check_cors(params.get("Cors"))
        now = _now()
        url = FunctionUrl(function=ref.name, qualifier=key.split(":", 1)[1], url_id=secrets.token_hex(16),
                          auth_type=params["AuthType"], created=now, last_modified=now,
                          invoke_mode=params.get("InvokeMode") or "BUFFERED", cors=params.get("Cors"))
        self.state.urls.put(ref.scope, key, url)
        self._where[url.url_id] = (ref.scope, key)
        return self._output(ref.scope, url, modified=False)

    def _existing(self, ref: FunctionRef, key: str) -> FunctionUrl:
        url = self.state.urls.get(ref.scope, key)
        if url is None:
            raise no_such_resource()
        return url

    def get_function_url_config(self, ctx: RequestContext, params: dict) -> dict:
        ref, key = self._ref(ctx, params)
        return self._output(ref.scope, self._existing(ref, key))

    def update_function_url_config(self, ctx: RequestContext, params: dict) -> dict:
        ref, key = self._ref(ctx, params)
        url = self._existing(ref, key)
        self._check_cors(params.get("Cors"))
        if params.get("AuthType"):
            url.auth_type = params["AuthType"]
        if params.get("InvokeMode"):
            url.invoke_mode = params["InvokeMode"]
        if "Cors" in params:
            url.cors = params["Cors"] or None
        url.last_modified = _now()
        self.state.urls.put(ref.scope, key, url)
        return self._output(ref.scope, url)

    def delete_function_url_config(self, ctx: RequestContext, params: dict) -> dict:
        ref, key = self._ref(ctx, params)
        url = self._existing(ref, key)
        self.state.urls.delete(ref.scope, key)
        self._where.pop(url.url_id, None)
        return {}

    def list_function_url_configs(self, ctx: RequestContext, params: dict) -> dict:
        ref = parse_function(ctx, params["FunctionName"])
        self.state.function(ref)
        urls = sorted((u for k, u in self.state.urls.items(ref.scope) if k.startswith(f"{ref.name}:")),
                      key=lambda u: u.qualifier)
        page, marker = self.paginator.paginate(urls, params, PAGE_OF_50, query=ref.name)
        output: dict[str, Any] = {"FunctionUrlConfigs": [self._output(ref.scope, u) for u in page]}
        if marker:
            output["NextMarker"] = marker
        return output

    # -- the URLs ------------------------------------------------------------------------------
    @staticmethod
    def target(request: HttpRequest) -> tuple[str, str, str] | None:
        """(url id, region or "", the path the function sees) of a request to a function URL."""
        host = request.host.rsplit(":", 1)[0].lower()
        if HOST_SUFFIX in host:
            url_id, _, rest = host.partition(HOST_SUFFIX)
            return url_id, rest.split(".", 1)[0], request.path or "/"
        if request.path.startswith(PATH):
            url_id, _, rest = request.path[len(PATH):].partition("/")
            return url_id, "", "/" + rest
        return None

    def find(self, url_id: str, region: str = "") -> tuple[Scope, FunctionUrl] | None:
        where = self._where.get(url_id)
        if where is None:  # another process's, or from before a restart: look once
            where = next(((scope, key) for scope, key, u in self.state.urls.all() if u.url_id == url_id), None)
            if where is None:
                return None
            self._where[url_id] = where
        url = self.state.urls.get(*where)
        if url is None or url.url_id != url_id or (region and where[0][1] != region):
            self._where.pop(url_id, None)
            return None
        return where[0], url

    def cors(self, request: HttpRequest) -> list[tuple[str, str]] | None:
        """The CORS headers a URL's ``Cors`` grants a browser request (preflight or not), or None."""
        target = self.target(request)
        origin = request.headers.get("origin")
        found = self.find(target[0], target[1]) if target else None
        if found is None or not origin or not found[1].cors:
            return None
        cors = found[1].cors
        origins = cors.get("AllowOrigins") or []
        if "*" not in origins and origin not in origins:
            return None
        preflight = request.method == "OPTIONS"
        method = request.headers.get("access-control-request-method", "") if preflight else request.method
        methods = [m.upper() for m in cors.get("AllowMethods") or []]
        if preflight and "*" not in methods and method.upper() not in methods:
            return None
        headers = [("Access-Control-Allow-Origin", "*" if "*" in origins and not cors.get("AllowCredentials") else origin),
                   ("Vary", "Origin")]
        if cors.get("AllowCredentials"):
            headers.append(("Access-Control-Allow-Credentials", "true"))
        if cors.get("ExposeHeaders"):
            headers.append(("Access-Control-Expose-Headers", ",".join(cors["ExposeHeaders"])))
        if preflight:
            headers.append(("Access-Control-Allow-Methods", ",".join(methods or [method.upper()])))
            if cors.get("AllowHeaders"):
                headers.append(("Access-Control-Allow-Headers", ",".join(cors["AllowHeaders"])))
            if cors.get("MaxAge") is not None:
                headers.append(("Access-Control-Max-Age", str(cors["MaxAge"])))
        return headers

    async def serve(self, request: HttpRequest) -> HttpResponse | None:
        target = self.target(request)
        if target is None:
            return None
        url_id, region, path = target
        found = self.find(url_id, region)
        if found is None:
            return _json(404, {"Message": None})
        scope, url = found
        if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            granted = self.cors(request)  # a preflight the gateway let through: no rule granted it
            return HttpResponse(200, [*(granted or []), ("Content-Length", "0")])
        body = await request.stream.read(SYNC_LIMIT + 1) if request.stream is not None else request.body
        if len(body) > SYNC_LIMIT:
            return _json(413, {"Message": "Request must be smaller than 6291456 bytes for the InvokeFunction operation"})
        ref = FunctionRef(scope[0], scope[1], url.function, url.qualifier or None)
        authorizer = self._authorize(request, body, ref, url)
        if isinstance(authorizer, HttpResponse):
            return authorizer
        event = self.event(request, body, path, scope, url, authorizer)
        try:
            result = await self.invoker.call(ref, orjson.dumps(event), request_id=event["requestContext"]["requestId"])
        except ServiceError as error:
            if error.code == "TooManyRequestsException":
                return _json(429, {"Message": "Rate Exceeded."})
            return _json(502 if error.status >= 500 else 403 if error.status == 403 else 500,
                         {"Message": "Internal Server Error"})
        if result.error is not None:
            return _json(502, {"Message": "Internal Server Error"}, [("x-amzn-RequestId", event["requestContext"]["requestId"])])
        return self.response(result.payload, event["requestContext"]["requestId"])

    def _authorize(self, request: HttpRequest, body: bytes, ref: FunctionRef, url: FunctionUrl) -> dict | HttpResponse | None:
        arn = function_arn(ref.account, ref.region, ref.name, ref.qualifier)
        context = {"lambda:FunctionUrlAuthType": url.auth_type}
        if url.auth_type == "NONE":
            policy = self.permissions.policy_of(arn)
            ctx = RequestContext(caller=Caller.root(ref.account), region=ref.region, request_id="", service="lambda",
                                 operation="InvokeFunctionUrl")
            verdict = self.iam().resource_policy_verdict(policy, ctx, "lambda:InvokeFunctionUrl", arn, context,
                                                         anonymous=True)
            return None if verdict == "Allow" else _json(403, FORBIDDEN)
        scope = credential_scope(request)
        if scope is None or (scope.service and scope.service != "lambda"):
            return _json(403, FORBIDDEN)
        try:
            caller, issued = signed_caller(request, body, scope, self.credentials)
        except ServiceError:
            return _json(403, FORBIDDEN)
        if self.enforce_iam and (caller.type != "Root" or caller.account_id != ref.account):
            ctx = RequestContext(caller=caller, region=ref.region, request_id="", service="lambda",
                                 operation="InvokeFunctionUrl", user_agent=request.headers.get("user-agent", ""))
            denial = self.iam().authorize(ctx, issued, "lambda:InvokeFunctionUrl", [Access(arn, context=context)],
                                          self.permissions.policy_of)
            if denial is not None:
                return _json(403, FORBIDDEN)
        return {"iam": {"accessKey": scope.access_key_id, "accountId": caller.account_id, "callerId": caller.user_id,
                        "cognitoIdentity": None, "principalOrgId": None, "userArn": caller.arn, "userId": caller.user_id}}

    @staticmethod
    def event(request: HttpRequest, body: bytes, path: str, scope: Scope, url: FunctionUrl, authorizer: dict | None) -> dict:
        """Payload format 2.0, as a function URL sends it."""
        headers = {k: v for k, v in request.headers.items() if k != "cookie"}
        query: dict[str, str] = {}
        for name, value in parse_qsl(request.query_string, keep_blank_values=True):
            query[name] = f"{query[name]},{value}" if name in query else value
        cookies = [c.strip() for c in request.headers.get("cookie", "").split(";") if c.strip()]
        text: str | None = None
        encoded = False
        if body:
            kind = request.headers.get("content-type", "").lower()
            textual = kind.startswith("text/") or "json" in kind or "xml" in kind or "x-www-form-urlencoded" in kind
            try:
                text = body.decode("utf-8") if textual or not kind else None
            except UnicodeDecodeError:
                text = None
            if text is None:
                text, encoded = base64.b64encode(body).decode(), True
        now = clock.epoch()
        domain = request.host.rsplit(":", 1)[0] if HOST_SUFFIX in request.host else \
            f"{url.url_id}{HOST_SUFFIX}{scope[1]}.localhost"
        event: dict[str, Any] = {
            "version": "2.0", "routeKey": "$default", "rawPath": unquote(path), "rawQueryString": request.query_string,
            "headers": headers, "requestContext": {
                "accountId": "anonymous" if authorizer is None else authorizer["iam"]["accountId"],
                "apiId": url.url_id, "domainName": domain, "domainPrefix": url.url_id,
                "http": {"method": request.method, "path": unquote(path), "protocol": "HTTP/1.1",
                         "sourceIp": request.headers.get("x-forwarded-for", "127.0.0.1").split(",")[0].strip(),
                         "userAgent": request.headers.get("user-agent", "")},
                "requestId": ids.request_id(), "routeKey": "$default", "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000)},
            "isBase64Encoded": encoded,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if authorizer is not None:
            event["requestContext"]["authorizer"] = authorizer
        if text is not None:
            event["body"] = text
        return event

    @staticmethod
    def response(payload: bytes, request_id: str) -> HttpResponse:
        """The function's answer as Lambda maps it for a URL (payload format 2.0)."""
        try:
            result = orjson.loads(payload) if payload else None
        except orjson.JSONDecodeError:
            return _json(502, {"Message": "Internal Server Error"})
        headers: list[tuple[str, str]] = [("x-amzn-RequestId", request_id)]
        if not isinstance(result, dict) or "statusCode" not in result:
            body = payload
            headers.append(("Content-Type", "application/json"))
            return HttpResponse(200, [*headers, ("Content-Length", str(len(body)))], body)
        try:
            status = int(result["statusCode"])
            raw = result.get("body")
            body = b"" if raw is None else (base64.b64decode(raw) if result.get("isBase64Encoded") else
                                            (raw if isinstance(raw, str) else orjson.dumps(raw).decode()).encode())
        except (TypeError, ValueError):
            return _json(502, {"Message": "Internal Server Error"})
        given = {str(k): str(v) for k, v in (result.get("headers") or {}).items() if str(k).lower() not in _HOP_BY_HOP}
        if not any(k.lower() == "content-type" for k in given):
            given["Content-Type"] = "application/json"
        headers.extend(given.items())
        headers.extend(("Set-Cookie", str(c)) for c in result.get("cookies") or [])
        headers.append(("Content-Length", str(len(body))))
        return HttpResponse(status, headers, body)
