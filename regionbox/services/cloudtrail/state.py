"""CloudTrail's one typed state: trails, event data stores, channels, dashboards and imports
(documents per account and region), the events the stores hold (lake_table.py), and the lookups
every handler uses to find a resource by name, ID or ARN as AWS takes them.

A trail lives in its home region; a multi-region trail is also seen from every other region (a
"shadow trail"), where it may be read but not changed. Event data stores and channels are named
by ARN or by the ARN's last part (their ID).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Iterator

from regionbox.core.arns import Arn
from regionbox.core.context import RequestContext
from regionbox.core.store import Scope, Store
from regionbox.services.cloudtrail import errors
from regionbox.services.cloudtrail.lake_table import LakeTable
from regionbox.services.cloudtrail.models import Channel, Dashboard, EventDataStore, Import, Trail
from regionbox.services.cloudtrail.selectors import selects_data_events

_TRAIL_CHARS = re.compile(r"^[A-Za-z0-9._-]+$")
_ADJACENT = re.compile(r"[._-]{2}")
# Event data stores that ingest events (not those that take only channel or imported events).
INGESTING = "ENABLED"


def check_trail_name(name: str) -> None:
    """AWS's rules for a trail name, in the order it checks them."""
    if len(name) < 3:
        raise errors.invalid_trail_name("Trail name too short. Minimum allowed length: 3 characters. "
                                        f"Specified name length: {len(name)} characters.")
    if len(name) > 128:
        raise errors.invalid_trail_name("Trail name too long. Maximum allowed length: 128 characters. "
                                        f"Specified name length: {len(name)} characters.")
    if not name[0].isascii() or not name[0].isalnum():
        raise errors.invalid_trail_name("Trail name must starts with a letter or number.")
    if not name[-1].isascii() or not name[-1].isalnum():
        raise errors.invalid_trail_name("Trail name must ends with a letter or number.")
    if not _TRAIL_CHARS.match(name):
        raise errors.invalid_trail_name("Trail name or ARN can only contain uppercase letters, lowercase letters, "
                                        "numbers, periods (.), hyphens (-), and underscores (_).")
    if _ADJACENT.search(name):
        raise errors.invalid_trail_name("Trail name cannot contain adjacent periods, underscores or dashes.")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return
    raise errors.invalid_trail_name("Trail name cannot be formatted as an IP address.")


