"""Function and layer identifiers as Lambda takes them: a name, a partial ARN
(``123456789012:function:name``) or a full ARN, each optionally qualified by a version or an
alias (``name:prod``), and the ARNs Lambda writes for them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from regionbox.core.arns import arn
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid

_FUNCTION = re.compile(
    r"(?:arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z0-9-]+):)?(?:(?P<account>\d{12}):)?"
    r"(?:function:)?(?P<name>[a-zA-Z0-9_-]{1,140})(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?")
_LAYER = re.compile(r"(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:)?(?P<name>[a-zA-Z0-9_-]+)")


@dataclass(frozen=True)
class FunctionRef:
    account: str
    region: str
    name: str
    qualifier: str | None

    @property
    def scope(self) -> tuple[str, str]:
        return (self.account, self.region)


def function_arn(account: str, region: str, name: str, qualifier: str | None = None) -> str:
    return arn("lambda", region, account, f"function:{name}" + (f":{qualifier}" if qualifier else ""))


def layer_arn(account: str, region: str, name: str, version: int | None = None) -> str:
    return arn("lambda", region, account, f"layer:{name}" + (f":{version}" if version is not None else ""))


def mapping_arn(account: str, region: str, uuid: str) -> str:
    return arn("lambda", region, account, f"event-source-mapping:{uuid}")


def parse_function(ctx: RequestContext, text: str, qualifier: str | None = None, *, account: str | None = None,
                   region: str | None = None) -> FunctionRef:
    """Who a FunctionName names, in ``ctx``'s account and region unless it is an ARN of others."""
    found = _FUNCTION.fullmatch(text or "")
    if found is None:
        raise invalid(f"1 validation error detected: Value '{text}' at 'functionName' failed to satisfy constraint: "
                      "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?"
                      "[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)"
                      "(:(\\$LATEST|[a-zA-Z0-9-_]+))?")
    named = found.group("qualifier")
    if named and qualifier and named != qualifier:
        raise ServiceError("InvalidParameterValueException",
                           "The derived qualifier from the function name does not match the specified qualifier.")
    return FunctionRef(found.group("account") or account or ctx.account_id,
                       found.group("region") or region or ctx.region, found.group("name"), named or qualifier or None)


def parse_layer(ctx: RequestContext, text: str) -> tuple[str, str, str]:
    """(account, region, name) of a LayerName: a name or a layer ARN."""
    found = _LAYER.fullmatch(text or "")
    if found is None:
        raise invalid(f"1 validation error detected: Value '{text}' at 'layerName' failed to satisfy constraint: "
                      "Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:"
                      "\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+")
    return found.group("account") or ctx.account_id, found.group("region") or ctx.region, found.group("name")


def parse_layer_version_arn(text: str) -> tuple[str, str, str, int] | None:
    """(account, region, name, version) of a layer version ARN, or None."""
    found = re.fullmatch(r"arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9_-]+):(\d+)", text or "")
    if found is None:
        return None
    return found.group(2), found.group(1), found.group(3), int(found.group(4))
