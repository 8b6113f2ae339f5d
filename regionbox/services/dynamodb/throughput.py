"""A table's and a global secondary index's throughput beyond their capacity units: the
maximum of an on-demand table (OnDemandThroughput) and the warm throughput (WarmThroughput).

- OnDemandThroughput: MaxReadRequestUnits / MaxWriteRequestUnits, each 1 or more, or -1 for
  no maximum (how a maximum is removed); only for PAY_PER_REQUEST. DescribeTable shows it for
  every on-demand table and index, -1 where no maximum is set.
- WarmThroughput: the read and write units per second a table or index can take at once. A new
  on-demand table or index starts at 12,000 reads and 4,000 writes, a provisioned one at its
  capacity units; it rises with provisioned capacity and when the user asks for more, and never
  comes down, so a request below the current value is refused. Raising it is instant here
  (Status ACTIVE).
"""

from __future__ import annotations

from typing import Any

from regionbox.core.errors import invalid

INVALID = "One or more parameter values were invalid: "
ON_DEMAND_WARM = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000}
_MAXIMA = ("MaxReadRequestUnits", "MaxWriteRequestUnits")
_WARM = ("ReadUnitsPerSecond", "WriteUnitsPerSecond")


def on_demand(spec: dict | None, billing: str, current: dict | None, what: str = "table") -> dict | None:
    """The OnDemandThroughput to store once ``spec`` (a request's, or None) is applied."""
    if spec is None:
        return current if billing == "PAY_PER_REQUEST" else None
    if billing != "PAY_PER_REQUEST":
        raise invalid(INVALID + f"OnDemandThroughput is not supported for a {what} whose BillingMode is PROVISIONED")
    if not any(spec.get(name) is not None for name in _MAXIMA):
        raise invalid(INVALID + "OnDemandThroughput must specify MaxReadRequestUnits, MaxWriteRequestUnits, or both")
    stored = dict(current or {})
    for name in _MAXIMA:
        value = spec.get(name)
        if value is None:
            continue
        if value != -1 and value < 1:
            raise invalid(INVALID + f"{name} must be greater than or equal to 1, or -1 to remove the maximum: {value}")
        stored[name] = value
    return stored


def on_demand_out(stored: dict | None) -> dict[str, int]:
    stored = stored or {}
    return {name: stored.get(name, -1) for name in _MAXIMA}


def _base(billing: str, read: int, write: int) -> dict[str, int]:
    if billing == "PAY_PER_REQUEST":
        return dict(ON_DEMAND_WARM)
    return {"ReadUnitsPerSecond": max(read, 1), "WriteUnitsPerSecond": max(write, 1)}


def current_warm(stored: dict | None, billing: str, read: int, write: int) -> dict[str, int]:
    """The warm throughput now: what was reached before (stored) or what the capacity gives."""
    base = _base(billing, read, write)
    stored = stored or {}
    return {name: max(base[name], stored.get(name, 0)) for name in _WARM}


def warm(spec: dict | None, stored: dict | None, billing: str, read: int, write: int, what: str) -> dict[str, int]:
    """The warm throughput to store once ``spec`` (a request's WarmThroughput, or None) is applied;
    ``what`` names the table or index in the message of a value below the current one."""
    now = current_warm(stored, billing, read, write)
    if spec is None:
        return now
    if not any(spec.get(name) is not None for name in _WARM):
        raise invalid(INVALID + "WarmThroughput must specify ReadUnitsPerSecond, WriteUnitsPerSecond, or both")
    for name in _WARM:
        value = spec.get(name)
        if value is None:
            continue
        if value < now[name]:
            raise invalid(INVALID + f"Requested {name} for WarmThroughput for {what} is lower than the current "
                          f"WarmThroughput value of {now[name]}")
        now[name] = value
    return now


def warm_out(stored: dict | None, billing: str, read: int, write: int) -> dict[str, Any]:
    return {**current_warm(stored, billing, read, write), "Status": "ACTIVE"}
