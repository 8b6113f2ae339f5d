"""Reserved DB instances: DescribeReservedDBInstancesOfferings, PurchaseReservedDBInstancesOffering,
DescribeReservedDBInstances.

The offerings are RDS's shape of them: every instance class regionbox orders (catalog.CLASSES) for
``postgresql``, one or three years, No/Partial/All Upfront, Single- or Multi-AZ, each with a stable
offering id. Prices follow AWS's pattern from the class's on-demand hourly price for PostgreSQL
(us-east-1 list prices; Multi-AZ twice that) and AWS's usual discounts; they are a bill's figures,
nothing regionbox charges. A purchase is a reservation of the account and region, ``payment-pending``
in Purchase's answer and ``active`` from then on, ``retired`` when its term is over.
"""

from __future__ import annotations

import uuid

from regionbox.core import clock
from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.services.rds import validation as check
from regionbox.services.rds.account import quota
from regionbox.services.rds.catalog import CLASSES
from regionbox.services.rds.models import RdsState, ReservedDBInstance

HOURLY = {"db.t3.micro": 0.018, "db.t3.small": 0.036, "db.t3.medium": 0.072, "db.t4g.micro": 0.016, "db.t4g.small": 0.032,
          "db.t4g.medium": 0.065, "db.m5.large": 0.178, "db.m6g.large": 0.159, "db.m6i.large": 0.178, "db.m7g.large": 0.168,
          "db.r5.large": 0.25, "db.r6g.large": 0.225, "db.r6i.large": 0.25, "db.r7g.large": 0.239}
YEAR = 31536000
DURATIONS = {YEAR: 1, 3 * YEAR: 3}
# offering type -> (share of the term's cost paid up front, share paid by the hour), per term in years
PAYMENT = {"No Upfront": {1: (0.0, 0.68), 3: (0.0, 0.52)}, "Partial Upfront": {1: (0.32, 0.32), 3: (0.45, 0.17)},
           "All Upfront": {1: (0.62, 0.0), 3: (0.60, 0.0)}}
PRODUCT = "postgresql"
NAMESPACE = uuid.UUID("5f0c3f4e-7c62-4d3f-9f7a-6b6b1f0e0d11")  # offering ids are stable across clouds


def offerings() -> list[dict]:
    rows = []
    for instance_class in CLASSES:
        for duration, years in DURATIONS.items():
            for offering_type, terms in PAYMENT.items():
                for multi_az in (False, True):
                    hourly = HOURLY[instance_class] * (2 if multi_az else 1)
                    upfront_share, hourly_share = terms[years]
                    fixed = round(hourly * 8760 * years * upfront_share, 2)
                    recurring = round(hourly * hourly_share, 4)
                    key = f"{instance_class}/{duration}/{offering_type}/{multi_az}/{PRODUCT}"
                    rows.append({"ReservedDBInstancesOfferingId": str(uuid.uuid5(NAMESPACE, key)),
                                 "DBInstanceClass": instance_class, "Duration": duration, "FixedPrice": fixed, "UsagePrice": 0.0,
                                 "CurrencyCode": "USD", "ProductDescription": PRODUCT, "OfferingType": offering_type,
                                 "MultiAZ": multi_az, "RecurringCharges": [{"RecurringChargeAmount": recurring,
                                                                            "RecurringChargeFrequency": "Hourly"}]})
    return rows


def duration_of(value: str) -> int:
    """Duration as RDS takes it: years (1, 3) or seconds (31536000, 94608000)."""
    seconds = {"1": YEAR, "3": 3 * YEAR, str(YEAR): YEAR, str(3 * YEAR): 3 * YEAR}.get(value)
    if seconds is None:
        raise invalid(f"Invalid value for Duration: {value}. Valid values are 1, 3, 31536000, 94608000.")
    return seconds


def matches(row: dict, params: dict) -> bool:
    if params.get("DBInstanceClass") not in (None, row["DBInstanceClass"]):
        return False
    if params.get("Duration") is not None and duration_of(params["Duration"]) != row["Duration"]:
        return False
    if params.get("ProductDescription") not in (None, row["ProductDescription"]):
        return False
    if params.get("OfferingType") not in (None, row["OfferingType"]):
        return False
    return params.get("MultiAZ") in (None, row["MultiAZ"])


