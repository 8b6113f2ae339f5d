"""Event API channels: their paths, and who is subscribed to which.

A channel is ``/<namespace>/<segment>...``: one to five segments of letters, digits and hyphens
(at most 50 characters, not starting or ending with a hyphen); the leading slash may be left out.
A subscription may end in ``*``, which stands for one or more further segments: ``/chat/*``
receives what is published to ``/chat/a`` and to ``/chat/a/b``, never to ``/chat`` itself."""

from __future__ import annotations

import re
from typing import Callable, Iterator

_SEGMENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?")
MAX_SEGMENTS = 5


def parse_channel(text, wildcard: bool = False) -> tuple[str, ...] | None:
    """The segments of a channel path, or None if it is not one (``wildcard``: it may end in *)."""
    if not isinstance(text, str) or not text:
        return None
    segments = tuple((text[1:] if text.startswith("/") else text).split("/"))
    if not 1 <= len(segments) <= MAX_SEGMENTS:
        return None
    for index, segment in enumerate(segments):
        if segment == "*" and wildcard and index == len(segments) - 1 and index > 0:
            continue
        if not _SEGMENT.fullmatch(segment):
            return None
    return segments


def path_of(segments: tuple[str, ...]) -> str:
    return "/" + "/".join(segments)


class ChannelSubscriber:
    __slots__ = ("id", "deliver", "scope", "api_id", "segments")

    def __init__(self, sub_id: str, deliver: Callable, scope, api_id: str, segments: tuple[str, ...]) -> None:
        self.id = sub_id
        self.deliver = deliver  # the connection's: queues one message for it
        self.scope = scope
        self.api_id = api_id
        self.segments = segments

    @property
    def wildcard(self) -> bool:
        return self.segments[-1] == "*"


class Channels:
    """Subscribers by exact channel, and by namespace for wildcard ones, so a publish looks at
    the subscribers of its channel and the namespace's wildcards, not at every subscriber."""

    def __init__(self) -> None:
        self._exact: dict[tuple, dict[ChannelSubscriber, None]] = {}
        self._wildcards: dict[tuple, dict[ChannelSubscriber, None]] = {}

    def _key(self, subscriber: ChannelSubscriber) -> tuple[dict, tuple]:
        if subscriber.wildcard:
            return self._wildcards, (subscriber.scope, subscriber.api_id, subscriber.segments[0])
        return self._exact, (subscriber.scope, subscriber.api_id, subscriber.segments)

    def add(self, subscriber: ChannelSubscriber) -> None:
        index, key = self._key(subscriber)
        index.setdefault(key, {})[subscriber] = None

    def remove(self, subscriber: ChannelSubscriber) -> None:
        index, key = self._key(subscriber)
        found = index.get(key)
        if found is not None:
            found.pop(subscriber, None)
            if not found:
                del index[key]

    def drop_api(self, scope, api_id: str) -> None:
        """The API was deleted: nobody is subscribed to it any more (their connections stay)."""
        for index in (self._exact, self._wildcards):
            for key in [k for k in index if k[0] == scope and k[1] == api_id]:
                del index[key]

    def matching(self, scope, api_id: str, segments: tuple[str, ...]) -> Iterator[ChannelSubscriber]:
        yield from list(self._exact.get((scope, api_id, segments), ()))
        for subscriber in list(self._wildcards.get((scope, api_id, segments[0]), ())):
            prefix = subscriber.segments[:-1]
            if len(segments) > len(prefix) and segments[:len(prefix)] == prefix:
                yield subscriber
