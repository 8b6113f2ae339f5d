"""APPSYNC_JS resolvers and functions, run by QuickJS (an embedded ES2020 engine): the module's
``request(ctx)`` and ``response(ctx)`` with ``@aws-appsync/utils``' ``util``, ``runtime``,
``extensions`` and ``@aws-appsync/utils/dynamodb``'s request builders.

The code is an ES module; its imports of AppSync's packages are bound to the objects below and
its exports become plain declarations, so one QuickJS context per program runs it. Values cross
between Python and JavaScript as JSON, as they do on AppSync."""

from __future__ import annotations

import re
from typing import Any

import orjson
import quickjs

from regionbox.services.appsync.utils import EarlyReturn, ResolverError

RUNTIME = {"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"}
# Seconds (of CPU) one call may run: resolver code runs on the cloud's event loop, so a loop that
# never ends is cut off ("InternalError: interrupted") instead of stalling every other request.
TIME_LIMIT = 5.0
MEMORY_LIMIT = 64 * 1024 * 1024

# What @aws-appsync/utils offers, in plain JavaScript.
PRELUDE = r"""
var __errors = [];
function __ddbValue(v) {
  if (v === null || v === undefined) return {NULL: true};
  if (typeof v === 'boolean') return {BOOL: v};
  if (typeof v === 'number') return {N: String(v)};
  if (typeof v === 'string') return {S: v};
  if (Array.isArray(v)) return {L: v.map(__ddbValue)};
  var m = {}; for (var k in v) m[k] = __ddbValue(v[k]); return {M: m};
}
function __mapValues(o) { var m = {}; for (var k in (o || {})) m[k] = __ddbValue(o[k]); return m; }
function __fromDdb(a) {
  var k = Object.keys(a)[0], v = a[k];
  if (k === 'N') return Number(v);
  if (k === 'NULL') return null;
  if (k === 'M') { var m = {}; for (var x in v) m[x] = __fromDdb(v[x]); return m; }
  if (k === 'L') return v.map(__fromDdb);
  if (k === 'NS') return v.map(Number);
  return v;
}
function __uuid() {
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, function (c) {
    var r = Math.random() * 16 | 0; return (c === 'x' ? r : (r & 0x3 | 0x8)).toString(16); });
}
var __B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function __b64encode(s) {
  var bytes = unescape(encodeURIComponent(s)), out = '';
  for (var i = 0; i < bytes.length; i += 3) {
    var n = (bytes.charCodeAt(i) << 16) | ((bytes.charCodeAt(i + 1) || 0) << 8) | (bytes.charCodeAt(i + 2) || 0);
    out += __B64[n >> 18 & 63] + __B64[n >> 12 & 63] + (i + 1 < bytes.length ? __B64[n >> 6 & 63] : '=') +
           (i + 2 < bytes.length ? __B64[n & 63] : '=');
  }
  return out;
}
function __b64decode(s) {
  var bytes = '', bits = 0, value = 0; s = s.replace(/[^A-Za-z0-9+/]/g, '');
  for (var i = 0; i < s.length; i++) {
    value = (value << 6) | __B64.indexOf(s[i]); bits += 6;
    if (bits >= 8) { bits -= 8; bytes += String.fromCharCode((value >> bits) & 255); }
  }
  return decodeURIComponent(escape(bytes));
}
function __filterGroups(spec) {
  var groups = [[]];
  for (var key in (spec || {})) {
    var value = spec[key], next = [];
    if (key === 'or') {
      var alternatives = [];
      value.forEach(function (branch) { alternatives = alternatives.concat(__filterGroups(branch)); });
      groups.forEach(function (g) { alternatives.forEach(function (a) { next.push(g.concat(a)); }); });
      groups = next;
    } else if (key === 'and') {
      value.forEach(function (branch) {
        var more = [], alts = __filterGroups(branch);
        groups.forEach(function (g) { alts.forEach(function (a) { more.push(g.concat(a)); }); });
        groups = more;
      });
    } else {
      var filters = Object.keys(value).map(function (op) { return {fieldName: key, operator: op, value: value[op]}; });
      groups = groups.map(function (g) { return g.concat(filters); });
    }
  }
  return groups;
}
class __AppSyncError { constructor(message, errorType, data, errorInfo) {
  this.__appsync = true; this.message = message; this.errorType = errorType === undefined ? null : errorType;
  this.data = data === undefined ? null : data; this.errorInfo = errorInfo === undefined ? null : errorInfo; } }
var util = {
  autoId: function () { return __uuid(); },
  autoUlid: function () { return __uuid().replace(/-/g, '').toUpperCase().slice(0, 26); },
  error: function (message, errorType, data, errorInfo) { throw new __AppSyncError(message, errorType, data, errorInfo); },
  appendError: function (message, errorType, data, errorInfo) {
    __errors.push(new __AppSyncError(message, errorType, data, errorInfo)); },
  unauthorized: function () { throw new __AppSyncError('Not Authorized to access this field', 'Unauthorized'); },
  isNull: function (v) { return v === null || v === undefined; },
  isNullOrEmpty: function (v) { return v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length); },
  isNullOrBlank: function (v) { return v === null || v === undefined || String(v).trim() === ''; },
  defaultIfNull: function (v, d) { return v === null || v === undefined ? d : v; },
  defaultIfNullOrEmpty: function (v, d) { return util.isNullOrEmpty(v) ? d : v; },
  escapeJavaScript: function (s) { return JSON.stringify(s).slice(1, -1); },
  urlEncode: function (s) { return encodeURIComponent(s); },
  urlDecode: function (s) { return decodeURIComponent(s); },
  base64Encode: __b64encode,
  base64Decode: __b64decode,
  time: {
    nowISO8601: function () { return new Date().toISOString(); },
    nowEpochSeconds: function () { return Math.floor(Date.now() / 1000); },
    nowEpochMilliSeconds: function () { return Date.now(); },
  },
  dynamodb: {
    toDynamoDB: __ddbValue, toMapValues: __mapValues, toString: function (s) { return {S: s}; },
    toNumber: function (n) { return {N: String(n)}; }, toStringSet: function (l) { return {SS: l}; },
    toNumberSet: function (l) { return {NS: l.map(String)}; }, toBinary: function (b) { return {B: b}; },
    toList: __ddbValue, toMap: __ddbValue, toNull: function () { return {NULL: true}; },
    toBoolean: function (b) { return {BOOL: b}; }, fromDynamoDB: __fromDdb,
  },
  transform: {},
};
var runtime = { earlyReturn: function (value) { throw {__early: true, value: value === undefined ? null : value}; } };
var __subscriptionFilter = null, __invalidationFilter = null, __invalidations = [];
var extensions = {
  setSubscriptionFilter: function (f) { __subscriptionFilter = f; },
  setSubscriptionInvalidationFilter: function (f) { __invalidationFilter = f; },
  invalidateSubscriptions: function (i) { __invalidations.push(i); },
};
util.transform.toSubscriptionFilter = function (f) {
  return {filterGroup: __filterGroups(f).map(function (g) { return {filters: g}; })}; };
function __expression(cond, prefix) {
  var names = {}, values = {}, parts = [], i = 0;
  function walk(c) {
    var out = [];
    for (var key in c) {
      if (key === 'and' || key === 'or') {
        out.push('(' + c[key].map(function (x) { return walk(x); }).join(key === 'and' ? ' AND ' : ' OR ') + ')');
        continue;
      }
      if (key === 'not') { out.push('NOT (' + walk(c[key]) + ')'); continue; }
      var n = '#' + prefix + (i), ops = c[key]; names[n] = key;
      for (var op in ops) {
        var v = ':' + prefix + (i++); var val = ops[op];
        if (op === 'attributeExists') { out.push((val ? 'attribute_exists(' : 'attribute_not_exists(') + n + ')'); continue; }
        values[v] = __ddbValue(val);
        var sym = {eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>='}[op];
        if (sym) out.push(n + ' ' + sym + ' ' + v);
        else if (op === 'beginsWith') out.push('begins_with(' + n + ', ' + v + ')');
        else if (op === 'contains') out.push('contains(' + n + ', ' + v + ')');
        else if (op === 'between') { delete values[v]; values[v + 'a'] = __ddbValue(val[0]); values[v + 'b'] = __ddbValue(val[1]);
          out.push(n + ' BETWEEN ' + v + 'a AND ' + v + 'b'); }
      }
      i++;
    }
    return out.join(' AND ');
  }
  var expression = walk(cond || {});
  return {expression: expression, expressionNames: names, expressionValues: values};
}
var __ddb = {
  get: function (p) { return {operation: 'GetItem', key: __mapValues(p.key), consistentRead: !!p.consistentRead}; },
  put: function (p) { var r = {operation: 'PutItem', key: __mapValues(p.key), attributeValues: __mapValues(p.item)};
    if (p.condition) r.condition = __expression(p.condition, 'c'); return r; },
  remove: function (p) { var r = {operation: 'DeleteItem', key: __mapValues(p.key)};
    if (p.condition) r.condition = __expression(p.condition, 'c'); return r; },
  scan: function (p) { p = p || {}; var r = {operation: 'Scan', limit: p.limit, nextToken: p.nextToken, index: p.index};
    if (p.filter) r.filter = __expression(p.filter, 'f'); return r; },
  query: function (p) { var r = {operation: 'Query', query: __expression(p.query, 'q'), limit: p.limit,
      nextToken: p.nextToken, index: p.index, scanIndexForward: p.scanIndexForward !== false};
    if (p.filter) r.filter = __expression(p.filter, 'f'); return r; },
  update: function (p) { var names = {}, values = {}, sets = [], i = 0;
    for (var k in (p.update || {})) { names['#u' + i] = k; values[':u' + i] = __ddbValue(p.update[k]);
      sets.push('#u' + i + ' = :u' + i); i++; }
    var r = {operation: 'UpdateItem', key: __mapValues(p.key),
      update: {expression: 'SET ' + sets.join(', '), expressionNames: names, expressionValues: values}};
    if (p.condition) r.condition = __expression(p.condition, 'c'); return r; },
};
var __modules = {'@aws-appsync/utils': {util: util, runtime: runtime, extensions: extensions},
                 '@aws-appsync/utils/dynamodb': __ddb};
__modules['@aws-appsync/utils'].default = __modules['@aws-appsync/utils'];
__ddb.default = __ddb;
"""