class ReservedInstances:
    def __init__(self, state: RdsState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator
        self.offerings = {row["ReservedDBInstancesOfferingId"]: row for row in offerings()}

    def describe_reserved_db_instances_offerings(self, ctx, params: dict) -> dict:
        wanted = params.get("ReservedDBInstancesOfferingId")
        if wanted is not None and wanted not in self.offerings:
            raise ServiceError("ReservedDBInstancesOfferingNotFound", f"Specified offering does not exist: {wanted}", 404)
        rows = [row for row in self.offerings.values() if wanted in (None, row["ReservedDBInstancesOfferingId"])
                and matches(row, params)]
        return check.paged(self.paginator, "ReservedDBInstancesOfferings", rows, params)

    def purchase_reserved_db_instances_offering(self, ctx, params: dict) -> dict:
        offering = self.offerings.get(params["ReservedDBInstancesOfferingId"])
        if offering is None:
            raise ServiceError("ReservedDBInstancesOfferingNotFound",
                               f"Specified offering does not exist: {params['ReservedDBInstancesOfferingId']}", 404)
        count = params.get("DBInstanceCount", 1)
        if count < 1:
            raise invalid(f"Invalid value for DBInstanceCount: {count}. It must be at least 1.")
        reservation_id = params.get("ReservedDBInstanceId") or f"ri-{clock.now():%Y-%m-%d-%H-%M-%S}-{uuid.uuid4().hex[:6]}"
        if not check.IDENTIFIER.match(reservation_id):
            raise invalid(f"The parameter ReservedDBInstanceId is not a valid identifier: {reservation_id}")
        if (ctx.scope, reservation_id.lower()) in self.state.reserved:
            raise ServiceError("ReservedDBInstanceAlreadyExists", f"Reserved DB instance {reservation_id} already exists.", 404)
        held = sum(r.count for r in self.state.reserved.values(ctx.scope))
        if held + count > quota("ReservedDBInstances"):
            raise ServiceError("ReservedDBInstanceQuotaExceeded", f"Request would exceed the maximum number of reserved DB "
                               f"instances ({quota('ReservedDBInstances')}).")
        reserved = ReservedDBInstance(
            reservation_id=reservation_id.lower(), arn=ctx.arn("rds", f"ri:{reservation_id.lower()}"), lease_id=str(uuid.uuid4()),
            offering_id=offering["ReservedDBInstancesOfferingId"], instance_class=offering["DBInstanceClass"],
            product=offering["ProductDescription"], offering_type=offering["OfferingType"], duration=offering["Duration"],
            fixed_price=offering["FixedPrice"], usage_price=offering["UsagePrice"],
            recurring=offering["RecurringCharges"][0]["RecurringChargeAmount"], multi_az=offering["MultiAZ"], count=count,
            start_time=clock.epoch(), tags=params.get("Tags") or [])
        self.state.reserved.put(ctx.scope, reserved.reservation_id, reserved)
        return {"ReservedDBInstance": self.describe(reserved, "payment-pending")}

    @staticmethod
    def describe(reserved: ReservedDBInstance, state: str | None = None) -> dict:
        if state is None:
            state = "active" if clock.epoch() < reserved.start_time + reserved.duration else "retired"
        return {"ReservedDBInstanceId": reserved.reservation_id, "ReservedDBInstancesOfferingId": reserved.offering_id,
                "DBInstanceClass": reserved.instance_class, "StartTime": clock.from_epoch(reserved.start_time),
                "Duration": reserved.duration, "FixedPrice": reserved.fixed_price, "UsagePrice": reserved.usage_price,
                "CurrencyCode": "USD", "DBInstanceCount": reserved.count, "ProductDescription": reserved.product,
                "OfferingType": reserved.offering_type, "MultiAZ": reserved.multi_az, "State": state,
                "RecurringCharges": [{"RecurringChargeAmount": reserved.recurring, "RecurringChargeFrequency": "Hourly"}],
                "ReservedDBInstanceArn": reserved.arn, "LeaseId": reserved.lease_id}

    def describe_reserved_db_instances(self, ctx, params: dict) -> dict:
        wanted = params.get("ReservedDBInstanceId")
        if wanted is not None and (ctx.scope, wanted.lower()) not in self.state.reserved:
            raise ServiceError("ReservedDBInstanceNotFound", f"Reserved DB instance {wanted} not found.", 404)
        rows = [self.describe(r) for r in self.state.reserved.values(ctx.scope)
                if (wanted is None or wanted.lower() == r.reservation_id) and params.get("LeaseId") in (None, r.lease_id)
                and params.get("ReservedDBInstancesOfferingId") in (None, r.offering_id)]
        rows = [row for row in rows if matches(row, params)]
        return check.paged(self.paginator, "ReservedDBInstances", rows, params)
