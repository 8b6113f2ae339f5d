"""VTL mapping templates, rendered by airspeed (a Velocity engine) with AppSync's context:
``$ctx``/``$context``, ``$util``, ``#return``.

Velocity is Java: AppSync's templates call Java methods on maps, lists and strings
(``$map.put``, ``$list.isEmpty()``) and print booleans as ``true``. airspeed takes extra methods
per Python type and prints with ``str``; both are taught Java's ways here, once, at import."""

from __future__ import annotations

import re
from typing import Any

import airspeed

from regionbox.services.appsync.utils import EarlyReturn, Extensions, ResolverError, Util


def _java_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_java_text(v) for v in value) + "]"
    return str(value)


def _render_reference(self, stream, namespace, loader) -> None:
    value = None
    if self.expression is not None:
        value = self.expression.calculate(namespace, loader)
    if value is None:
        if self.alternate is not None:
            value = self.alternate.calculate(namespace, loader)
        elif self.silent and self.expression is not None:
            value = ""
        else:
            value = self.my_text()
    stream.write(_java_text(value))


airspeed.FormalReference.evaluate_raw = _render_reference
_methods = airspeed.__additional_methods__
_methods[dict].update({
    "containsKey": lambda self, key: key in self, "get": lambda self, key: self.get(key),
    "size": lambda self: len(self), "values": lambda self: list(self.values()),
    "remove": lambda self, key: self.pop(key, None), "entrySet": lambda self: [{"key": k, "value": v}
                                                                                for k, v in self.items()],
    "keySet": lambda self: list(self.keys()), "isEmpty": lambda self: not self,
})
_methods[list].update({"isEmpty": lambda self: not self, "remove": lambda self, i: self.pop(i),
                       "addAll": lambda self, other: self.extend(other)})
_methods[str].update({
    "toLowerCase": lambda self: self.lower(), "toUpperCase": lambda self: self.upper(),
    "trim": lambda self: self.strip(), "isEmpty": lambda self: not self, "endsWith": lambda self, s: self.endswith(s),
    "equals": lambda self, other: self == other, "indexOf": lambda self, s: self.find(s),
    "substring": lambda self, start, end=None: self[start:end], "split": lambda self, sep: re.split(sep, self),
    "replace": lambda self, a, b: self.replace(a, b), "toString": lambda self: self,
})

# #return / #return($value): airspeed has no such directive; a call that stops the template does it.
_RETURN_WITH = re.compile(r"#return\s*\(")
_RETURN_BARE = re.compile(r"#return\b")


class _Return:
    def value(self, value=None):
        raise EarlyReturn(value)


class TemplateInvalid(Exception):
    pass


def compile_template(text: str) -> airspeed.Template:
    text = _RETURN_BARE.sub("$rbReturn.value()", _RETURN_WITH.sub("$rbReturn.value(", text))
    template = airspeed.Template(text)
    try:
        template.ensure_compiled()
    except airspeed.TemplateSyntaxError as error:
        raise TemplateInvalid(f"Unable to parse the template at line {error.line}, column {error.column}.") from None
    return template


def render(template: airspeed.Template, context: dict, util: Util) -> str:
    """The template's text for ``context`` (the $ctx map); EarlyReturn or ResolverError from
    ``#return`` and ``$util.error``."""
    namespace = {"ctx": context, "context": context, "util": util, "utils": util, "rbReturn": _Return(),
                 "extensions": Extensions(context)}
    try:
        return template.merge(namespace)
    except airspeed.TemplateExecutionError as error:
        cause: BaseException | None = error
        while cause is not None:
            if isinstance(cause, (EarlyReturn, ResolverError)):
                raise cause from None
            cause = cause.__cause__
        raise ResolverError(f"Error while evaluating the template: {error.__cause__}", "TemplateEvaluationException") from None
