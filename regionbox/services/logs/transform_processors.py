"""The processors of a log transformer, run over one event as AWS runs them: in order, like a
pipeline, over the event as a JSON object.

The event starts as ``{"@message": <message>}``. A parser (parseJSON, parseKeyValue, csv, grok,
the vended-log parsers) reads its ``source`` (``@message`` by default) and puts what it found
under ``destination`` or at the root, and a parser of ``@message`` consumes it; the other
processors add, copy, move, rename, delete and convert keys, which are dotted paths into the
object. A processor that cannot apply (a source that is missing or does not parse) leaves the
event as it was, and the event is passed on untransformed, as AWS passes on events a
transformer fails on.

``parseToOCSF`` (mapping to the Open Cybersecurity Schema Framework) is accepted in a
transformer but not run by regionbox: ``UnsupportedProcessor``.
"""

from __future__ import annotations

import csv as csv_module
import io
import json
import re
from datetime import datetime, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Event = dict[str, Any]
MESSAGE = "@message"
# Parsers of AWS vended logs: each must be the transformer's first processor, and reads @message.
VENDED_PARSERS = ("parseCloudfront", "parseRoute53", "parsePostgres", "parseVPC", "parseWAF")


class ProcessorFailed(Exception):
    pass


class UnsupportedProcessor(Exception):
    pass


# -- dotted paths ----------------------------------------------------------------------------------

def get(event: Event, path: str) -> Any:
    if path in event:
        return event[path]
    value: Any = event
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def has(event: Event, path: str) -> bool:
    return get(event, path) is not None


def put(event: Event, path: str, value: Any, overwrite: bool = True) -> None:
    parts = path.split(".")
    node = event
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    if overwrite or parts[-1] not in node:
        node[parts[-1]] = value


def delete(event: Event, path: str) -> Any:
    if path in event:
        return event.pop(path)
    parts = path.split(".")
    node = event
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node.pop(parts[-1], None) if isinstance(node, dict) else None


def _parsed(event: Event, source: str | None, destination: str | None, found: dict, overwrite: bool = True) -> None:
    """Put a parser's fields in place; parsing @message consumes it."""
    source = source or MESSAGE
    if source == MESSAGE and not destination:
        event.pop(MESSAGE, None)
    if destination:
        put(event, destination, found, overwrite)
    else:
        for key, value in found.items():
            if overwrite or key not in event:
                event[key] = value


def _source_text(event: Event, source: str | None) -> str:
    value = get(event, source or MESSAGE)
    if not isinstance(value, str):
        raise ProcessorFailed(f"source {source or MESSAGE} is not a string")
    return value


# -- parsers ---------------------------------------------------------------------------------------

def parse_json(event: Event, config: dict) -> None:
    try:
        found = json.loads(_source_text(event, config.get("source")))
    except ValueError:
        raise ProcessorFailed("not JSON") from None
    if not isinstance(found, dict):
        raise ProcessorFailed("not a JSON object")
    _parsed(event, config.get("source"), config.get("destination"), found)


def parse_key_value(event: Event, config: dict) -> None:
    text = _source_text(event, config.get("source"))
    pairs, prefix = {}, config.get("keyPrefix", "")
    separator = config.get("keyValueDelimiter", "=")
    for item in text.split(config.get("fieldDelimiter", "&")):
        if not item:
            continue
        key, found, value = item.partition(separator)
        if not found:
            if "nonMatchValue" not in config:
                continue
            value = config["nonMatchValue"]
        pairs[prefix + key] = value
    _parsed(event, config.get("source"), config.get("destination"), pairs, bool(config.get("overwriteIfExists")))


def parse_csv(event: Event, config: dict) -> None:
    text = _source_text(event, config.get("source"))
    delimiter = config.get("delimiter", ",")
    delimiter = "\t" if delimiter == "\\t" else delimiter
    rows = list(csv_module.reader(io.StringIO(text), delimiter=delimiter[0], quotechar=config.get("quoteCharacter", '"')))
    if not rows:
        raise ProcessorFailed("no columns")
    columns = config.get("columns") or [f"column_{i}" for i in range(1, len(rows[0]) + 1)]
    _parsed(event, config.get("source"), config.get("destination"), dict(zip(columns, rows[0])))


