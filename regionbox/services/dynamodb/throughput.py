"""A table's and a global secondary index's throughput beyond their capacity units: the
maximum of an on-demand table (OnDemandThroughput) and the warm throughput (WarmThroughput).

- OnDemandThroughput: MaxReadRequestUnits / MaxWriteRequestUnits, each 1 or more; UpdateTable
  takes -1 to remove a maximum. Only for PAY_PER_REQUEST. DescribeTable shows it for every
  on-demand table and index, -1 where no maximum is set.
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
_CAPACITY = {"ReadUnitsPerSecond": "ReadCapacityUnits", "WriteUnitsPerSecond": "WriteCapacityUnits"}


def on_demand(spec: dict | None, billing: str, current: dict | None, index: str | None = None,
              updating: bool = False) -> dict | None:
    """The OnDemandThroughput to store once ``spec`` (a request's, or None) is applied to a table
    (or to ``index``); -1 (no maximum) is accepted only when ``updating``, where it clears one."""
    if spec is None:
        return current if billing == "PAY_PER_REQUEST" else None
    where = f"index : {index}" if index else "table"
    given = [name for name in _MAXIMA if spec.get(name) is not None]
    if billing != "PAY_PER_REQUEST" and given:
        raise invalid(INVALID + f"{given[0]} for OnDemandThroughput cannot be specified when the table BillingMode is "
                      "PROVISIONED")
    stored = dict(current or {})
    for name in given:
        value = spec[name]
        if value < 1 and not (updating and value == -1):
            raise invalid(INVALID + f"Requested {name} for OnDemandThroughput for {where} is outside of valid range")
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


def warm(spec: dict | None, stored: dict | None, billing: str, read: int, write: int, index: str | None = None,
         creating: bool = False) -> dict[str, int]:
    """The warm throughput to store once ``spec`` (a request's WarmThroughput, or None) is applied
    to a table (or to ``index``) being created or updated."""
    now = current_warm(stored, billing, read, write)
    if spec is None:
        return now
    where = f"index {index}" if index else "table"
    for name in _WARM:
        value = spec.get(name)
        if value is None:
            continue
        if value < now[name]:
            if not creating:
                reason = "current WarmThroughput, decreasing WarmThroughput is not supported"
            elif billing == "PAY_PER_REQUEST":
                reason = ("initial throughput for OnDemand. See: https://docs.aws.amazon.com/amazondynamodb/latest/"
                          "developerguide/warm-throughput.html")
            else:
                reason = f"{_CAPACITY[name]} of ProvisionedThroughput"
            raise invalid(INVALID + f"Requested {name} for WarmThroughput for {where} is lower than {reason}")
        now[name] = value
    return now


def warm_out(stored: dict | None, billing: str, read: int, write: int) -> dict[str, Any]:
    return {**current_warm(stored, billing, read, write), "Status": "ACTIVE"}
