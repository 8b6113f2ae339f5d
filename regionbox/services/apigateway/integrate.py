"""What answers a call once API Gateway has let it through: the method's integration.

- MOCK: the request template's ``statusCode`` picks the integration response (without a
  template, the default one); its response template is the body.
- HTTP: the request is mapped (request parameters, request templates and passthrough
  behavior) and sent; the backend's status code picks the integration response
  (``selectionPattern`` is a regular expression over it), whose template maps the body.
- HTTP_PROXY: the request is forwarded as it came (method, path parameters in the URI, query
  string, headers, body) and the backend's answer returned as it is.
- AWS_PROXY: a Lambda function with the proxy event (lambda_proxy.py).
- AWS (non-proxy service integrations) is not run: 500 ``{"message": "Internal server error"}``.

Backend failures are AWS's: unreachable 500 "Internal server error", too slow 504 "Endpoint
request timed out".
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, Callable
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import orjson

from regionbox.core.store import Scope
from regionbox.protocol.http import HttpRequest, HttpResponse
from regionbox.services.apigateway.http_client import HttpClient, Tls, UpstreamError
from regionbox.services.apigateway.lambda_proxy import LambdaProxy
from regionbox.services.apigateway.models import ApiKey, Stage
from regionbox.services.apigateway.templates import TemplateInput, render
from regionbox.services.apigateway.vtl import TemplateError

# Headers a proxy does not pass on (hop-by-hop), and those the client library sets itself.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
               "host", "content-length"}
_URI_PARAM = re.compile(r"\{([A-Za-z0-9._-]+)\+?\}")


@dataclass
class Call:
    request: HttpRequest
    body: bytes
    request_id: str
    scope: Scope
    api_id: str
    stage: Stage
    resource: dict
    method: dict
    path: str
    path_params: dict[str, str]
    api_key: ApiKey | None
    started: float
    refuse: Callable[..., HttpResponse]  # (gateway response type[, message]) -> API Gateway's own answer
    context: dict[str, Any]  # $context: the request's id, stage, resource, identity ... (invoke.py)

    @property
    def variables(self) -> dict[str, str]:
        return self.stage.body.get("variables") or {}

    def template_input(self, body: bytes | None = None) -> TemplateInput:
        return TemplateInput(self.body if body is None else body, self.path_params,
                             dict(parse_qsl(self.request.query_string, keep_blank_values=True)),
                             self.request.headers, self.context, self.variables)


def internal_error(call: Call) -> HttpResponse:
    return call.refuse("API_CONFIGURATION_ERROR")


class Integrator:
    def __init__(self, client: HttpClient, lambda_proxy: LambdaProxy,
                 client_certificate: Callable[[Scope, str], tuple[Path, Path] | None],
                 vpc_link_address: Callable[[Scope, str], str | None]) -> None:
        self.client = client
        self.lambda_proxy = lambda_proxy
        self.client_certificate = client_certificate  # (scope, id) -> a stage's certificate and key files
        self.vpc_link_address = vpc_link_address  # (scope, link id) -> the load balancer's address

    async def run(self, call: Call) -> HttpResponse:
        integration = call.method.get("methodIntegration") or {}
        kind = integration.get("type")
        if kind == "MOCK":
            return self._mock(call, integration)
        if kind == "HTTP_PROXY":
            return await self._http_proxy(call, integration)
        if kind == "HTTP":
            return await self._http(call, integration)
        if kind == "AWS_PROXY":
            return await self.lambda_proxy.run(call, integration)
        # AWS (non-proxy) service integrations need a role and a service action regionbox does not run.
        return internal_error(call)

    # -- MOCK -------------------------------------------------------------------------------------
    def _mock(self, call: Call, integration: dict) -> HttpResponse:
        template = _request_template(integration, call.request)
        if template is None:  # no request template: the default integration response, as AWS documents
            return self._mapped(call, integration, None, b"", [])
        try:
            document = orjson.loads(render(template, call.template_input()) or "{}")
            status = int(document.get("statusCode", 200)) if isinstance(document, dict) else 200
        except (orjson.JSONDecodeError, TypeError, ValueError):
            return internal_error(call)
        return self._mapped(call, integration, str(status), b"", [])

    # -- HTTP (mapped) ----------------------------------------------------------------------------
    async def _http(self, call: Call, integration: dict) -> HttpResponse:
        templates = integration.get("requestTemplates") or {}
        template = _request_template(integration, call.request)
        behavior = integration.get("passthroughBehavior", "WHEN_NO_MATCH")
        if template is None and (behavior == "NEVER" or (behavior == "WHEN_NO_TEMPLATES" and templates)):
            return call.refuse("UNSUPPORTED_MEDIA_TYPE")
        try:
            body = render(template, call.template_input()).encode() if template is not None else call.body
        except TemplateError:
            return internal_error(call)
        mapped = _request_parameters(call, integration)
        headers = list(mapped["header"].items())
        if template is not None or call.request.headers.get("content-type"):
            headers.append(("Content-Type", "application/json" if template is not None
                            else call.request.headers["content-type"]))
        url = _integration_url(call, integration, mapped["path"], mapped["querystring"], proxy=False)
        answer = await self._send(call, integration, url, headers, body)
        if isinstance(answer, HttpResponse):
            return answer
        return self._mapped(call, integration, str(answer.status), answer.body, answer.headers)

    def _mapped(self, call: Call, integration: dict, selector: str | None, body: bytes,
                backend_headers: list[tuple[str, str]]) -> HttpResponse:
        """The integration response the selector (a status code) picks, applied; None picks the
        default one (no selectionPattern)."""
        responses = integration.get("integrationResponses") or {}
        chosen = next((r for r in responses.values() if selector is not None and r.get("selectionPattern")
                       and re.fullmatch(r["selectionPattern"], selector)), None)
        chosen = chosen or next((r for r in responses.values() if not r.get("selectionPattern")), None)
        if chosen is None:
            return internal_error(call)
        templates = chosen.get("responseTemplates") or {}
        template = templates.get("application/json") or (next(iter(templates.values())) if templates else None)
        try:
            out = render(template, call.template_input(body)).encode() if template is not None else body
        except TemplateError:
            return internal_error(call)
        headers = [("Content-Type", "application/json")]
        backend = {k.lower(): v for k, v in backend_headers}
        for name, source in (chosen.get("responseParameters") or {}).items():
            if not name.startswith("method.response.header."):
                continue
            value = _parameter_value(source, call, backend)
            if value is not None:
                header = name.removeprefix("method.response.header.")
                headers = [(k, v) for k, v in headers if k.lower() != header.lower()] + [(header, value)]
        headers += [("Content-Length", str(len(out))), ("x-amzn-RequestId", call.request_id),
                    ("x-amz-apigw-id", call.request_id[:16])]
        return HttpResponse(int(chosen["statusCode"]), headers, out)

    # -- HTTP_PROXY -------------------------------------------------------------------------------
    async def _http_proxy(self, call: Call, integration: dict) -> HttpResponse:
        mapped = _request_parameters(call, integration)
        headers = [(k, v) for k, v in call.request.headers.items() if k not in _HOP_BY_HOP]
        headers = [(k, v) for k, v in headers if k not in {h.lower() for h in mapped["header"]}]
        headers += list(mapped["header"].items())
        forwarded = call.request.headers.get("x-forwarded-for")
        headers.append(("X-Forwarded-For", f"{forwarded}, 127.0.0.1" if forwarded else "127.0.0.1"))
        headers.append(("X-Amzn-Trace-Id", f"Root=1-{int(call.started):08x}-{call.request_id.replace('-', '')[:24]}"))
        url = _integration_url(call, integration, mapped["path"], mapped["querystring"], proxy=True)
        answer = await self._send(call, integration, url, headers, call.body)
        if isinstance(answer, HttpResponse):
            return answer
        out = [(k, v) for k, v in answer.headers if k.lower() not in _HOP_BY_HOP]
        out += [("Content-Length", str(len(answer.body))), ("x-amzn-RequestId", call.request_id),
                ("x-amz-apigw-id", call.request_id[:16])]
        return HttpResponse(answer.status, out, answer.body)

    async def _send(self, call: Call, integration: dict, url: str, headers: list[tuple[str, str]], body: bytes):
        method = integration.get("httpMethod") or call.request.method
        if method == "ANY":
            method = call.request.method
        certificate_id = call.stage.body.get("clientCertificateId")
        client_cert = self.client_certificate(call.scope, certificate_id) if certificate_id else None
        tls = Tls(verify=not (integration.get("tlsConfig") or {}).get("insecureSkipVerification"), client_cert=client_cert)
        connect_to = None
        if integration.get("connectionType") == "VPC_LINK":
            link = _stage_variables(integration.get("connectionId") or "", call.variables)
            address = self.vpc_link_address(call.scope, link)
            if address is None:
                return internal_error(call)
            parts = urlsplit(url)
            connect_to = (address, parts.port or (443 if parts.scheme == "https" else 80))
        try:
            return await self.client.request(method, url, headers, body, integration.get("timeoutInMillis", 29000) / 1000,
                                             tls=tls, connect_to=connect_to)
        except asyncio.TimeoutError:
            return call.refuse("INTEGRATION_TIMEOUT")
        except UpstreamError:
            return internal_error(call)


def _request_template(integration: dict, request: HttpRequest) -> str | None:
    templates = integration.get("requestTemplates") or {}
    content_type = request.headers.get("content-type", "application/json").split(";", 1)[0].strip().lower()
    return templates.get(content_type)


def _parameter_value(source: str, call: Call, backend_headers: dict[str, str] | None = None) -> str | None:
    """A mapping's source: ``'literal'``, ``method.request.{path,querystring,header}.x``,
    ``stageVariables.x``, ``context.x``, ``integration.response.header.x``."""
    if len(source) >= 2 and source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    for prefix, values in (("method.request.path.", call.path_params),
                           ("method.request.querystring.", dict(parse_qsl(call.request.query_string, keep_blank_values=True))),
                           ("method.request.header.", None), ("stageVariables.", call.variables),
                           ("integration.response.header.", backend_headers or {})):
        if source.startswith(prefix):
            name = source[len(prefix):]
            if values is None:
                return call.request.headers.get(name.lower())
            return values.get(name.lower() if prefix.startswith("integration") else name)
    if source.startswith("context."):
        current: Any = call.context
        for part in source.split(".")[1:]:
            current = current.get(part) if isinstance(current, dict) else None
        return None if current is None else str(current)
    return None


def _request_parameters(call: Call, integration: dict) -> dict[str, dict[str, str]]:
    """``integration.request.{header,querystring,path}.x`` mapped from their sources."""
    mapped: dict[str, dict[str, str]] = {"header": {}, "querystring": {}, "path": {}}
    for name, source in (integration.get("requestParameters") or {}).items():
        parts = name.split(".", 3)
        if len(parts) == 4 and parts[0] == "integration" and parts[1] == "request" and parts[2] in mapped:
            value = _parameter_value(source, call)
            if value is not None:
                mapped[parts[2]][parts[3]] = value
    return mapped


def _stage_variables(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}", lambda m: variables.get(m.group(1), ""), text)


def _integration_url(call: Call, integration: dict, path_values: dict[str, str], query: dict[str, str],
                     proxy: bool) -> str:
    uri = _stage_variables(integration.get("uri", ""), call.variables)

    def fill(found: re.Match) -> str:
        name = found.group(1)
        value = path_values.get(name, call.path_params.get(name))  # mapped, else the method's own of that name
        return quote(value, safe="/") if value is not None else found.group(0)
    uri = _URI_PARAM.sub(fill, uri)
    extra = call.request.query_string if proxy else ""
    mapped = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query.items())
    joined = "&".join(part for part in (extra, mapped) if part)
    if joined:
        uri += ("&" if "?" in uri else "?") + joined
    return uri


