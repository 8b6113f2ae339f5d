"""What API Gateway offers other services (``cloud.services.api("apigateway")``).

- ``call``: a request to a deployed stage's invoke URL, answered exactly as the data plane answers
  a client on the wire (signature and ``execute-api:Invoke`` for AWS_IAM methods, authorizers, API
  keys, throttles, validation, the integration), without a round trip through the cloud's own
  port. Transfer Family's API_GATEWAY identity providers call it: AWS's Transfer calls the API's
  ``/servers/{serverId}/users/{username}/config`` method, signed with the server's invocation role.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from regionbox.protocol.http import BodyStream, HttpRequest
from regionbox.services.apigateway.invoke import MAX_PAYLOAD, Invoker


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class ApiGatewayApi:
    def __init__(self, invoker: Invoker) -> None:
        self._invoker = invoker

    async def call(self, url: str, method: str = "GET", headers: dict[str, str] | None = None,
                   body: bytes = b"") -> ApiResponse | None:
        """The answer to ``method url`` (any of the invoke URL forms: ``https://<api>.execute-api.
        <region>.amazonaws.com/<stage>/...``, ``http://<api>.execute-api.localhost:4566/<stage>/...``,
        ``http://localhost:4566/_aws/execute-api/<api>/<stage>/...``); ``headers`` as sent, with
        ``host`` the URL's (what a signature covers). None when the URL names no API of regionbox."""
        parts = urlsplit(url)
        sent = {name.lower(): value for name, value in (headers or {}).items()}
        sent.setdefault("host", parts.netloc)
        request = HttpRequest(method=method.upper(), path=parts.path or "/", query_string=parts.query, headers=sent,
                              host=sent["host"], stream=BodyStream.of(body), raw_body=body,
                              raw_headers=[*(headers or {}).items()] + ([] if "host" in {k.lower() for k in headers or {}}
                                                                        else [("Host", sent["host"])]))
        if self._invoker.target(request) is None:
            return None
        response = await self._invoker.handle(request)
        if response is None:
            return None
        content = response.body
        if not isinstance(content, (bytes, bytearray)):
            chunks, size = [], 0
            async for chunk in content:
                size += len(chunk)
                if size > MAX_PAYLOAD:
                    break
                chunks.append(chunk)
            content = b"".join(chunks)
        return ApiResponse(response.status, list(response.headers), bytes(content))