_GROK = {
    "WORD": r"\b\w+\b", "NOTSPACE": r"\S+", "SPACE": r"\s*", "DATA": r".*?", "GREEDYDATA": r".*",
    "INT": r"[+-]?\d+", "POSINT": r"\b[1-9]\d*\b", "NONNEGINT": r"\b\d+\b", "BASE10NUM": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)",
    "NUMBER": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", "IPV4": r"(?:\d{1,3}\.){3}\d{1,3}",
    "IPV6": r"[0-9A-Fa-f:]+:[0-9A-Fa-f:.]*", "IP": r"(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f:]+:[0-9A-Fa-f:.]*)",
    "HOSTNAME": r"\b[0-9A-Za-z][0-9A-Za-z-]{0,62}(?:\.[0-9A-Za-z][0-9A-Za-z-]{0,62})*\.?\b",
    "USERNAME": r"[a-zA-Z0-9._-]+", "USER": r"[a-zA-Z0-9._-]+", "EMAILADDRESS": r"[a-zA-Z0-9_.+-=:]+@[0-9A-Za-z.-]+",
    "UUID": r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}", "LOGLEVEL": r"(?i:trace|debug|info|notice|warn(?:ing)?|err(?:or)?|crit(?:ical)?|fatal|severe|emerg(?:ency)?)",
    "TIMESTAMP_ISO8601": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:?\d{2}(?::?\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?",
    "HTTPDATE": r"\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}", "QUOTEDSTRING": r'"(?:[^"\\]|\\.)*"',
    "URIPATH": r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+", "URIPARAM": r"\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*",
    "WORDS": r"\w+(?:\s+\w+)*",
}
_GROK_REFERENCE = re.compile(r"%\{(\w+)(?::([\w.@\[\]]+))?(?::(int|float))?\}")


def compile_grok(match: str) -> tuple[re.Pattern, dict[str, tuple[str, str | None]]]:
    names: dict[str, tuple[str, str | None]] = {}

    def replace(found: re.Match) -> str:
        pattern, field, kind = found.groups()
        if pattern not in _GROK:
            raise ValueError(f"unsupported grok pattern {pattern}")
        if not field:
            return f"(?:{_GROK[pattern]})"
        group = f"g{len(names)}"
        names[group] = (field, kind)
        return f"(?P<{group}>{_GROK[pattern]})"

    return re.compile(_GROK_REFERENCE.sub(replace, match)), names


def parse_grok(event: Event, config: dict) -> None:
    pattern, names = compile_grok(config["match"])
    found = pattern.search(_source_text(event, config.get("source")))
    if found is None:
        raise ProcessorFailed("grok pattern does not match")
    fields: dict[str, Any] = {}
    for group, (field, kind) in names.items():
        value: Any = found.group(group)
        if value is not None and kind:
            value = int(value) if kind == "int" else float(value)
        put(fields, field, value)
    _parsed(event, config.get("source"), None, fields)


def _fields(names: list[str], separator: str | None = None) -> Callable[[Event, dict], None]:
    def parse(event: Event, config: dict) -> None:
        values = _source_text(event, MESSAGE).split(separator)
        if len(values) < len(names) - 1:
            raise ProcessorFailed("not the log format this parser reads")
        _parsed(event, MESSAGE, None, dict(zip(names, values)))
    return parse


VPC_FIELDS = ["version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
              "packets", "bytes", "start", "end", "action", "log_status"]
ROUTE53_FIELDS = ["version", "query_timestamp", "hosted_zone_id", "query_name", "query_type", "response_code",
                  "protocol", "edge_location", "resolver_ip", "edns_client_subnet"]
CLOUDFRONT_FIELDS = ["date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem",
                     "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type",
                     "x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for",
                     "ssl-protocol", "ssl-cipher", "x-edge-response-result-type", "cs-protocol-version", "fle-status",
                     "fle-encrypted-fields", "c-port", "time-to-first-byte", "x-edge-detailed-result-type",
                     "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end"]
_POSTGRES = re.compile(r"^(?P<logTime>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? \w+):(?P<host>[^:]*):"
                       r"(?P<user>[^@]*)@(?P<database>[^:]*):\[(?P<pid>\d+)\]:(?P<logLevel>\w+):\s*(?P<message>.*)$", re.S)


def parse_postgres(event: Event, config: dict) -> None:
    found = _POSTGRES.match(_source_text(event, MESSAGE))
    if found is None:
        raise ProcessorFailed("not a PostgreSQL log line")
    _parsed(event, MESSAGE, None, found.groupdict())


def parse_waf(event: Event, config: dict) -> None:
    parse_json(event, {})


# -- key processors --------------------------------------------------------------------------------

def add_keys(event: Event, config: dict) -> None:
    for entry in config["entries"]:
        put(event, entry["key"], entry["value"], bool(entry.get("overwriteIfExists")))


def copy_value(event: Event, config: dict) -> None:
    for entry in config["entries"]:
        if has(event, entry["source"]):
            put(event, entry["target"], get(event, entry["source"]), bool(entry.get("overwriteIfExists")))


def move_keys(event: Event, config: dict) -> None:
    for entry in config["entries"]:
        if has(event, entry["source"]) and (entry.get("overwriteIfExists") or not has(event, entry["target"])):
            put(event, entry["target"], delete(event, entry["source"]))


def rename_keys(event: Event, config: dict) -> None:
    for entry in config["entries"]:
        if has(event, entry["key"]) and (entry.get("overwriteIfExists") or not has(event, entry["renameTo"])):
            put(event, entry["renameTo"], delete(event, entry["key"]))


def delete_keys(event: Event, config: dict) -> None:
    for key in config["withKeys"]:
        delete(event, key)


