"""What each API Gateway operation touches, for IAM: AWS authorizes management calls as the HTTP
verb (``apigateway:GET``, ``apigateway:POST`` ...) on the resource path the call names, as the ARN
``arn:aws:apigateway:<region>::/restapis/<id>/resources/<id>/methods/GET`` (no account), so a
policy can grant ``apigateway:GET`` on ``arn:aws:apigateway:*::/restapis/*``.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from regionbox.core.context import RequestContext
from regionbox.protocol.specs import service_model
from regionbox.services.apigateway.tags import api_arn

_LABEL = re.compile(r"\{([^}+]+)\+?\}")


def iam_actions(operations: list[str]) -> dict[str, str]:
    model = service_model("apigateway")
    return {name: f"apigateway:{model.operation_model(name).http['method']}" for name in operations}


def resources(ctx: RequestContext, operation: str, params: dict) -> list[str]:
    model = service_model("apigateway").operation_model(operation)
    template = model.http["requestUri"].split("?", 1)[0]
    members = {member.serialization.get("name", name): name
               for name, member in (model.input_shape.members.items() if model.input_shape else [])
               if member.serialization.get("location") == "uri"}

    def fill(found: re.Match) -> str:
        value = params.get(members.get(found.group(1), ""), "")
        return quote(str(value), safe=":") if value else "*"
    if operation in ("TagResource", "UntagResource", "GetTags"):
        return [params.get("resourceArn") or "*"]
    return [api_arn(ctx.region, _LABEL.sub(fill, template))]