INVOKE = r"""
function __invoke(name, ctxJson) {
  var ctx = JSON.parse(ctxJson);
  ctx.args = ctx.arguments;
  __errors = []; __subscriptionFilter = null; __invalidationFilter = null; __invalidations = [];
  var out = {};
  try {
    var fn = (typeof __exported !== 'undefined' && __exported[name]) || null;
    if (!fn) throw new __AppSyncError('The code does not export a ' + name + ' function.', 'Code');
    var value = fn(ctx);
    out.value = value === undefined ? null : value;
  } catch (e) {
    if (e && e.__early) { out.early = true; out.value = e.value; }
    else if (e && e.__appsync) out.error = e;
    else out.error = {message: String(e && e.message !== undefined ? e.message : e), errorType: 'Code'};
  }
  out.stash = ctx.stash; out.errors = __errors; out.filter = __subscriptionFilter;
  out.invalidationFilter = __invalidationFilter; out.invalidations = __invalidations;
  return JSON.stringify(out);
}
"""

_IMPORT = re.compile(r"""^\s*import\s+(.+?)\s+from\s+['"]([^'"]+)['"]\s*;?""", re.M)
_EXPORT_DECL = re.compile(r"^(\s*)export\s+(?=(async\s+)?function\b|const\b|let\b|var\b|class\b)", re.M)
_EXPORT_LIST = re.compile(r"^\s*export\s*\{[^}]*\}\s*;?", re.M)
_FUNCTION_NAME = re.compile(r"^\s*export\s+(?:async\s+)?function\s+([A-Za-z_$][\w$]*)|"
                            r"^\s*export\s+(?:const|let|var)\s+([A-Za-z_$][\w$]*)", re.M)


