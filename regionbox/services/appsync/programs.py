"""What runs for a resolver or a function: VTL templates (vtl.py) or APPSYNC_JS code (js.py),
compiled once per text, checked when saved, and evaluated by the data plane and by
EvaluateMappingTemplate / EvaluateCode (the same engines, so a test of a template there holds
for the API)."""

from __future__ import annotations

from typing import Any

import orjson

from regionbox.core.context import RequestContext
from regionbox.services.appsync import js, vtl
from regionbox.services.appsync.common import bad_request, cached, drop_none
from regionbox.services.appsync.models import Code
from regionbox.services.appsync.utils import EarlyReturn, ResolverError, Util, to_json

class Programs:
    def __init__(self) -> None:
        self._templates: dict[str, Any] = {}
        self._scripts: dict[str, js.JsProgram] = {}

    # -- compiling ------------------------------------------------------------------------------
    def template(self, text: str):
        return cached(self._templates, text, vtl.compile_template)

    def script(self, code: str) -> js.JsProgram:
        return cached(self._scripts, code, js.JsProgram)

    def check(self, code: Code, source_type: str | None) -> None:
        """Refuse what AppSync refuses when a resolver or function is saved."""
        if code.runtime is not None:
            if {k: code.runtime.get(k) for k in js.RUNTIME} != js.RUNTIME:
                raise bad_request("Invalid runtime: APPSYNC_JS 1.0.0 is the only runtime.")
            if not code.code:
                raise bad_request("The code is required for the APPSYNC_JS runtime.")
            if code.request_template or code.response_template:
                raise bad_request("Mapping templates cannot be used with a runtime.")
            try:
                self.script(code.code)
            except js.CodeInvalid:
                raise bad_request("The code contains one or more errors.") from None
            return
        if code.code:
            raise bad_request("The runtime is required when code is given.")
        for text in (code.request_template, code.response_template):
            if text:
                try:
                    self.template(text)
                except vtl.TemplateInvalid as error:
                    raise bad_request(f"The mapping template is invalid: {error}") from None

    # -- running ----------------------------------------------------------------------------------
    def run(self, code: Code, step: str, context: dict, util: Util) -> Any:
        """The request (``step`` "request") or the result ("response") of ``code`` for ``context``
        (the $ctx / ctx map, whose stash the step may change). EarlyReturn and ResolverError
        propagate. A step with nothing to run passes its input through, as AppSync does for
        direct Lambda resolvers."""
        if code.runtime is not None:
            out = self.script(code.code).call(step, context)
            context["stash"] = out.get("stash") or {}
            util.errors.extend(out.get("errors") or [])
            if out.get("filter") is not None:
                context.setdefault("extensions", {})["filter"] = out["filter"]
            if out.get("invalidationFilter") is not None:
                context.setdefault("extensions", {})["invalidation_filter"] = out["invalidationFilter"]
            if out.get("invalidations"):
                context.setdefault("extensions", {}).setdefault("invalidations", []).extend(out["invalidations"])
            return out.get("value")
        text = code.request_template if step == "request" else code.response_template
        if not text:
            return None if step == "request" else context.get("result")
        rendered = vtl.render(self.template(text), context, util)
        return parse_rendered(rendered, step)

    # -- EvaluateMappingTemplate, EvaluateCode ------------------------------------------------------
    def evaluate_mapping_template(self, ctx: RequestContext, params: dict) -> dict:
        context = self._context(params["context"])
        util = Util()
        try:
            template = self.template(params["template"])
        except vtl.TemplateInvalid as error:
            return {"error": {"message": str(error)}}
        try:
            text = vtl.render(template, context, util)
        except EarlyReturn as early:
            text = to_json(early.value)
        except ResolverError as error:
            return drop_none({"error": {"message": error.message}, "stash": to_json(context.get("stash") or {}),
                              "logs": [], "outErrors": to_json(util.errors)})
        return {"evaluationResult": text.strip(), "stash": to_json(context.get("stash") or {}), "logs": [],
                "outErrors": to_json(util.errors)}

    def evaluate_code(self, ctx: RequestContext, params: dict) -> dict:
        runtime = params["runtime"]
        code = Code(runtime=dict(runtime), code=params["code"])
        try:
            self.check(code, None)
        except Exception as error:  # noqa: BLE001 - answered as AppSync answers: in the result
            return {"error": {"message": getattr(error, "message", str(error)), "codeErrors": []}}
        context = self._context(params["context"])
        util = Util()
        try:
            value = self.run(code, params.get("function") or "request", context, util)
        except EarlyReturn as early:
            value = early.value
        except ResolverError as error:
            return {"error": {"message": error.message}, "stash": to_json(context.get("stash") or {}), "logs": [],
                    "outErrors": to_json(util.errors)}
        return {"evaluationResult": to_json(value), "stash": to_json(context.get("stash") or {}), "logs": [],
                "outErrors": to_json(util.errors)}

    @staticmethod
    def _context(text: str) -> dict:
        try:
            context = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise bad_request("The context is not a valid JSON object.") from None
        if not isinstance(context, dict):
            raise bad_request("The context is not a valid JSON object.")
        context.setdefault("arguments", {})
        context["args"] = context["arguments"]
        context.setdefault("stash", {})
        context.setdefault("source", None)
        context.setdefault("result", None)
        context.setdefault("identity", None)
        context.setdefault("prev", {"result": None})
        return context


def parse_rendered(text: str, step: str) -> Any:
    """A template's output is a JSON document (a response template's may be empty: null)."""
    if not text.strip():
        if step == "request":
            raise ResolverError("The request mapping template produced no document.", "MappingTemplate")
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        stripped = text.strip()
        if step == "response" and not stripped.startswith(("{", "[", '"')):
            return stripped  # a bare word (an id) is the value AppSync passes on as a string
        raise ResolverError(f"Unable to parse the JSON document: '{stripped[:200]}'", "MappingTemplate") from None
