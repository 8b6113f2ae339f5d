"""Which deployed resource and method a request path reaches.

AWS's router prefers, at each path segment, a literal part over a path parameter ``{id}`` over a
greedy ``{proxy+}`` (which takes one or more segments: everything left). A method is the
request's own, else ANY. Routes are built once per deployment and kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote


@dataclass
class Node:
    resource: dict | None = None
    literal: dict[str, "Node"] = field(default_factory=dict)
    param: tuple[str, "Node"] | None = None
    greedy: tuple[str, "Node"] | None = None


@dataclass
class Match:
    resource: dict
    method: dict | None
    path_params: dict[str, str]


class Routes:
    def __init__(self, resources: dict[str, dict]) -> None:
        self.root = Node()
        nodes = {}
        for resource in resources.values():
            nodes[resource["id"]] = self.root if resource.get("path") == "/" else Node()
            nodes[resource["id"]].resource = resource
        for resource in resources.values():
            parent = nodes.get(resource.get("parentId", ""))
            if parent is None:
                continue
            part, node = resource["pathPart"], nodes[resource["id"]]
            if part.endswith("+}"):
                parent.greedy = (part[1:-2], node)
            elif part.startswith("{"):
                parent.param = (part[1:-1], node)
            else:
                parent.literal[part] = node

    def match(self, path: str, http_method: str) -> Match | None:
        segments = [s for s in path.split("/") if s]
        found = _walk(self.root, segments, {})
        if found is None:
            return None
        node, params = found
        methods = node.resource.get("resourceMethods") or {}
        return Match(node.resource, methods.get(http_method) or methods.get("ANY"), params)


def _walk(node: Node, segments: list[str], params: dict[str, str]) -> tuple[Node, dict[str, str]] | None:
    if not segments:
        return (node, params) if node.resource is not None else None
    head, rest = segments[0], segments[1:]
    literal = node.literal.get(unquote(head))
    if literal is not None:
        found = _walk(literal, rest, params)
        if found is not None:
            return found
    if node.param is not None:
        name, child = node.param
        found = _walk(child, rest, {**params, name: unquote(head)})
        if found is not None:
            return found
    if node.greedy is not None:
        name, child = node.greedy
        return child, {**params, name: "/".join(unquote(s) for s in segments)}
    return None
