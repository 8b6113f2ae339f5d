import pytest

from regionbox.core.pagination import InvalidToken, Paginator


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
