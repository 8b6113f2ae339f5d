"""Document paths (``a.b[2].c``) as tuples of names and list indexes, and how they read and
write inside items without mutating the original (an update builds a new item)."""

from __future__ import annotations

from typing import Any

Path = tuple  # of str (map key / attribute name) and int (list index); element 0 is a name


def path_str(path: Path) -> str:
    """How DynamoDB prints a path in messages: ``[a, b, [2], c]``."""
    return "[" + ", ".join(f"[{p}]" if isinstance(p, int) else p for p in path) + "]"


def get_path(item: dict | None, path: Path) -> dict | None:
    """The AttributeValue at ``path`` in ``item``, or None when any step is missing or of the
    wrong kind (a name step needs a map, an index step a list)."""
    if not item:
        return None
    value = item.get(path[0])
    for step in path[1:] if len(path) > 1 else ():
        if value is None:
            return None
        if isinstance(step, int):
            items = value.get("L")
            if items is None or step >= len(items):
                return None
            value = items[step]
        else:
            members = value.get("M")
            if members is None:
                return None
            value = members.get(step)
    return value


class InvalidPath(Exception):
    """A write below something that is missing or not a container."""


def set_path(item: dict, path: Path, new: dict) -> None:
    """Set ``path`` in ``item`` (a fresh top-level dict owned by the caller). Containers along
    the path are copied, never mutated. Setting a list index past the end appends."""
    if len(path) == 1:
        item[path[0]] = new
        return

    def put(children, step) -> None:
        if isinstance(children, list) and step >= len(children):
            children.append(new)
        else:
            children[step] = new

    item[path[0]] = _rewrite(_top(item, path), path, 1, put)


def remove_paths(item: dict, paths: list[Path]) -> None:
    """Remove several paths from ``item`` at once. List indexes refer to the list as it was
    before the update, so the elements of one list are removed from the highest index down.
    Removing what is not there (a missing key, an index past the end) changes nothing."""
    for path in sorted(paths, key=_removal_order):
        if len(path) == 1:
            item.pop(path[0], None)
        else:
            item[path[0]] = _rewrite(_top(item, path), path, 1, _drop)


def _drop(children, step) -> None:
    if isinstance(children, list):
        if step < len(children):
            del children[step]
    else:
        children.pop(step, None)


def _removal_order(path: Path) -> tuple:
    # Highest list index first within the same parent; names are independent of each other.
    return tuple((0, -p) if isinstance(p, int) else (1, p) for p in path)


def _top(item: dict, path: Path) -> dict:
    value = item.get(path[0])
    if value is None:
        raise InvalidPath(path)
    return value


def _rewrite(container: dict, path: Path, depth: int, at_leaf) -> dict:
    """A copy of ``container`` with ``path[depth:]`` changed by ``at_leaf(children, step)``,
    which edits the copied list or map that holds the last step. Every step before the last
    must exist and be of the right kind (an index needs a list, a name a map)."""
    step = path[depth]
    kind = "L" if isinstance(step, int) else "M"
    children = container.get(kind)
    if children is None:
        raise InvalidPath(path)
    children = list(children) if kind == "L" else dict(children)
    if depth == len(path) - 1:
        at_leaf(children, step)
    else:
        present = step < len(children) if kind == "L" else step in children
        if not present:
            raise InvalidPath(path)
        children[step] = _rewrite(children[step], path, depth + 1, at_leaf)
    return {kind: children}


def overlap_error(paths: list[Path]) -> str | None:
    """DynamoDB's message when two paths of one expression overlap (one is a prefix of the
    other) or conflict (one indexes a list where the other names a map key); None if fine."""
    for i, one in enumerate(paths):
        for two in paths[i + 1:]:
            for a, b in zip(one, two):
                if a == b and type(a) is type(b):
                    continue
                if isinstance(a, int) != isinstance(b, int):
                    return (
                        "Two document paths conflict with each other; must remove or rewrite one of these paths; "
                        f"path one: {path_str(one)}, path two: {path_str(two)}"
                    )
                break
            else:
                return (
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; "
                    f"path one: {path_str(one)}, path two: {path_str(two)}"
                )
    return None


def project(item: dict, paths: list[Path]) -> dict:
    """The parts of ``item`` named by ``paths``; list elements keep their relative order and are
    compacted, as DynamoDB returns them."""
    out: dict[str, Any] = {}
    for path in paths:
        value = item.get(path[0])
        if value is None:
            continue
        if len(path) == 1:
            out[path[0]] = value
            continue
        picked = _pick(value, path, 1)
        if picked is not None:
            out[path[0]] = _merge(out.get(path[0]), picked)
    return {name: _finish(value) for name, value in out.items()}


# While projecting, a list is kept as {"_L": {index: value}} so that several indexes of one list
# merge, then _finish turns it back into {"L": [...]} in index order.
def _pick(value: dict, path: Path, depth: int) -> dict | None:
    if depth == len(path):
        return value
    step = path[depth]
    if isinstance(step, int):
        items = value.get("L")
        if items is None or step >= len(items):
            return None
        inner = _pick(items[step], path, depth + 1)
        return None if inner is None else {"_L": {step: inner}}
    members = value.get("M")
    if members is None or step not in members:
        return None
    inner = _pick(members[step], path, depth + 1)
    return None if inner is None else {"M": {step: inner}}


def _merge(old: dict | None, new: dict) -> dict:
    if old is None:
        return new
    if "_L" in old and "_L" in new:
        merged = dict(old["_L"])
        for k, v in new["_L"].items():
            merged[k] = _merge(merged.get(k), v)
        return {"_L": merged}
    if "M" in old and "M" in new and old is not new:
        merged = dict(old["M"])
        for k, v in new["M"].items():
            merged[k] = _merge(merged.get(k), v)
        return {"M": merged}
    return new


def _finish(value: dict) -> dict:
    if "_L" in value:
        return {"L": [_finish(value["_L"][k]) for k in sorted(value["_L"])]}
    if "M" in value:
        members = value["M"]
        return {"M": {k: _finish(v) for k, v in members.items()}}
    return value
