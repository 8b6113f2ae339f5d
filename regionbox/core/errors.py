"""Errors that providers raise. The protocol layer turns them into each wire format.

A provider never builds an error response: it raises ``ServiceError`` (or a subclass) with
the AWS error code and message. When the service model defines an error shape with that code,
the serializer takes the HTTP status and extra members from the model; ``status`` here is the
fallback for codes the model does not list (most AWS services return undocumented codes too).
"""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, code: str, message: str = "", status: int = 400, sender_fault: bool = True, **fields):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        # Extra members of the error shape (for example CancellationReasons in DynamoDB).
        self.fields = fields

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r}, status={self.status})"


class NotImplementedOperation(ServiceError):
    """A known operation of a known service that regionbox does not implement (yet)."""

    def __init__(self, service: str, operation: str, reason: str | None = None):
        message = f"The operation {operation} of service {service} is not implemented by regionbox yet."
        if reason:
            message += f" ({reason})"
        super().__init__("NotImplemented", message, status=501, sender_fault=False)


class InternalFailure(ServiceError):
    def __init__(self, message: str = "An internal error occurred in regionbox."):
        super().__init__("InternalFailure", message, status=500, sender_fault=False)


class InvalidInput(ServiceError):
    """Bad input, answered with the code the service uses for it: its ``Dialect.validation_code``,
    else its protocol's usual one (ValidationException, ValidationError for query services). The
    gateway fills the code in, so handlers of every service write the same ``raise invalid(...)``."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(code, message, status=400)


def invalid(message: str) -> InvalidInput:
    return InvalidInput(message)
