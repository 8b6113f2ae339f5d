"""Projection expressions: ``a, b.c, d[1]`` (comma-separated document paths)."""

from __future__ import annotations

from regionbox.services.dynamodb.expressions.attributes import ExpressionAttributes
from regionbox.services.dynamodb.expressions.lexer import ParserBase
from regionbox.services.dynamodb.expressions.paths import Path, overlap_error, project


class Projection:
    """``apply(item)`` keeps only the projected paths (nested maps and list elements too)."""

    __slots__ = ("text", "paths", "attributes", "_flat")

    def __init__(self, text: str, paths: list[Path]):
        self.text = text
        self.paths = paths
        self.attributes = [p[0] for p in paths]  # top-level names, in order
        # Only top-level names: a dict comprehension is all it takes.
        self._flat = all(len(p) == 1 for p in paths)

    def apply(self, item: dict | None) -> dict:
        if not item:
            return {}
        if self._flat:
            return {name: item[name] for name in self.attributes if name in item}
        return project(item, self.paths)

    __call__ = apply


class ProjectionParser(ParserBase):
    label = "ProjectionExpression"

    def parse(self) -> Projection:
        paths = [self.parse_path()]
        while self.at_punct(","):
            self.advance()
            paths.append(self.parse_path())
        overlap = overlap_error(paths)
        if overlap:
            self.note("overlap", overlap)
        self.finish()
        return Projection(self.text, paths)


def parse_projection(text: str, attrs: ExpressionAttributes) -> Projection:
    return ProjectionParser(text, attrs).parse()


def projection_of_names(names: list[str]) -> Projection:
    """A projection of top-level attribute names (AttributesToGet, PartiQL select lists)."""
    return Projection(", ".join(names), [(name,) for name in names])
