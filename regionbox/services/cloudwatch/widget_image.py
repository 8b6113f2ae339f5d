"""GetMetricWidgetImage: a metric widget's graph as a PNG, drawn here without an imaging library.

The widget JSON is CloudWatch's: ``metrics`` rows ([namespace, name, dimension name, value, ...,
{stat, period, label, color, id, visible}], "." repeating the row above, or [{"expression": ...}]),
``start``/``end`` (ISO 8601 durations such as -PT3H, or timestamps), ``period``, ``stat``,
``width``/``height``, ``title``, ``yAxis.left.min/max/label``, ``legend.position`` (bottom, right,
hidden) and horizontal ``annotations``. Every view is drawn as a time series: the lines in
CloudWatch's palette over a grid and axes, with the title, the value of each grid line, times
(UTC) under the axis, the y-axis label and a legend of the series' labels, in a small built-in
bitmap font (``bitmap_font.py``).
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
from regionbox.services.cloudwatch import bitmap_font as font
from regionbox.services.cloudwatch.expressions import TimeSeries
from regionbox.services.cloudwatch.queries import Queries, check_queries, default_label

PALETTE = ["1f77b4", "ff7f0e", "2ca02c", "d62728", "9467bd", "8c564b", "e377c2", "7f7f7f", "bcbd22", "17becf"]
DURATION = re.compile(r"^-?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
PAD = 8  # between the image's edge, the texts and the plot
TEXT, LABEL = bytes.fromhex("16191f"), bytes.fromhex("5f6b7a")  # the title; tick values, times and legend
TIME_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


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
                    lines.append((series, colours[query["Id"]], series.label or query.get("Label") or default_label(query)))
        axis = (widget.get("yAxis") or {}).get("left") or {}
        marks = [a.get("value") for a in (widget.get("annotations") or {}).get("horizontal", []) if isinstance(a, dict)]
        legend = (widget.get("legend") or {}).get("position", "bottom")
        return {"MetricWidgetImage": draw(lines, start, end, width, height, axis.get("min"), axis.get("max"),
                                          [m for m in marks if isinstance(m, (int, float))], str(widget.get("title") or ""),
                                          str(axis.get("label") or ""), legend)}


def _tick(value: float) -> str:
    return f"{value:.4g}".replace("e+0", "e").replace("e+", "e")


def _times(start: float, end: float, room: int) -> tuple[list[int], str]:
    """Round times between start and end, as many as fit in ``room`` pixels, and their format."""
    fmt = "%m-%d" if end - start > 2 * 86400 else "%H:%M"
    fits = max(1, room // (font.text_width("00:00") + 16))
    step = next((s for s in TIME_STEPS if (end - start) / s + 1 <= fits), TIME_STEPS[-1])
    first = math.ceil(start / step) * step
    return list(range(int(first), int(end) + 1, step)), fmt


def draw(lines: list[tuple[TimeSeries, str, str]], start: float, end: float, width: int, height: int,
         low: float | None, high: float | None, marks: list[float], title: str = "", y_label: str = "",
         legend: str = "bottom") -> bytes:
    canvas = bytearray(b"\xff" * (width * height * 3))
    points = [v for series, _, _ in lines for v in series.points.values() if math.isfinite(v)]
    lo = low if low is not None else min([0.0, *points, *marks])
    hi = high if high is not None else max([lo + 1.0, *points, *marks])
    if hi <= lo:
        hi = lo + 1.0
    ticks = [lo + step * (hi - lo) / 4 for step in range(5)]
    labels = [(series_label, colour) for _, colour, series_label in lines] if legend != "hidden" else []
    entry = font.HEIGHT + 4  # a legend row
    left = PAD + max(font.text_width(_tick(t)) for t in ticks) + 6 + (font.HEIGHT + 6 if y_label else 0)
    top = PAD + (font.HEIGHT + PAD if title else 0)
    right = PAD * 2 + (font.text_width(max((t for t, _ in labels), key=len)) + 12 if labels and legend == "right" else 0)
    # Legend rows at the bottom: entries side by side while they fit.
    rows: list[list[tuple[str, str]]] = [[]]
    used = 0
    for text, colour in labels if legend == "bottom" else []:
        size = 12 + font.text_width(text) + 16
        if rows[-1] and used + size > width - 2 * PAD:
            rows.append([])
            used = 0
        rows[-1].append((text, colour))
        used += size
    bottom = PAD + font.HEIGHT + 6 + (len(rows) * entry + 4 if labels and legend == "bottom" else 0)
    x0, x1, y0, y1 = min(left, width - 1), max(width - right, 0), min(top, height - 1), max(height - bottom, 0)
    x1, y1 = max(x1, x0), max(y1, y0)

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

    def text(x: int, y: int, words: str, colour: bytes) -> int:
        return font.draw_text(lambda px, py: pixel(px, py, colour), x, y, words)

    grid, axis = bytes.fromhex("e9ebed"), bytes.fromhex("879596")
    for step in range(5):
        y = round(y0 + step * (y1 - y0) / 4)
        line((x0, y), (x1, y), grid)
        value = _tick(ticks[4 - step])
        text(x0 - 6 - font.text_width(value), y - font.HEIGHT // 2, value, LABEL)
    line((x0, y0), (x0, y1), axis)
    line((x0, y1), (x1, y1), axis)
    times, fmt = _times(start, end, x1 - x0)
    for at in times:
        x = round(x0 + (at - start) / (end - start) * (x1 - x0))
        line((x, y1), (x, y1 + 3), axis)
        label = time.strftime(fmt, time.gmtime(at))
        text(min(max(x - font.text_width(label) // 2, x0), width - font.text_width(label) - 1), y1 + 6, label, LABEL)
    if title:
        text(PAD, PAD, title, TEXT)
    if y_label:  # turned a quarter anticlockwise, centred on the plot's height
        middle = (y0 + y1) // 2 + font.text_width(y_label) // 2
        font.draw_text(lambda px, py: pixel(PAD + py, middle - px + PAD, LABEL), PAD, 0, y_label)
    legend_y = y1 + 6 + font.HEIGHT + 8
    for index, row in enumerate(rows if labels and legend == "bottom" else []):
        x = PAD
        for words, colour in row:
            swatch = bytes.fromhex(_hex(colour))
            for dy in range(font.HEIGHT):
                line((x, legend_y + index * entry + dy), (x + 8, legend_y + index * entry + dy), swatch)
            x = text(x + 12, legend_y + index * entry, words, LABEL) + 10
    for index, (words, colour) in enumerate(labels if legend == "right" else []):
        y = y0 + index * entry
        for dy in range(font.HEIGHT):
            line((x1 + PAD, y + dy), (x1 + PAD + 8, y + dy), bytes.fromhex(_hex(colour)))
        text(x1 + PAD + 12, y, words, LABEL)
    for mark in marks:
        line((x0, y_of(mark)), (x1, y_of(mark)), bytes.fromhex("d13212"))
    for series, colour, _ in lines:
        rgb = bytes.fromhex(_hex(colour))
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


def _hex(colour: str) -> str:
    return colour if re.fullmatch(r"[0-9a-fA-F]{6}", colour) else PALETTE[0]


def png(rgb: bytearray, width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    stride = width * 3
    raw = b"".join(b"\x00" + bytes(rgb[row * stride:(row + 1) * stride]) for row in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
