"""API Gateway benchmark: a REST API's HTTP_PROXY integration against calling its backend
directly, in the same run (the backend is a small asyncio HTTP server in its own process); and
API-key-checked calls (key lookup, usage plan, token bucket, quota, usage counted) with MOCK and
HTTP_PROXY integrations. Each figure is one keep-alive connection replaying the same request.

    python3 bench/apigateway.py [--count 3000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap

sys.path.insert(0, os.path.dirname(__file__))
from _harness import RawRequest, replay, running_regionbox, wait_ready  # noqa: E402

import boto3  # noqa: E402

from regionbox.testing.clients import free_port  # noqa: E402

BACKEND = textwrap.dedent("""
    import asyncio, sys
    BODY = b'{"hello": "world"}'
    ANSWER = (b"HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: "
              + str(len(BODY)).encode() + b"\\r\\n\\r\\n" + BODY)
    async def serve(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\\r\\n\\r\\n")
                length = 0
                for line in head.split(b"\\r\\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                if head.startswith(b"GET /health"):
                    writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n")
                else:
                    writer.write(ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
    async def main():
        server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]))
        async with server:
            await server.serve_forever()
    asyncio.run(main())
""")


def build(endpoint: str, backend_url: str) -> tuple[str, str]:
    """An API with /direct (HTTP_PROXY, no key), /keyed (HTTP_PROXY, API key) and /mock (MOCK,
    API key), deployed to "bench", and a key in a plan whose limits the run never reaches."""
    gw = boto3.client("apigateway", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="123456789012", aws_secret_access_key="x")
    api = gw.create_rest_api(name="bench")
    for part, keyed, kind in (("proxy", False, "HTTP_PROXY"), ("keyed", True, "HTTP_PROXY"), ("mock", True, "MOCK")):
        resource = gw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart=part)
        gw.put_method(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", authorizationType="NONE",
                      apiKeyRequired=keyed)
        if kind == "MOCK":
            gw.put_integration(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", type="MOCK",
                               requestTemplates={"application/json": '{"statusCode": 200}'})
            gw.put_integration_response(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET",
                                        statusCode="200", responseTemplates={"application/json": '{"hello": "world"}'})
        else:
            gw.put_integration(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", type=kind,
                               integrationHttpMethod="GET", uri=f"{backend_url}/hello")
    gw.create_deployment(restApiId=api["id"], stageName="bench")
    key = gw.create_api_key(name="bench", enabled=True)
    plan = gw.create_usage_plan(name="bench", apiStages=[{"apiId": api["id"], "stage": "bench"}],
                                throttle={"rateLimit": 100000.0, "burstLimit": 100000},
                                quota={"limit": 10_000_000, "period": "DAY"})
    gw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    return api["id"], key["value"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=3000)
    args = parser.parse_args()

    backend_port = free_port()
    backend = subprocess.Popen([sys.executable, "-c", BACKEND, str(backend_port)])
    try:
        wait_ready(f"http://127.0.0.1:{backend_port}/health", backend)
        with running_regionbox() as cloud:
            api_id, key = build(cloud.endpoint, f"http://127.0.0.1:{backend_port}")
            base = f"/restapis/{api_id}/bench/_user_request_"
            warm = min(500, args.count)
            runs = [
                ("backend direct", backend_port, RawRequest("GET", "/hello", {}, b"")),
                ("API Gateway HTTP_PROXY", cloud.port, RawRequest("GET", f"{base}/proxy", {}, b"")),
                ("API Gateway HTTP_PROXY + API key", cloud.port, RawRequest("GET", f"{base}/keyed", {"x-api-key": key}, b"")),
                ("API Gateway MOCK + API key", cloud.port, RawRequest("GET", f"{base}/mock", {"x-api-key": key}, b"")),
            ]
            figures = []
            for name, port, request in runs:
                replay("127.0.0.1", port, request, warm, name)  # warm-up: connections, caches
                figures.append(replay("127.0.0.1", port, request, args.count, name))
            for figure in figures:
                print(figure.line())
            direct = figures[0]
            for figure in figures[1:]:
                print(f"{figure.name:<34} {figure.ops / direct.ops:>6.2f}x direct ops/s   "
                      f"p50 +{(figure.pct(0.5) - direct.pct(0.5)):.0f} µs over direct")
    finally:
        backend.kill()
        backend.wait()


if __name__ == "__main__":
    main()