class CodeInvalid(Exception):
    pass


def _bind(match: re.Match) -> str:
    """``import {a, b as c} from 'm'`` -> ``const {a, b: c} = __modules['m'];`` (and * as / default)."""
    clause, module = match.group(1).strip(), match.group(2)
    source = f"(__modules[{orjson.dumps(module).decode()}] || {{}})"
    parts = []
    if clause.startswith("* as "):
        return f"const {clause[5:].strip()} = {source};"
    default, _, named = clause.partition("{")
    default = default.strip().rstrip(",").strip()
    if default:
        parts.append(f"const {default} = {source}.default;")
    if named:
        names = ", ".join(n.strip().replace(" as ", ": ") for n in named.rstrip("} ").split(",") if n.strip())
        parts.append(f"const {{{names}}} = {source};")
    return " ".join(parts)


def exported_names(code: str) -> set[str]:
    return {m.group(1) or m.group(2) for m in _FUNCTION_NAME.finditer(code)}


def _module_to_script(code: str) -> str:
    exported = exported_names(code)
    script = _IMPORT.sub(_bind, code)
    script = _EXPORT_LIST.sub("", script)
    script = _EXPORT_DECL.sub(r"\1", script)
    table = ", ".join(f"{name}: (typeof {name} !== 'undefined' ? {name} : null)" for name in sorted(exported))
    # In a function of its own, the module's imports may bind names the prelude defines globally.
    return f"var __exported = (function () {{\n{script}\nreturn {{{table}}};\n}})();\n"


class JsProgram:
    def __init__(self, code: str) -> None:
        self.exported = exported_names(code)  # what the module exports (an Event API's onPublish, onSubscribe)
        self.context = quickjs.Context()
        self.context.set_memory_limit(MEMORY_LIMIT)
        self.context.set_time_limit(TIME_LIMIT)
        # No Python callables: QuickJS cannot call into Python while a time limit is set, and the
        # limit is what keeps a resolver's endless loop from stalling the cloud.
        try:
            self.context.eval(PRELUDE)
            self.context.eval(_module_to_script(code))
            self.context.eval(INVOKE)
        except quickjs.JSException as error:
            raise CodeInvalid(str(error).splitlines()[0]) from None
        self._invoke = self.context.get("__invoke")

    def call(self, name: str, context: dict) -> dict:
        """Run ``name(ctx)``: {"value", "stash", "errors", "filter", "invalidations"}; raises
        EarlyReturn for runtime.earlyReturn and ResolverError for util.error and thrown errors."""
        try:
            out = orjson.loads(self._invoke(name, orjson.dumps(context, default=_jsonable).decode()))
        except quickjs.JSException as error:
            raise ResolverError(str(error).splitlines()[0], "Code") from None
        if "error" in out:
            e = out["error"]
            raise ResolverError(e.get("message"), e.get("errorType"), e.get("data"), e.get("errorInfo"))
        if out.get("early"):
            raise EarlyReturn(out.get("value"))
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError
