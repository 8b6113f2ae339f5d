"""GetMetricWidgetImage: a metric widget's graph as a PNG, drawn here without an imaging library.

The widget JSON is CloudWatch's: ``metrics`` rows ([namespace, name, dimension name, value, ...,
{stat, period, label, color, id, visible}], "." repeating the row above, or [{"expression": ...}]),
``start``/``end`` (ISO 8601 durations such as -PT3H, or timestamps), ``period``, ``stat``,
``width``/``height``, ``yAxis.left.min/max`` and horizontal ``annotations``. Every view is drawn as
a time series: the lines in CloudWatch's palette over a grid and axes. What needs a font is not
drawn: no title, legend or tick labels.
"""

from __future__ import annotations

import json
import math
import re
import struct
import time
import zlib
from datetime import datetime

from regionbox.core.errors import ServiceError
from regionbox.services.cloudwatch.expressions import TimeSeries
from regionbox.services.cloudwatch.queries import Queries, check_queries

PALETTE = ["1f77b4", "ff7f0e", "2ca02c", "d62728", "9467bd", "8c564b", "e377c2", "7f7f7f", "bcbd22", "17becf"]
DURATION = re.compile(r"^-?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
MARGIN = (40, 16, 16, 24)  # left, right, top, bottom


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def _when(text, now: float, parameter: str) -> float:
    if isinstance(text, (int, float)):
        return float(text) / 1000 if text > 1e11 else float(text)
    match = DURATION.match(str(text))
    if match and any(match.groups()):
        weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
        return now - (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 - seconds
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid(f"The value {text} for field {parameter} of MetricWidget is invalid.") from None


def queries_of(widget: dict) -> tuple[list[dict], dict[str, str]]:
    """GetMetricData queries for the widget's rows, and each returned id's colour."""
    queries, colours, previous = [], {}, []
    period, stat = int(widget.get("period", 300)), widget.get("stat", "Average")
    rows = widget.get("metrics")
    if not isinstance(rows, list) or not rows:
        raise invalid("The field metrics of MetricWidget must be a non-empty array.")
    for index, row in enumerate(rows):
        if not isinstance(row, list) or not row:
            raise invalid(f"The field metrics[{index}] of MetricWidget must be a non-empty array.")
        options = row[-1] if isinstance(row[-1], dict) else {}
        values = row[:-1] if options is row[-1] else row
        query_id = options.get("id") or f"m{index}"
        if options.get("expression"):
            query = {"Id": query_id, "Expression": options["expression"]}
        else:
            values = [previous[i] if v == "." and i < len(previous) else v for i, v in enumerate(values)]
            previous = values
            if len(values) < 2 or len(values) % 2:
                raise invalid(f"The field metrics[{index}] of MetricWidget must be [namespace, name, dimension name, "
                              "dimension value, ...].")
            dimensions = [{"Name": str(values[i]), "Value": str(values[i + 1])} for i in range(2, len(values), 2)]
            query = {"Id": query_id, "MetricStat": {"Metric": {"Namespace": values[0], "MetricName": values[1],
                                                               "Dimensions": dimensions},
                                                    "Period": int(options.get("period", period)),
                                                    "Stat": options.get("stat", stat)}}
        query["ReturnData"] = options.get("visible", True) is not False
        if options.get("label"):
            query["Label"] = options["label"]
        queries.append(query)
        colours[query_id] = str(options.get("color", "#" + PALETTE[len(colours) % len(PALETTE)])).lstrip("#")
    return queries, colours


class WidgetImages:
    def __init__(self, queries: Queries) -> None:
        self.queries = queries

    def get_metric_widget_image(self, ctx, params: dict) -> dict:
        fmt = params.get("OutputFormat") or "png"
        if fmt != "png":
            raise invalid(f"The value {fmt} for parameter OutputFormat is invalid: regionbox answers png, the image in "
                          "MetricWidgetImage.")
        try:
            widget = json.loads(params["MetricWidget"])
        except ValueError:
            raise invalid("The field MetricWidget must be a valid JSON object.") from None
        if not isinstance(widget, dict):
            raise invalid("The field MetricWidget must be a valid JSON object.")
        now = time.time()
        start, end = _when(widget.get("start", "-PT3H"), now, "start"), _when(widget.get("end", "P0D"), now, "end")
        if start >= end:
            raise invalid("The field start of MetricWidget must be before its end.")
        width, height = int(widget.get("width", 600)), int(widget.get("height", 400))
        if not (1 <= width <= 2000 and 1 <= height <= 2000):
            raise invalid("The fields width and height of MetricWidget must be between 1 and 2000.")
        queries, colours = queries_of(widget)
        check_queries(queries, "metrics")
        values = self.queries.evaluate(ctx.scope, queries, int(start), math.ceil(end))
        lines = []
        for query in queries:
            if query["ReturnData"]:
                value = values[query["Id"]]
                for series in value if isinstance(value, list) else [value]:
                    lines.append((series, colours[query["Id"]]))
        axis = (widget.get("yAxis") or {}).get("left") or {}
        marks = [a.get("value") for a in (widget.get("annotations") or {}).get("horizontal", []) if isinstance(a, dict)]
        return {"MetricWidgetImage": draw(lines, start, end, width, height, axis.get("min"), axis.get("max"),
                                          [m for m in marks if isinstance(m, (int, float))])}


def draw(lines: list[tuple[TimeSeries, str]], start: float, end: float, width: int, height: int,
         low: float | None, high: float | None, marks: list[float]) -> bytes:
    canvas = bytearray(b"\xff" * (width * height * 3))
    left, right, top, bottom = MARGIN
    x0, x1, y0, y1 = min(left, width - 1), max(width - right, 0), min(top, height - 1), max(height - bottom, 0)
    points = [v for series, _ in lines for v in series.points.values() if math.isfinite(v)]
    lo = low if low is not None else min([0.0, *points, *marks])
    hi = high if high is not None else max([lo + 1.0, *points, *marks])
    if hi <= lo:
        hi = lo + 1.0

    def pixel(x: int, y: int, colour: bytes) -> None:
        if 0 <= x < width and 0 <= y < height:
            at = (y * width + x) * 3
            canvas[at:at + 3] = colour

    def line(a: tuple[int, int], b: tuple[int, int], colour: bytes) -> None:
        (xa, ya), (xb, yb) = a, b
        dx, dy = abs(xb - xa), -abs(yb - ya)
        sx, sy = (1 if xa < xb else -1), (1 if ya < yb else -1)
        error = dx + dy
        while True:
            pixel(xa, ya, colour)
            if (xa, ya) == (xb, yb):
                return
            doubled = 2 * error
            if doubled >= dy:
                error, xa = error + dy, xa + sx
            if doubled <= dx:
                error, ya = error + dx, ya + sy

    def y_of(value: float) -> int:
        return round(y1 - (min(max(value, lo), hi) - lo) / (hi - lo) * (y1 - y0))

    grid, axis = bytes.fromhex("e9ebed"), bytes.fromhex("879596")
    for step in range(5):
        y = round(y0 + step * (y1 - y0) / 4)
        line((x0, y), (x1, y), grid)
    line((x0, y0), (x0, y1), axis)
    line((x0, y1), (x1, y1), axis)
    for mark in marks:
        line((x0, y_of(mark)), (x1, y_of(mark)), bytes.fromhex("d13212"))
    for series, colour in lines:
        rgb = bytes.fromhex(colour if re.fullmatch(r"[0-9a-fA-F]{6}", colour) else PALETTE[0])
        previous = None
        for ts, value in sorted(series.points.items()):
            if not math.isfinite(value):
                previous = None
                continue
            here = (round(x0 + (ts - start) / (end - start) * (x1 - x0)), y_of(value))
            if previous is not None:
                for offset in (0, 1):  # two pixels thick, as CloudWatch's lines
                    line((previous[0], previous[1] + offset), (here[0], here[1] + offset), rgb)
            else:
                pixel(*here, rgb)
            previous = here
    return png(canvas, width, height)


def png(rgb: bytearray, width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    stride = width * 3
    raw = b"".join(b"\x00" + bytes(rgb[row * stride:(row + 1) * stride]) for row in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
