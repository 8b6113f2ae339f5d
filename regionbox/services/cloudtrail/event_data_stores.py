"""Event data stores: CreateEventDataStore, GetEventDataStore, ListEventDataStores,
UpdateEventDataStore, DeleteEventDataStore, RestoreEventDataStore, Start/StopEventDataStoreIngestion,
and Get/PutEventConfiguration (of event data stores and trails).

A store takes the events its advanced selectors select from when it is created (or its ingestion
restarted), never earlier ones, and keeps them for its retention period. DeleteEventDataStore
leaves it PENDING_DELETION for seven days, when RestoreEventDataStore can bring it back; then
it is gone with its events. Federation (Glue, Lake Formation, Athena), KMS keys and organization
stores need services regionbox does not serve.
"""

from __future__ import annotations

import uuid
from typing import Callable

from regionbox.core import clock
from regionbox.core.audit import AuditTrail
from regionbox.core.context import RequestContext
from regionbox.core.pagination import Paginator
from regionbox.services.cloudtrail import errors
from regionbox.services.cloudtrail.models import EventDataStore
from regionbox.services.cloudtrail.paging import LISTING, listed
from regionbox.services.cloudtrail.selectors import STORE_CATEGORIES, check_advanced
from regionbox.services.cloudtrail.state import INGESTING, CloudTrailState
from regionbox.services.cloudtrail.tags import check_tags

