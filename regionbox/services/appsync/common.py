"""What the control-plane handlers share: AppSync's errors, ids, paging and ARNs."""

from __future__ import annotations

import secrets
import string

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule

_ALPHABET = string.ascii_lowercase + string.digits


def bad_request(message: str, **fields) -> ServiceError:
    return ServiceError("BadRequestException", message, status=400, **fields)


def new_id(length: int = 26) -> str:
    """AppSync's ids (APIs, functions, API keys after "da2-"): 26 lower-case letters and digits,
    the first a letter (functionId's pattern is [_A-Za-z][_0-9A-Za-z]*)."""
    return secrets.choice(string.ascii_lowercase) + "".join(secrets.choice(_ALPHABET) for _ in range(length - 1))


# Every List* of AppSync: maxResults 0..25 (0 = the default page), nextToken.
PAGES = PageRule(token="nextToken", size="maxResults", default=25, minimum=0, maximum=25,
                 out_of_range=lambda n: bad_request("maxResults must be between 0 and 25."),
                 bad_token=lambda t: bad_request("Invalid pagination token specified."))


def page(paginator, items: list, params: dict, query=None) -> tuple[list, str | None]:
    if params.get("maxResults") == 0:
        params = {k: v for k, v in params.items() if k != "maxResults"}
    return paginator.paginate(items, params, PAGES, query=query)


def api_arn(ctx: RequestContext, api_id: str, rest: str = "") -> str:
    return ctx.arn("appsync", f"apis/{api_id}{rest}")


def drop_none(document: dict) -> dict:
    return {key: value for key, value in document.items() if value is not None}


def cached(cache: dict, key, build, limit: int = 512):
    """``cache[key]``, built by ``build(key)`` the first time: compiled schemas and programs,
    kept per text. A full cache starts over rather than growing without end."""
    found = cache.get(key)
    if found is None:
        found = build(key)
        if len(cache) >= limit:
            cache.clear()
        cache[key] = found
    return found
