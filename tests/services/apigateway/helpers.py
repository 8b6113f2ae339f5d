"""Shared pieces of the API Gateway tests: a real HTTP backend, and building a deployed API."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/slow"):
            time.sleep(2)  # longer than the integration's timeout in the test that calls it
        if self.path.startswith("/status/"):
            status = int(self.path.split("/")[2].split("?")[0])
        else:
            status = 200
        document = {"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode("utf-8", "replace")}
        out = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Backend", "echo")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, *args) -> None:
        pass


class EchoBackend:
    """A real HTTP server on 127.0.0.1 that answers every request with what it received."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "EchoBackend":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def invoke_url(cloud, api_id: str, stage: str, path: str = "/") -> str:
    """The path form of an invoke URL, which needs no Host header."""
    return f"{cloud.endpoint}/restapis/{api_id}/{stage}/_user_request_{path}"


def mock_api(gw, path_part: str = "ping", api_key_required: bool = False, template: str = '{"ok": true}',
             stage: str = "prod", authorization: str = "NONE") -> tuple[str, str]:
    """A deployed API with GET /<path_part> answered by a MOCK integration: (api id, resource id)."""
    api = gw.create_rest_api(name="mocked")
    resource = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart=path_part)
    gw.put_method(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", authorizationType=authorization,
                  apiKeyRequired=api_key_required)
    gw.put_integration(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", type="MOCK",
                       requestTemplates={"application/json": '{"statusCode": 200}'})
    gw.put_method_response(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", statusCode="200")
    gw.put_integration_response(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", statusCode="200",
                                responseTemplates={"application/json": template})
    gw.create_deployment(restApiId=api["id"], stageName=stage)
    return api["id"], resource["id"]


def keyed_plan(gw, api_id: str, stage: str = "prod", throttle: dict | None = None, quota: dict | None = None,
               enabled: bool = True) -> tuple[dict, dict]:
    """An API key in a usage plan for the stage: (key, plan)."""
    key = gw.create_api_key(name="caller", enabled=enabled)
    arguments = {"name": "plan", "apiStages": [{"apiId": api_id, "stage": stage}]}
    if throttle:
        arguments["throttle"] = throttle
    if quota:
        arguments["quota"] = quota
    plan = gw.create_usage_plan(**arguments)
    gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    return key, plan
