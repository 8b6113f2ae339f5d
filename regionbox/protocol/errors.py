"""From a provider's ``ServiceError`` to what goes on the wire, using the model's error shapes.

Providers raise ``ServiceError(code, message, status, **fields)`` with the code a user of the
real service sees. ``error_spec(model, error)`` finds the modeled error shape for it (by shape
name, or by the shape's ``error.code``, which is what query-protocol and awsQueryCompatible
services put on the wire) and answers:

- ``type_name``: the shape name (JSON ``__type``, CBOR ``__type``, rest-json ``x-amzn-ErrorType``),
- ``code``: the query-style code (``error.code`` in the model, else the shape name): what query
  / ec2 / rest-xml put in ``<Code>`` and awsQueryCompatible JSON services in ``x-amzn-query-error``,
- ``status`` and ``sender_fault``: the model's, else the ServiceError's own,
- ``shape`` (or None when unmodeled), ``message_key`` (``message``, ``Message`` ... as the shape
  spells it; ``message`` when it has none) and ``extra_fields``: the other members of the shape
  that the provider gave in ``error.fields``.

Codes the model does not list (most AWS services return some) pass through unchanged with the
ServiceError's status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.model import ServiceModel, Shape

from regionbox.core.errors import ServiceError

_MESSAGE_NAMES = ("message", "Message", "errorMessage", "ErrorMessage")


@dataclass(frozen=True)
class ErrorSpec:
    type_name: str
    code: str
    status: int
    sender_fault: bool
    shape: Shape | None = None
    message_key: str = "message"
    extra_fields: dict[str, Any] = field(default_factory=dict)

    @property
    def fault(self) -> str:
        """'Sender' or 'Receiver', as query protocols and x-amzn-query-error spell it."""
        return "Sender" if self.sender_fault else "Receiver"


def error_spec(model: ServiceModel, error: ServiceError) -> ErrorSpec:
    shape = error_shape(model, error.code)
    if shape is None:
        return ErrorSpec(error.code, error.code, error.status, error.sender_fault)
    meta = shape.metadata.get("error") or {}
    server_fault = _is_fault(model, shape.name)
    status = meta.get("httpStatusCode") or (500 if server_fault and error.status < 500 else error.status)
    if "senderFault" in meta:
        sender_fault = bool(meta["senderFault"])
    elif server_fault:
        sender_fault = False
    else:
        sender_fault = error.sender_fault if not meta else status < 500
    key = message_key(shape)
    extras = {name: value for name, value in error.fields.items()
              if name in shape.members and name != key and value is not None}
    return ErrorSpec(shape.name, meta.get("code") or shape.name, int(status), sender_fault, shape, key, extras)


# Refused credentials are spelled per protocol family: query and ec2 services answer ExpiredToken,
# InvalidClientTokenId and SignatureDoesNotMatch; JSON services (DynamoDB, Logs)
# ExpiredTokenException, UnrecognizedClientException and InvalidSignatureException with 400,
# rest-json services (Lambda) the same codes with 403.
_JSON_CREDENTIAL_CODES = {"ExpiredToken": "ExpiredTokenException", "InvalidClientTokenId": "UnrecognizedClientException",
                          "SignatureDoesNotMatch": "InvalidSignatureException"}
_CREDENTIAL_STATUS = {"json": 400, "smithy-rpc-v2-cbor": 400, "rest-json": 403}


def credential_error(protocol: str, error: ServiceError) -> ServiceError:
    """``error`` (a refused credential) as services speaking ``protocol`` say it."""
    code = _JSON_CREDENTIAL_CODES.get(error.code)
    if code is None or protocol not in _CREDENTIAL_STATUS:
        return error
    return ServiceError(code, error.message, status=_CREDENTIAL_STATUS[protocol])


def error_shape(model: ServiceModel, code: str) -> Shape | None:
    return _error_index(model).get(code)


def message_key(shape: Shape | None) -> str:
    """The member that carries the message, as the shape spells it ('message' when none)."""
    if shape is not None:
        for name in _MESSAGE_NAMES:
            if name in shape.members:
                return name
    return "message"


def _is_fault(model: ServiceModel, name: str) -> bool:
    """The shape's ``fault`` trait (a server-side error: 500, Receiver). botocore's Shape does
    not expose it, so it is read from the model's raw shape map."""
    raw = getattr(getattr(model, "_shape_resolver", None), "_shape_map", {}).get(name, {})
    return bool(raw.get("fault"))


@lru_cache(maxsize=None)
def _error_index(model: ServiceModel) -> dict[str, Shape]:
    """code -> error shape. Shape names win over ``error.code`` aliases when they collide."""
    index: dict[str, Shape] = {}
    shapes = model.error_shapes
    for shape in shapes:
        code = (shape.metadata.get("error") or {}).get("code")
        if code:
            index.setdefault(code, shape)
    for shape in shapes:
        index[shape.name] = shape
    return index
