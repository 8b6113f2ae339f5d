"""How Migration Hub pages its listings: tokens of standard base64 characters only (the model's
pattern), MaxResults 1-100, or 1-10 for a task's associations."""

from __future__ import annotations

from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidInputException", message)


def _bad_token(token: str) -> ServiceError:
    return _invalid("The NextToken is not valid.")


LISTS = PageRule(default=100, minimum=1, maximum=100, base64_token=True, bad_token=_bad_token,
                 out_of_range=lambda n: _invalid("MaxResults must be between 1 and 100."))
ASSOCIATIONS = PageRule(default=10, minimum=1, maximum=10, base64_token=True, bad_token=_bad_token,
                        out_of_range=lambda n: _invalid("MaxResults must be between 1 and 10."))


def with_token(result: dict, token: str | None) -> dict:
    if token:
        result["NextToken"] = token
    return result
