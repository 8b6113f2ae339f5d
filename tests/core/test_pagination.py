import pytest

import re

from regionbox.core.errors import ServiceError
from regionbox.core.pagination import InvalidToken, PageRule, Paginator


def test_pages_cover_everything_once():
    paginator = Paginator(b"k" * 32)
    items = list(range(23))
    seen, token = [], None
    while True:
        page, token = paginator.page(items, token, 5)
        seen += page
        if token is None:
            break
    assert seen == items


@pytest.mark.parametrize("bad", ["", "garbage", "abc.def", "eyJvIjo1fQ.AAAAAAAAAAAAAAAAAAAAAA"])
def test_tampered_or_made_up_tokens_are_rejected(bad):
    with pytest.raises(InvalidToken):
        Paginator(b"k" * 32).page([1, 2, 3], bad, 1)


def test_token_from_another_secret_is_rejected():
    token = Paginator(b"a" * 32).encode({"o": 1})
    with pytest.raises(InvalidToken):
        Paginator(b"b" * 32).decode(token)
    assert Paginator(b"a" * 32).decode(token) == {"o": 1}


def test_base64_tokens_use_only_standard_base64_characters():
    rule = PageRule(out_of_range=lambda n: ServiceError("Bad", "size"), base64_token=True,
                    bad_token=lambda t: ServiceError("BadToken", t))
    paginator = Paginator(b"k" * 32)
    items, seen, token = list(range(23)), [], None
    while True:
        page, token = paginator.paginate(items, {"MaxResults": 5, "NextToken": token} if token else {"MaxResults": 5}, rule)
        seen += page
        if token is None:
            break
        assert re.fullmatch(r"[A-Za-z0-9/+=]+", token)
    assert seen == items
    for bad in ("not base64!", "bm90IGEgdG9rZW4="):
        with pytest.raises(ServiceError) as caught:
            paginator.paginate(items, {"NextToken": bad}, rule)
        assert caught.value.message == bad