MAX_STORES = 10  # per account and region, as on AWS
FIXED_MAX_RETENTION = 2557
DEFAULT_RETENTION = {"EXTENDABLE_RETENTION_PRICING": 366, "FIXED_RETENTION_PRICING": 2557}
DEFAULT_SELECTORS = [{"Name": "Default management events",
                      "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]
RESOURCE = "AWS::CloudTrail::EventDataStore"
# Categories a store ingests from CloudTrail itself (others come through channels, Config, Insights).
LIVE_CATEGORIES = {"Management", "Data", "NetworkActivity", "ConfigurationItem"}


def categories(selectors: list[dict]) -> set[str]:
    return {v for s in selectors for f in s.get("FieldSelectors") or [] if f.get("Field") == "eventCategory"
            for v in f.get("Equals") or []}


def store_shape(eds: EventDataStore, *, listed: bool = False) -> dict:
    shape = {"EventDataStoreArn": eds.arn, "Name": eds.name, "Status": eds.status,
             "AdvancedEventSelectors": eds.advanced_event_selectors, "MultiRegionEnabled": eds.multi_region,
             "OrganizationEnabled": eds.organization, "RetentionPeriod": eds.retention_days,
             "TerminationProtectionEnabled": eds.termination_protection,
             "CreatedTimestamp": clock.from_epoch(eds.created), "UpdatedTimestamp": clock.from_epoch(eds.updated)}
    if listed:
        return shape
    if eds.kms_key_id:
        shape["KmsKeyId"] = eds.kms_key_id
    shape["BillingMode"] = eds.billing_mode
    return shape


def _check_categories(selectors: list[dict]) -> None:
    found = categories(selectors)
    for alone in ("ActivityAuditLog", "ConfigurationItem", "Insight"):
        if alone in found and len(found) > 1:
            raise errors.invalid_selectors(f"An event data store for {alone} events cannot collect other categories.")


class EventDataStores:
    def __init__(self, state: CloudTrailState, audit: AuditTrail, paginator: Paginator,
                 ingest: Callable[[], None]) -> None:
        self.state = state
        self.audit = audit
        self.paginator = paginator
        self.ingest = ingest  # takes what was recorded so far into the stores (before one stops taking events)

    def _check_retention(self, billing: str, retention: int) -> None:
        if billing == "FIXED_RETENTION_PRICING" and retention > FIXED_MAX_RETENTION:
            raise errors.invalid_parameter(f"The retention period of an event data store with FIXED_RETENTION_PRICING "
                                           f"must be between 7 and {FIXED_MAX_RETENTION} days.")

    def _check_name(self, ctx: RequestContext, name: str, store_id: str | None = None) -> None:
        if any(e.name == name and e.store_id != store_id for e in self.state.stores_of(ctx)):
            raise errors.error("EventDataStoreAlreadyExistsException",
                               f"An event data store with the name {name} already exists.")

    def create_event_data_store(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        self._check_name(ctx, name)
        if len(self.state.stores_of(ctx)) >= MAX_STORES:
            raise errors.error("EventDataStoreMaxLimitExceededException",
                               f"Your account has reached the limit of {MAX_STORES} event data stores in {ctx.region}.")
        selectors = params.get("AdvancedEventSelectors")
        selectors = check_advanced(selectors, STORE_CATEGORIES) if selectors else [dict(s) for s in DEFAULT_SELECTORS]
        _check_categories(selectors)
        if params.get("OrganizationEnabled"):
            raise errors.organizations_not_in_use()
        if params.get("KmsKeyId"):
            raise errors.kms_not_found(params["KmsKeyId"])
        billing = params.get("BillingMode") or "EXTENDABLE_RETENTION_PRICING"
        retention = params.get("RetentionPeriod") or DEFAULT_RETENTION[billing]
        self._check_retention(billing, retention)
        store_id = str(uuid.uuid4())
        now = clock.epoch()
        live = bool(categories(selectors) & LIVE_CATEGORIES)
        start = params.get("StartIngestion", True)
        eds = EventDataStore(store_id=store_id, arn=ctx.arn("cloudtrail", f"eventdatastore/{store_id}"), name=name,
                             account=ctx.account_id, region=ctx.region,
                             status=INGESTING if start or not live else "STOPPED_INGESTION",
                             advanced_event_selectors=selectors, multi_region=params.get("MultiRegionEnabled", True),
                             retention_days=retention, termination_protection=params.get("TerminationProtectionEnabled", True),
                             billing_mode=billing, tags=check_tags([], params.get("TagsList") or []), created=now,
                             updated=now, cursor=self.audit.position())
        self.state.save_event_data_store(eds)
        self.state.refresh_data_accounts()
        ctx.touched(RESOURCE, eds.arn)
        # AWS answers CREATED; the store is ENABLED moments later.
        return {**store_shape(eds), "Status": "CREATED", "TagsList": eds.tags}

    def get_event_data_store(self, ctx: RequestContext, params: dict) -> dict:
        eds = self.state.event_data_store(ctx, params["EventDataStore"])
        return {**store_shape(eds), "FederationStatus": "DISABLED"}

    def list_event_data_stores(self, ctx: RequestContext, params: dict) -> dict:
        stores = sorted(self.state.stores_of(ctx), key=lambda e: e.created)
        return listed(self.paginator, stores, params, LISTING, ["ListEventDataStores"], "EventDataStores",
                      lambda e: store_shape(e, listed=True))

    def update_event_data_store(self, ctx: RequestContext, params: dict) -> dict:
        eds = self.state.event_data_store(ctx, params["EventDataStore"], active=True)
        changes = {k: v for k, v in params.items() if k != "EventDataStore" and v is not None}
        if not changes:
            raise errors.invalid_parameter("Specify at least one parameter to update.")
        if "Name" in changes:
            self._check_name(ctx, changes["Name"], eds.store_id)
        selectors = eds.advanced_event_selectors
        if "AdvancedEventSelectors" in changes:
            selectors = check_advanced(changes["AdvancedEventSelectors"], STORE_CATEGORIES)
            _check_categories(selectors)
            if ("ActivityAuditLog" in categories(selectors)) != ("ActivityAuditLog" in categories(eds.advanced_event_selectors)):
                raise errors.eds_category("The event category of an event data store cannot be changed.")
        if changes.get("OrganizationEnabled"):
            raise errors.organizations_not_in_use()
        if changes.get("KmsKeyId"):
            raise errors.kms_not_found(changes["KmsKeyId"])
        billing = changes.get("BillingMode", eds.billing_mode)
        if billing == "FIXED_RETENTION_PRICING" and eds.billing_mode == "EXTENDABLE_RETENTION_PRICING":
            raise errors.invalid_parameter("You cannot change the billing mode from EXTENDABLE_RETENTION_PRICING "
                                           "to FIXED_RETENTION_PRICING.")
        retention = changes.get("RetentionPeriod", eds.retention_days)
        self._check_retention(billing, retention)
        eds.name = changes.get("Name", eds.name)
        eds.advanced_event_selectors, eds.billing_mode, eds.retention_days = selectors, billing, retention
        eds.multi_region = changes.get("MultiRegionEnabled", eds.multi_region)
        eds.termination_protection = changes.get("TerminationProtectionEnabled", eds.termination_protection)
        eds.updated = clock.epoch()
        self.state.save_event_data_store(eds)
        self.state.refresh_data_accounts()
        ctx.touched(RESOURCE, eds.arn)
        return {**store_shape(eds), "FederationStatus": "DISABLED"}

    def delete_event_data_store(self, ctx: RequestContext, params: dict) -> dict:
        eds = self.state.event_data_store(ctx, params["EventDataStore"], active=True)
        if eds.termination_protection:
            raise errors.error("EventDataStoreTerminationProtectedException",
                               f"Event data store {eds.arn} cannot be deleted because termination protection is enabled.")
        if any(d.get("Location") == eds.arn for c in self.state.channels.values(ctx.scope) for d in c.destinations):
            raise errors.error("ChannelExistsForEDSException",
                               f"A channel exists whose destination is the event data store {eds.arn}.")
        if any(i.status in ("INITIALIZING", "IN_PROGRESS") and eds.arn in i.destinations
               for i in self.state.imports.values(ctx.scope)):
            raise errors.error("EventDataStoreHasOngoingImportException",
                               f"The event data store {eds.arn} has an import in progress.")
        self.ingest()
        eds.status_before_deletion, eds.status, eds.deleted_at = eds.status, "PENDING_DELETION", clock.epoch()
        eds.updated = eds.deleted_at
        self.state.save_event_data_store(eds)
        self.state.refresh_data_accounts()
        ctx.touched(RESOURCE, eds.arn)
        return {}

    def restore_event_data_store(self, ctx: RequestContext, params: dict) -> dict:
        eds = self.state.event_data_store(ctx, params["EventDataStore"])
        if eds.status != "PENDING_DELETION":
            raise errors.eds_status(eds.arn, eds.status)
        if len([e for e in self.state.stores_of(ctx) if e.status != "PENDING_DELETION"]) >= MAX_STORES:
            raise errors.error("EventDataStoreMaxLimitExceededException",
                               f"Your account has reached the limit of {MAX_STORES} event data stores in {ctx.region}.")
        eds.status = eds.status_before_deletion or INGESTING
        eds.deleted_at = eds.status_before_deletion = None
        eds.cursor, eds.updated = self.audit.position(), clock.epoch()
        self.state.save_event_data_store(eds)
        self.state.refresh_data_accounts()
        ctx.touched(RESOURCE, eds.arn)
        return store_shape(eds)

    def _live(self, eds: EventDataStore) -> None:
        if not categories(eds.advanced_event_selectors) & LIVE_CATEGORIES:
            raise errors.eds_category(f"The event data store {eds.arn} does not ingest live events: its events come "
                                      "from a channel, Insights or an import.")

    def start_event_data_store_ingestion(self, ctx: RequestContext, params: dict) -> dict:
        eds = self.state.event_data_store(ctx, params["EventDataStore"], active=True)
        self._live(eds)
        if eds.status != "STOPPED_INGESTION":
            raise errors.eds_status(eds.arn, eds.status)
        # Events from now on: what happened while ingestion was stopped is not in the store.
        eds.status, eds.cursor, eds.updated = INGESTING, self.audit.position(), clock.epoch()
        self.state.save_event_data_store(eds)
        self.state.refresh_data_accounts()
        return {}

    def stop_event_data_store_ingestion(self, ctx: RequestContext, params: dict) -> dict:
        eds = self.state.event_data_store(ctx, params["EventDataStore"], active=True)
        self._live(eds)
        if eds.status != INGESTING:
            raise errors.eds_status(eds.arn, eds.status)
        self.ingest()  # what happened before the stop is in the store
        eds.status, eds.updated = "STOPPED_INGESTION", clock.epoch()
        self.state.save_event_data_store(eds)
        self.state.refresh_data_accounts()
        return {}

    # -- event configuration -------------------------------------------------------------------
    def _configured(self, ctx: RequestContext, params: dict, *, change: bool):
        trail_name, store = params.get("TrailName"), params.get("EventDataStore")
        if bool(trail_name) == bool(store):
            raise errors.invalid_combination("Specify either TrailName or EventDataStore, but not both.")
        if trail_name:
            return self.state.trail(ctx, trail_name, change=change), None
        eds = self.state.event_data_store(ctx, store, active=change)
        if not categories(eds.advanced_event_selectors) & {"Management", "Data"}:
            raise errors.eds_category(f"Event configuration applies to event data stores of CloudTrail management or "
                                      f"data events; {eds.arn} is not one.")
        return None, eds

    def get_event_configuration(self, ctx: RequestContext, params: dict) -> dict:
        trail, eds = self._configured(ctx, params, change=False)
        if trail is not None:
            return {"TrailARN": trail.arn, "AggregationConfigurations": trail.aggregation_configurations}
        return {"EventDataStoreArn": eds.arn, "MaxEventSize": eds.max_event_size,
                "ContextKeySelectors": eds.context_key_selectors}

    def put_event_configuration(self, ctx: RequestContext, params: dict) -> dict:
        trail, eds = self._configured(ctx, params, change=True)
        size, keys, aggregations = params.get("MaxEventSize"), params.get("ContextKeySelectors"), \
            params.get("AggregationConfigurations")
        if trail is not None:
            if size is not None or keys is not None:
                raise errors.invalid_combination("MaxEventSize and ContextKeySelectors apply to event data stores only.")
            if aggregations is None:
                raise errors.invalid_parameter("Specify AggregationConfigurations for a trail.")
            trail.aggregation_configurations = aggregations
            self.state.save_trail(trail)
            return {"TrailARN": trail.arn, "AggregationConfigurations": aggregations}
        if aggregations is not None:
            raise errors.invalid_combination("AggregationConfigurations apply to trails only.")
        size = size or eds.max_event_size
        keys = keys if keys is not None else eds.context_key_selectors
        if keys and size != "Large":
            raise errors.invalid_parameter("ContextKeySelectors require MaxEventSize Large.")
        if len({k["Type"] for k in keys}) != len(keys):
            raise errors.invalid_parameter("Each ContextKeySelectors Type may appear once.")
        eds.max_event_size, eds.context_key_selectors = size, keys
        self.state.save_event_data_store(eds)
        return {"EventDataStoreArn": eds.arn, "MaxEventSize": size, "ContextKeySelectors": keys}