class CloudTrailState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.trails = store.collection("cloudtrail.trails", Trail)
        self.event_data_stores = store.collection("cloudtrail.event_data_stores", EventDataStore)
        self.channels = store.collection("cloudtrail.channels", Channel)
        self.dashboards = store.collection("cloudtrail.dashboards", Dashboard)
        self.imports = store.collection("cloudtrail.imports", Import)
        self.lake = LakeTable(store)
        # Accounts with a logging trail or an ingesting event data store that selects data events:
        # the audit trail records data events only for them (kept current by refresh_data_accounts).
        self.data_accounts: set[str] = set()
        self.refresh_data_accounts()

    def refresh_data_accounts(self) -> None:
        accounts = {trail.account for _, _, trail in self.trails.all()
                    if trail.logging and selects_data_events(trail.event_selectors, trail.advanced_event_selectors)}
        accounts |= {eds.account for _, _, eds in self.event_data_stores.all()
                     if eds.status == INGESTING and selects_data_events(None, eds.advanced_event_selectors)}
        self.data_accounts = accounts

    # -- trails --------------------------------------------------------------------------------
    def save_trail(self, trail: Trail) -> None:
        self.trails.put((trail.account, trail.home_region), trail.name, trail)

    def account_trails(self, account: str) -> list[Trail]:
        """Every trail of the account, in every region, oldest first."""
        return sorted((t for (owner, _), _, t in self.trails.all() if owner == account), key=lambda t: t.created)

    def trails_seen_from(self, ctx: RequestContext) -> list[Trail]:
        """The region's own trails and the multi-region trails of other regions (shadow trails)."""
        return [t for t in self.account_trails(ctx.account_id) if t.home_region == ctx.region or t.multi_region]

    def all_trails(self) -> Iterator[Trail]:
        for _, _, trail in self.trails.all():
            yield trail

    def trail(self, ctx: RequestContext, name: str, *, change: bool = False, arn_in_error: bool = True) -> Trail:
        """The trail a Name (a name or an ARN) means from this region. A change must be made in
        the trail's home region; a read may also see a multi-region trail of another region."""
        if name.startswith("arn:"):
            try:
                arn = Arn.parse(name)
            except ValueError:
                raise errors.arn_invalid(f"Invalid trail ARN: {name}") from None
            if arn.service != "cloudtrail" or not arn.resource.startswith("trail/"):
                raise errors.arn_invalid(f"Invalid trail ARN: {name}")
            if arn.account != ctx.account_id:
                raise errors.wrong_account(ctx.account_id)
            found = self.trails.get((ctx.account_id, arn.region), arn.resource.split("/", 1)[1])
            if found is None or found.arn != name or (found.home_region != ctx.region and not found.multi_region):
                raise errors.trail_not_found(name, ctx.account_id)
            if change and found.home_region != ctx.region:
                raise errors.home_region(found.arn, found.home_region)
            return found
        check_trail_name(name)
        found = self.trails.get(ctx.scope, name)
        if found is None and not change:
            found = next((t for t in self.account_trails(ctx.account_id) if t.name == name and t.multi_region), None)
        if found is None:
            shown = ctx.arn("cloudtrail", f"trail/{name}") if arn_in_error else name
            raise errors.trail_not_found(shown, ctx.account_id)
        return found

    # -- event data stores ---------------------------------------------------------------------
    def save_event_data_store(self, eds: EventDataStore) -> None:
        self.event_data_stores.put((eds.account, eds.region), eds.store_id, eds)

    def event_data_store(self, ctx: RequestContext, identifier: str, *, active: bool = False,
                         owner: str | None = None) -> EventDataStore:
        """The event data store an ARN or ID names in the caller's account (or ``owner``'s, whose
        resource policy let the caller in) and region; with ``active``, one not pending deletion."""
        account = owner or ctx.account_id
        store_id = identifier
        if identifier.startswith("arn:"):
            parts = identifier.split(":", 5)
            if len(parts) != 6 or parts[2] != "cloudtrail" or not parts[5].startswith("eventdatastore/"):
                raise errors.eds_arn_invalid(identifier)
            if parts[4] != account or parts[3] != ctx.region:
                raise errors.eds_not_found(identifier)
            store_id = parts[5].split("/", 1)[1]
        elif "/" in identifier or ":" in identifier:
            raise errors.eds_arn_invalid(identifier)
        found = self.event_data_stores.get((account, ctx.region), store_id)
        if found is None:
            raise errors.eds_not_found(identifier)
        if active and found.status == "PENDING_DELETION":
            raise errors.eds_inactive(found.arn)
        return found

    def stores_of(self, ctx: RequestContext) -> list[EventDataStore]:
        return self.event_data_stores.values(ctx.scope)

    def all_event_data_stores(self) -> Iterator[EventDataStore]:
        for _, _, eds in self.event_data_stores.all():
            yield eds

    # -- channels ------------------------------------------------------------------------------
    def save_channel(self, ctx: RequestContext, channel: Channel) -> None:
        self.channels.put(ctx.scope, channel.channel_id, channel)

    def channel(self, ctx: RequestContext, identifier: str) -> Channel:
        return self.channel_in(ctx.scope, identifier, ctx.account_id, ctx.region)

    def channel_in(self, scope: Scope, identifier: str, account: str, region: str) -> Channel:
        channel_id = identifier
        if identifier.startswith("arn:"):
            parts = identifier.split(":", 5)
            if len(parts) != 6 or parts[2] != "cloudtrail" or not parts[5].startswith("channel/"):
                raise errors.channel_arn_invalid(identifier)
            if parts[4] != account or parts[3] != region:
                raise errors.channel_not_found(identifier)
            channel_id = parts[5].split("/", 1)[1]
        elif "/" in identifier or ":" in identifier:
            raise errors.channel_arn_invalid(identifier)
        found = self.channels.get(scope, channel_id)
        if found is None:
            raise errors.channel_not_found(identifier)
        return found

    # -- dashboards ----------------------------------------------------------------------------
    def dashboard(self, ctx: RequestContext, identifier: str) -> Dashboard:
        """A dashboard by ARN or name."""
        name = identifier
        if identifier.startswith("arn:"):
            parts = identifier.split(":", 5)
            if len(parts) != 6 or parts[2] != "cloudtrail" or not parts[5].startswith("dashboard/") \
                    or parts[4] != ctx.account_id or parts[3] != ctx.region:
                raise errors.resource_not_found(identifier)
            name = parts[5].split("/", 1)[1]
        found = self.dashboards.get(ctx.scope, name)
        if found is None:
            raise errors.resource_not_found(identifier)
        return found
