"""Lambda's errors, worded as Lambda words them (every one carries Type "User" as AWS's do)."""

from __future__ import annotations

from regionbox.core.errors import ServiceError


def invalid_value(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message, Type="User")


def conflict(message: str) -> ServiceError:
    return ServiceError("ResourceConflictException", message, status=409, Type="User")


def not_found(kind: str, resource_arn: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"{kind} not found: {resource_arn}", status=404, Type="User")


def no_such_resource() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The resource you requested does not exist.", status=404, Type="User")


def check_revision(current: str, given: str | None) -> None:
    if given is not None and given != current:
        raise ServiceError("PreconditionFailedException", "The Revision Id provided does not match the latest Revision "
                           "Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", status=412,
                           Type="User")


def code_signing_not_found(arn: str) -> ServiceError:
    return ServiceError("CodeSigningConfigNotFoundException", "The code signing configuration cannot be found. Check "
                        f"that the provided configuration is not deleted: {arn}.", status=404, Type="User")