def _strings(change: Callable[[str], str]) -> Callable[[Event, dict], None]:
    def process(event: Event, config: dict) -> None:
        for key in config["withKeys"]:
            value = get(event, key)
            if isinstance(value, str):
                put(event, key, change(value))
    return process


def split_string(event: Event, config: dict) -> None:
    for entry in config["entries"]:
        value = get(event, entry["source"])
        if isinstance(value, str):
            put(event, entry["source"], value.split(entry["delimiter"]))


def substitute_string(event: Event, config: dict) -> None:
    for entry in config["entries"]:
        value = get(event, entry["source"])
        if isinstance(value, str):
            put(event, entry["source"], re.sub(entry["from"], entry["to"], value))


def _converted(value: Any, kind: str) -> Any:
    if kind == "string":
        return value if isinstance(value, str) else json.dumps(value)
    if kind == "boolean":
        return str(value).lower() == "true" if isinstance(value, str) else bool(value)
    try:
        return int(float(value)) if kind == "integer" else float(value)
    except (TypeError, ValueError):
        raise ProcessorFailed(f"cannot convert {value!r} to {kind}") from None


def type_converter(event: Event, config: dict) -> None:
    for entry in config["entries"]:
        if has(event, entry["key"]):
            put(event, entry["key"], _converted(get(event, entry["key"]), entry["type"]))


def list_to_map(event: Event, config: dict) -> None:
    items = get(event, config["source"])
    if not isinstance(items, list):
        raise ProcessorFailed("source is not a list")
    mapped: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict) or config["key"] not in item:
            continue
        value = item.get(config["valueKey"]) if config.get("valueKey") else item
        key = str(item[config["key"]])
        if config.get("flatten"):
            if config.get("flattenedElement") == "first" and key in mapped:
                continue
            mapped[key] = value
        else:
            mapped.setdefault(key, []).append(value)
    if config.get("target"):
        put(event, config["target"], mapped)
    else:
        event.update(mapped)


_JAVA_DATE = [("yyyy", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"),
              ("hh", "%I"), ("mm", "%M"), ("ss", "%S"), ("SSS", "%f"), ("a", "%p"), ("XXX", "%z"), ("Z", "%z"),
              ("EEE", "%a"), ("'T'", "T"), ("'Z'", "Z")]


def _strftime_pattern(java: str) -> str:
    out, i = "", 0
    while i < len(java):
        for token, python in _JAVA_DATE:
            if java.startswith(token, i):
                out += python
                i += len(token)
                break
        else:
            out += java[i]
            i += 1
    return out


def _zone(name: str | None):
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        raise ProcessorFailed(f"unknown time zone {name}") from None


def date_time_converter(event: Event, config: dict) -> None:
    value = get(event, config["source"])
    if not isinstance(value, str):
        raise ProcessorFailed("source is not a string")
    for pattern in config["matchPatterns"]:
        try:
            moment = datetime.strptime(value, _strftime_pattern(pattern))
            break
        except ValueError:
            continue
    else:
        raise ProcessorFailed("no pattern matches")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(config.get("sourceTimezone")))
    moment = moment.astimezone(_zone(config.get("targetTimezone")))
    target = config.get("targetFormat") or "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
    text = moment.strftime(_strftime_pattern(target).replace("%f", "<ms>")).replace("<ms>", f"{moment.microsecond // 1000:03d}")
    put(event, config["target"], text)


def parse_to_ocsf(event: Event, config: dict) -> None:
    raise UnsupportedProcessor("regionbox does not run the parseToOCSF processor (the OCSF mappings of AWS log sources).")


PROCESSORS: dict[str, Callable[[Event, dict], None]] = {
    "addKeys": add_keys, "copyValue": copy_value, "csv": parse_csv, "dateTimeConverter": date_time_converter,
    "deleteKeys": delete_keys, "grok": parse_grok, "listToMap": list_to_map,
    "lowerCaseString": _strings(str.lower), "upperCaseString": _strings(str.upper), "trimString": _strings(str.strip),
    "moveKeys": move_keys, "renameKeys": rename_keys, "splitString": split_string,
    "substituteString": substitute_string, "typeConverter": type_converter,
    "parseJSON": parse_json, "parseKeyValue": parse_key_value, "parseCloudfront": _fields(CLOUDFRONT_FIELDS, "\t"),
    "parseRoute53": _fields(ROUTE53_FIELDS), "parsePostgres": parse_postgres, "parseVPC": _fields(VPC_FIELDS),
    "parseWAF": parse_waf, "parseToOCSF": parse_to_ocsf,
}


def transform(processors: list[dict], message: str) -> str:
    """The event a transformer makes of ``message`` (JSON), or the message itself when a
    processor fails on it."""
    event: Event = {MESSAGE: message}
    try:
        for processor in processors:
            (name, config), = processor.items()
            PROCESSORS[name](event, config)
    except ProcessorFailed:
        return message
    if list(event) == [MESSAGE]:
        return event[MESSAGE] if isinstance(event[MESSAGE], str) else json.dumps(event[MESSAGE])
    return json.dumps(event, separators=(",", ":"))
