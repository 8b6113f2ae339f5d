"""Reserved cache nodes: DescribeReservedCacheNodesOfferings (answered from a catalog),
PurchaseReservedCacheNodesOffering and DescribeReservedCacheNodes.

Reservations are billing: nothing runs for them. The catalog has, for every node type ElastiCache
offers and each engine (``ProductDescription`` redis, valkey, memcached), the 1- and 3-year terms
in the three payment options AWS sells today (No, Partial and All Upfront). Offering ids are
stable UUIDs derived from the offering, so a program that looked one up can purchase it later.
Prices follow AWS's list prices' shape: an hourly on-demand price per node type's memory, the
reserved terms at AWS's usual discounts, Valkey 20% below Redis OSS.

A purchase is "payment-pending" for a moment, then "active", and "retired" once its term is over.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.elasticache import engine_catalog as catalog
from regionbox.services.elasticache import validation as check
from regionbox.services.elasticache.models import ReservedCacheNode
from regionbox.services.elasticache.state import ElastiCacheState
from regionbox.services.elasticache.tags import checked_tags

YEAR = 31536000
DURATIONS = {"1": YEAR, "3": 3 * YEAR, str(YEAR): YEAR, str(3 * YEAR): 3 * YEAR}
OFFERING_TYPES = ("No Upfront", "Partial Upfront", "All Upfront")
LEGACY_OFFERING_TYPES = ("Light Utilization", "Medium Utilization", "Heavy Utilization")
PRODUCTS = ("redis", "valkey", "memcached")
PAYMENT_SECONDS = 1.0  # how long a purchase shows "payment-pending"
MAX_RESERVED_NODES = 300  # "Reserved nodes per Region"
_NAMESPACE = uuid.UUID("0d9f3c47-2c1e-4b59-9d2f-1d3c6a8e2b10")
_RESERVATION_ID = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,254}$")
# Hourly on-demand price per GiB of memory by node family (us-east-1 list prices divided out).
_PER_GIB = {"t2": 0.0306, "t3": 0.034, "t4g": 0.032, "m4": 0.0243, "m5": 0.0244, "m6g": 0.0233, "m7g": 0.0247,
            "r4": 0.0185, "r5": 0.0165, "r6g": 0.0158, "r7g": 0.0167, "r6gd": 0.0137, "c7gn": 0.1}
# (duration in years, offering type) -> (share of the term's on-demand cost paid upfront, hourly share)
_DISCOUNTS = {(1, "No Upfront"): (0.0, 0.69), (1, "Partial Upfront"): (0.32, 0.33), (1, "All Upfront"): (0.62, 0.0),
              (3, "No Upfront"): (0.0, 0.55), (3, "Partial Upfront"): (0.26, 0.24), (3, "All Upfront"): (0.48, 0.0)}


def on_demand_price(node_type: str, product: str) -> float:
    family = node_type.split(".")[1]
    price = _PER_GIB.get(family, 0.0244) * catalog.node_resources(node_type)[1]
    return price * (0.8 if product == "valkey" else 1.0)


def _offering(node_type: str, years: int, offering_type: str, product: str) -> dict[str, Any]:
    hourly = on_demand_price(node_type, product)
    upfront, recurring = _DISCOUNTS[(years, offering_type)]
    offering_id = str(uuid.uuid5(_NAMESPACE, f"{node_type}/{years}/{offering_type}/{product}"))
    return {"ReservedCacheNodesOfferingId": offering_id, "CacheNodeType": node_type, "Duration": years * YEAR,
            "FixedPrice": round(upfront * hourly * 8760 * years, 2), "UsagePrice": 0.0, "ProductDescription": product,
            "OfferingType": offering_type,
            "RecurringCharges": [{"RecurringChargeAmount": round(recurring * hourly, 4), "RecurringChargeFrequency": "Hourly"}]}


OFFERINGS = [_offering(node_type, years, offering_type, product) for node_type in sorted(catalog.NODE_TYPES)
             for product in PRODUCTS for years in (1, 3) for offering_type in OFFERING_TYPES]
_BY_ID = {o["ReservedCacheNodesOfferingId"]: o for o in OFFERINGS}


def _duration(value: str | None) -> int | None:
    if value is None:
        return None
    if value not in DURATIONS:
        raise check.invalid(f"Invalid duration: {value}. Valid values are 1, 3, 31536000 and 94608000.")
    return DURATIONS[value]


def _offering_type(value: str | None) -> str | None:
    if value is not None and value not in OFFERING_TYPES + LEGACY_OFFERING_TYPES:
        raise check.invalid(f"Invalid offering type: {value}. Valid values are {', '.join(OFFERING_TYPES + LEGACY_OFFERING_TYPES)}.")
    return value


def _matches(row: dict, params: dict) -> bool:
    duration = _duration(params.get("Duration"))
    offering_type = _offering_type(params.get("OfferingType"))
    return ((params.get("ReservedCacheNodesOfferingId") in (None, row["ReservedCacheNodesOfferingId"]))
            and params.get("CacheNodeType") in (None, row["CacheNodeType"]) and duration in (None, row["Duration"])
            and params.get("ProductDescription") in (None, row["ProductDescription"])
            and offering_type in (None, row["OfferingType"]))


def _state(node: ReservedCacheNode) -> str:
    now = clock.epoch()
    if now >= node.start + node.duration:
        return "retired"
    return "payment-pending" if now < node.start + PAYMENT_SECONDS else "active"


def _describe(node: ReservedCacheNode) -> dict[str, Any]:
    return {"ReservedCacheNodeId": node.reserved_id, "ReservedCacheNodesOfferingId": node.offering_id,
            "CacheNodeType": node.node_type, "StartTime": node.start, "Duration": node.duration, "FixedPrice": node.fixed_price,
            "UsagePrice": node.usage_price, "CacheNodeCount": node.count, "ProductDescription": node.product,
            "OfferingType": node.offering_type, "State": _state(node), "RecurringCharges": list(node.recurring),
            "ReservationARN": node.arn}


class ReservedNodes:
    def __init__(self, state: ElastiCacheState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def describe_reserved_cache_nodes_offerings(self, ctx: RequestContext, params: dict) -> dict:
        offering_id = params.get("ReservedCacheNodesOfferingId")
        if offering_id is not None and offering_id not in _BY_ID:
            raise ServiceError("ReservedCacheNodesOfferingNotFound", f"Reserved cache node offering {offering_id} not found.",
                               status=404)
        rows = [o for o in OFFERINGS if _matches(o, params)]
        return check.paged(self.paginator, "ReservedCacheNodesOfferings", rows, params)

    def purchase_reserved_cache_nodes_offering(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        offering = _BY_ID.get(params["ReservedCacheNodesOfferingId"])
        if offering is None:
            raise ServiceError("ReservedCacheNodesOfferingNotFound",
                               f"Reserved cache node offering {params['ReservedCacheNodesOfferingId']} not found.", status=404)
        count = params.get("CacheNodeCount", 1)
        if count < 1:
            raise check.invalid("The parameter CacheNodeCount must be a positive integer.")
        reserved_id = params.get("ReservedCacheNodeId") or f"ri-{clock.now():%Y-%m-%d-%H-%M-%S}-{uuid.uuid4().hex[:3]}"
        if not _RESERVATION_ID.match(reserved_id):
            raise check.invalid(f"The parameter ReservedCacheNodeId is not a valid identifier: {reserved_id}.")
        tags = checked_tags(params.get("Tags") or [])
        if self.state.reserved_nodes.get(scope, reserved_id) is not None:
            raise ServiceError("ReservedCacheNodeAlreadyExists", f"Reserved cache node {reserved_id} already exists.")
        held = sum(n.count for n in self.state.reserved_nodes.values(scope) if _state(n) != "retired")
        if held + count > MAX_RESERVED_NODES:
            raise ServiceError("ReservedCacheNodeQuotaExceeded",
                               f"The request would exceed the quota of {MAX_RESERVED_NODES} reserved cache nodes.")
        node = ReservedCacheNode(
            reserved_id=reserved_id, arn=ctx.arn("elasticache", f"reservedinstance:{reserved_id}"), offering_id=offering[
                "ReservedCacheNodesOfferingId"], node_type=offering["CacheNodeType"], start=clock.epoch(),
            duration=offering["Duration"], fixed_price=offering["FixedPrice"], usage_price=offering["UsagePrice"], count=count,
            product=offering["ProductDescription"], offering_type=offering["OfferingType"],
            recurring=list(offering["RecurringCharges"]), tags=tags)
        self.state.reserved_nodes.put(scope, reserved_id, node)
        ctx.touched("ReservedCacheNode", reserved_id)
        return {"ReservedCacheNode": _describe(node)}

    def describe_reserved_cache_nodes(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.scope
        reserved_id = params.get("ReservedCacheNodeId")
        if reserved_id is not None and self.state.reserved_nodes.get(scope, reserved_id) is None:
            raise ServiceError("ReservedCacheNodeNotFound", f"Reserved cache node {reserved_id} not found.", status=404)
        rows = [_describe(n) for n in self.state.reserved_nodes.values(scope)]
        rows = [r for r in rows if params.get("ReservedCacheNodeId") in (None, r["ReservedCacheNodeId"]) and _matches(r, params)]
        return check.paged(self.paginator, "ReservedCacheNodes", rows, params)
