"""What a path a client sends means: the chroot of Transfer Family users.

A path is taken lexically, as AWS's S3-backed servers take it: relative to the working directory,
split on "/", with "." dropped and ".." going up one level but never above "/". Nothing else is
special: no percent-decoding, no backslash separators, no Unicode normalization, no symlinks (S3
has none), so "%2e%2e", "..\\x" or "．．" are names like any other, inside wherever they are.

A PATH user sees the real namespace: "/bucket/prefix/...". A LOGICAL user sees only the entries
of their mappings: the longest entry that is a prefix of the path decides, and the rest of the
path is appended to its target; paths above entries are virtual directories that hold nothing
but the entries below them; anything else does not exist. Since the rest of the path is made
only of clean components, a LOGICAL user can never name a key outside a mapping's target.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_PATH = 4096  # bytes of a path a client may send (S3's keys stop at 1024 anyway)


class BadPath(Exception):
    """A path that names nothing a user may reach (NUL bytes, too long)."""


@dataclass(frozen=True)
class Location:
    """An S3 location: a bucket and a key ("" for the bucket's root)."""

    bucket: str
    key: str
    file_mapping: bool = False  # a LOGICAL FILE entry: the key is exactly the target

    @property
    def prefix(self) -> str:
        """The key prefix of what is inside it, as a directory."""
        return f"{self.key}/" if self.key else ""


@dataclass(frozen=True)
class Virtual:
    """A directory that exists only in a LOGICAL user's view ("/" above their entries)."""

    path: str


def normalize(path: str, cwd: str = "/") -> str:
    """An absolute, clean path ("/a/b"): no ".", "..", empty components, never above "/"."""
    if "\x00" in path:
        raise BadPath("NUL in path")
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH:
        raise BadPath("path too long")
    parts: list[str] = [] if path.startswith("/") else [p for p in cwd.split("/") if p]
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def _split_target(target: str) -> tuple[str, str]:
    bucket, _, key = target.strip("/").partition("/")
    return bucket, key.strip("/")


def substitute(text: str, user_name: str) -> str:
    """${transfer:UserName} in a home directory or mapping target, as AWS fills it in."""
    for spelling in ("${transfer:UserName}", "${Transfer:UserName}", "${transfer:username}"):
        text = text.replace(spelling, user_name)
    return text


class View:
    """One user's view of S3: resolves normalized paths to locations."""

    def __init__(self, home_type: str, home: str, mappings: list[dict], user_name: str) -> None:
        self.logical = home_type == "LOGICAL"
        self.entries: list[tuple[str, str, bool]] = []  # (entry, target, is file), longest entry first
        for mapping in mappings if self.logical else []:
            entry = normalize(mapping["Entry"])
            target = substitute(mapping["Target"], user_name)
            self.entries.append((entry, target, mapping.get("Type") == "FILE"))
        self.entries.sort(key=lambda item: len(item[0]), reverse=True)
        if self.logical:
            self.home = "/"
        else:
            home = substitute(home, user_name) if home else "/"
            self.home = normalize(home)

    def resolve(self, path: str) -> Location | Virtual | None:
        """What a normalized path names: an S3 location, a virtual directory, or nothing."""
        if not self.logical:
            if path == "/":
                return Virtual("/")
            bucket, key = _split_target(path)
            return Location(bucket, key)
        for entry, target, is_file in self.entries:
            if path == entry or entry == "/" or path.startswith(entry + "/"):
                rest = path[len(entry):].strip("/") if entry != "/" else path.strip("/")
                bucket, key = _split_target(target)
                if is_file:
                    return Location(bucket, key, file_mapping=True) if not rest else None
                return Location(bucket, f"{key}/{rest}" if key and rest else key or rest)
        if any(entry.startswith(path.rstrip("/") + "/") for entry, _, _ in self.entries):
            return Virtual(path)
        return None

    def always_a_directory(self, path: str) -> bool:
        """The home directory and the entries of directory mappings exist as directories even while
        S3 holds nothing under them (a prefix exists only through its keys)."""
        if path == self.home:
            return True
        return any(entry == path and not is_file for entry, _, is_file in self.entries)

    def children(self, path: str) -> list[tuple[str, bool]]:
        """The entries right below ``path`` in the LOGICAL view: (name, is file)."""
        if not self.logical:
            return []
        base = path.rstrip("/") + "/"
        found: dict[str, bool] = {}
        for entry, _, is_file in self.entries:
            if entry.startswith(base) and entry != base.rstrip("/"):
                name, _, deeper = entry[len(base):].partition("/")
                if name:
                    found[name] = found.get(name, False) or (is_file and not deeper)
        return sorted(found.items())

    def to_client(self, bucket: str, key: str) -> str | None:
        """The path a client sees for an S3 location (None when it is outside the view)."""
        if not self.logical:
            return "/" + "/".join(p for p in (bucket, key) if p)
        for entry, target, is_file in self.entries:
            t_bucket, t_key = _split_target(target)
            if bucket != t_bucket:
                continue
            if is_file and key == t_key:
                return entry
            if not is_file and (not t_key or key == t_key or key.startswith(t_key + "/")):
                rest = key[len(t_key):].strip("/") if t_key else key
                return normalize(f"{entry}/{rest}")
        return None
