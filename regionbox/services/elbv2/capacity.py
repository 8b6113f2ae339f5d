"""LCU capacity reservations: DescribeCapacityReservation and ModifyCapacityReservation, with AWS's
rules: the reservation is spread evenly over the load balancer's AZs, a request is ``pending``
until provisioned (then another may follow), capacity may be decreased twice a day, and
ResetCapacityReservation cancels it. Local nodes have no capacity to pre-scale: the reservation
is kept and reported, and changes nothing in how the nodes serve.
"""

from __future__ import annotations

import time
from typing import Any

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.store import Scope
from regionbox.core.tasks import Tasks
from regionbox.services.elbv2.models import Elbv2State, LoadBalancer

DECREASES_PER_DAY = 2
MAX_UNITS = 15000  # AWS's default quota of reserved LCUs per load balancer


def _out(lb: LoadBalancer) -> dict[str, Any]:
    reservation = lb.capacity
    out: dict[str, Any] = {"DecreaseRequestsRemaining": _decreases_left(reservation),
                           "CapacityReservationState": []}
    if reservation.get("modified"):
        out["LastModifiedTime"] = clock.from_epoch(reservation["modified"])
    units = reservation.get("units")
    if units:
        out["MinimumLoadBalancerCapacity"] = {"CapacityUnits": units}
        share = units / max(1, len(lb.zones))
        out["CapacityReservationState"] = [
            {"State": {"Code": reservation.get("state", "pending")}, "AvailabilityZone": zone["ZoneName"],
             "EffectiveCapacityUnits": share if reservation.get("state") == "provisioned" else 0.0}
            for zone in lb.zones]
    return out


def _decreases_left(reservation: dict) -> int:
    today = int(time.time() // 86400)
    return DECREASES_PER_DAY - (reservation.get("decreases", 0) if reservation.get("day") == today else 0)


class CapacityReservations:
    def __init__(self, state: Elbv2State, tasks: Tasks) -> None:
        self.state = state
        self.tasks = tasks

    def describe_capacity_reservation(self, ctx: RequestContext, params: dict) -> dict:
        return _out(self.state.load_balancer(ctx.scope, params["LoadBalancerArn"]))

    def modify_capacity_reservation(self, ctx: RequestContext, params: dict) -> dict:
        lb = self.state.load_balancer(ctx.scope, params["LoadBalancerArn"])
        asked, reset = params.get("MinimumLoadBalancerCapacity"), params.get("ResetCapacityReservation")
        if (asked is None) == (not reset):
            raise invalid("You must specify either MinimumLoadBalancerCapacity or ResetCapacityReservation")
        reservation = lb.capacity
        if reservation.get("state") == "pending":
            raise ServiceError("CapacityReservationPending",
                               "There is a pending capacity reservation for this load balancer")
        current = reservation.get("units", 0)
        units = 0 if reset else asked["CapacityUnits"]
        if units < 0 or (not reset and units == 0):
            raise invalid("Capacity units must be greater than 0")
        if units > MAX_UNITS:
            raise ServiceError("CapacityUnitsLimitExceeded",
                               f"You've reached the limit on the number of capacity units ('{MAX_UNITS}')")
        today = int(time.time() // 86400)
        if units < current and not reset:  # cancelling is not a decrease
            if _decreases_left(reservation) <= 0:
                raise ServiceError("CapacityDecreaseRequestLimitExceeded",
                                   "You've exceeded the daily capacity decrease limit for this reservation")
            used = reservation.get("decreases", 0) if reservation.get("day") == today else 0
            reservation.update(day=today, decreases=used + 1)
        reservation.update(modified=clock.epoch(), units=units, state="pending" if units else "")
        if not units:
            reservation.pop("units", None)
        lb.capacity = reservation
        self.state.load_balancers.put(ctx.scope, lb.arn, lb)
        if units:
            self.tasks.spawn(self._provision(ctx.scope, lb.arn), owner="elbv2", what=f"capacity reservation of {lb.name}")
        return _out(lb)

    async def _provision(self, scope: Scope, arn: str) -> None:
        lb = self.state.load_balancers.get(scope, arn)
        if lb is not None and lb.capacity.get("state") == "pending":
            lb.capacity["state"] = "provisioned"
            self.state.load_balancers.put(scope, arn, lb)
