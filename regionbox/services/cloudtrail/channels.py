"""Channels: CreateChannel, GetChannel, ListChannels, UpdateChannel, DeleteChannel, and the events
they take in (``put_audit_events``, served by the CloudTrail Data service's PutAuditEvents).

A channel brings events from outside AWS ("Custom" source: your own applications) into event
data stores that collect ActivityAuditLog events. Each event's ``eventData`` is checked against
CloudTrail Lake's open audit event schema and stored as Lake stores it: the event under
``eventData``, with CloudTrail's own eventID, the channel in ``metadata``. Partner sources need
the partner's integration, which regionbox cannot provide.
"""

from __future__ import annotations

import hashlib
import uuid

import orjson

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.cloudtrail import errors
from regionbox.services.cloudtrail.lake_parser import RunError, Timestamp
from regionbox.services.cloudtrail.models import Channel
from regionbox.services.cloudtrail.paging import LISTING, listed
from regionbox.services.cloudtrail.state import CloudTrailState
from regionbox.services.cloudtrail.tags import check_tags

MAX_CHANNELS = 25  # per account and region
SOURCE_SELECTORS = [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["ActivityAuditLog"]}]}]
# The open audit event schema's required members.
REQUIRED = ("version", "userIdentity", "eventSource", "eventName", "eventTime", "UID")
RESOURCE = "AWS::CloudTrail::Channel"


def _data_error(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, status=400)


class Channels:
    def __init__(self, state: CloudTrailState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _destinations(self, ctx: RequestContext, destinations: list[dict]) -> list[dict]:
        for destination in destinations:
            if destination["Type"] != "EVENT_DATA_STORE":
                raise errors.invalid_parameter("Channels you create deliver to EVENT_DATA_STORE destinations; "
                                               "AWS_SERVICE destinations belong to service-linked channels.")
            eds = self.state.event_data_store(ctx, destination["Location"], active=True)
            if not any("ActivityAuditLog" in (f.get("Equals") or []) for s in eds.advanced_event_selectors
                       for f in s.get("FieldSelectors") or [] if f.get("Field") == "eventCategory"):
                raise errors.eds_category(f"The event data store {eds.arn} does not collect ActivityAuditLog events, "
                                          "which channels deliver.")
        return [{"Type": d["Type"], "Location": d["Location"]} for d in destinations]

    def create_channel(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        if any(c.name == name for c in self.state.channels.values(ctx.scope)):
            raise errors.error("ChannelAlreadyExistsException", f"Channel {name} already exists.")
        if len(self.state.channels.values(ctx.scope)) >= MAX_CHANNELS:
            raise errors.error("ChannelMaxLimitExceededException",
                               f"Your account has reached the limit of {MAX_CHANNELS} channels in {ctx.region}.")
        if params["Source"] != "Custom":
            raise errors.error("InvalidSourceException",
                               f"Source {params['Source']} is not valid: regionbox offers the Custom source only "
                               "(partner sources need the partner's integration).")
        destinations = self._destinations(ctx, params["Destinations"])
        channel_id = str(uuid.uuid4())
        channel = Channel(channel_id=channel_id, arn=ctx.arn("cloudtrail", f"channel/{channel_id}"), name=name,
                          source="Custom", destinations=destinations, tags=check_tags([], params.get("Tags") or []),
                          created=clock.epoch())
        self.state.save_channel(ctx, channel)
        ctx.touched(RESOURCE, channel.arn)
        return {"ChannelArn": channel.arn, "Name": name, "Source": channel.source, "Destinations": destinations,
                "Tags": channel.tags}

    def get_channel(self, ctx: RequestContext, params: dict) -> dict:
        channel = self.state.channel(ctx, params["Channel"])
        status: dict = {}
        for member, value in (("LatestIngestionSuccessTime", channel.latest_success_time),
                              ("LatestIngestionAttemptTime", channel.latest_attempt_time)):
            if value is not None:
                status[member] = clock.from_epoch(value)
        for member, value in (("LatestIngestionSuccessEventID", channel.latest_success_event_id),
                              ("LatestIngestionAttemptEventID", channel.latest_attempt_event_id),
                              ("LatestIngestionErrorCode", channel.latest_error_code)):
            if value:
                status[member] = value
        return {"ChannelArn": channel.arn, "Name": channel.name, "Source": channel.source,
                "SourceConfig": {"ApplyToAllRegions": False, "AdvancedEventSelectors": SOURCE_SELECTORS},
                "Destinations": channel.destinations, "IngestionStatus": status}

    def list_channels(self, ctx: RequestContext, params: dict) -> dict:
        channels = sorted(self.state.channels.values(ctx.scope), key=lambda c: c.created)
        return listed(self.paginator, channels, params, LISTING, ["ListChannels"], "Channels",
                      lambda c: {"ChannelArn": c.arn, "Name": c.name})

    def update_channel(self, ctx: RequestContext, params: dict) -> dict:
        channel = self.state.channel(ctx, params["Channel"])
        name = params.get("Name")
        if name and name != channel.name and any(c.name == name for c in self.state.channels.values(ctx.scope)):
            raise errors.error("ChannelAlreadyExistsException", f"Channel {name} already exists.")
        if params.get("Destinations") is not None:
            channel.destinations = self._destinations(ctx, params["Destinations"])
        channel.name = name or channel.name
        self.state.save_channel(ctx, channel)
        ctx.touched(RESOURCE, channel.arn)
        return {"ChannelArn": channel.arn, "Name": channel.name, "Source": channel.source,
                "Destinations": channel.destinations}

    def delete_channel(self, ctx: RequestContext, params: dict) -> dict:
        channel = self.state.channel(ctx, params["Channel"])
        self.state.channels.delete(ctx.scope, channel.channel_id)
        ctx.touched(RESOURCE, channel.arn)
        return {}

    # -- PutAuditEvents (the CloudTrail Data service) ----------------------------------------------
    def channel_policy(self, arn: str) -> str | None:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "cloudtrail" or not parts[5].startswith("channel/"):
            return None
        found = self.state.channels.get((parts[4], parts[3]), parts[5].split("/", 1)[1])
        return found.resource_policy if found is not None else None

    def put_audit_events(self, ctx: RequestContext, channel_arn: str, events: list[dict],
                         external_id: str | None = None) -> dict:
        parts = channel_arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "cloudtrail" or not parts[5].startswith("channel/"):
            raise _data_error("InvalidChannelARN", f"The specified channel ARN {channel_arn} is not a valid channel ARN.")
        owner, region = parts[4], parts[3]
        channel = self.state.channels.get((owner, region), parts[5].split("/", 1)[1])
        if channel is None:
            raise _data_error("ChannelNotFound", f"The channel {channel_arn} could not be found.")
        if owner != ctx.account_id and not channel.resource_policy:
            # With a resource policy, IAM (the gateway) decided whether it lets this account in.
            raise _data_error("ChannelInsufficientPermission",
                              "The caller's account ID must be the same as the channel owner's account ID.")
        ids = [e["id"] for e in events]
        if len(set(ids)) != len(ids):
            raise _data_error("DuplicatedAuditEventId", "Two or more entries in the request have the same event ID.")
        now = clock.epoch()
        successful, failed, rows = [], [], []
        stores = [d["Location"].rsplit("/", 1)[-1] for d in channel.destinations]
        for entry in events:
            problem = self._problem(entry)
            if problem is not None:
                failed.append({"id": entry["id"], "errorCode": problem[0], "errorMessage": problem[1]})
                continue
            data = orjson.loads(entry["eventData"])
            event_id = str(uuid.uuid4())
            when = Timestamp.parse(data["eventTime"]).epoch
            record = orjson.dumps({"eventVersion": "1.0", "eventCategory": "ActivityAuditLog", "eventType": "ActivityLog",
                                   "eventID": event_id, "eventTime": data["eventTime"], "awsRegion": region,
                                   "recipientAccountId": data.get("recipientAccountId") or owner,
                                   "eventData": data, "metadata": {"ingestionTime": clock.iso(now), "channelARN": channel.arn}})
            rows.extend((store, when, record) for store in stores)
            successful.append({"id": entry["id"], "eventID": event_id})
        with self.state.store.transaction():
            self.state.lake.insert(rows)
            channel.latest_attempt_time = now
            if successful:
                channel.latest_success_time, channel.latest_success_event_id = now, successful[-1]["eventID"]
                channel.latest_attempt_event_id = successful[-1]["eventID"]
            channel.latest_error_code = failed[-1]["errorCode"] if failed else None
            self.state.channels.put((owner, region), channel.channel_id, channel)
        return {"successful": successful, "failed": failed}

    @staticmethod
    def _problem(entry: dict) -> tuple[str, str] | None:
        """Why an event cannot be taken: (errorCode, errorMessage), or None."""
        text = entry.get("eventData") or ""
        checksum = entry.get("eventDataChecksum")
        if checksum and checksum != hashlib.sha256(text.encode()).hexdigest():
            return "InvalidChecksum", "The eventDataChecksum does not match the SHA-256 of eventData."
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError:
            return "InvalidEventData", "eventData is not valid JSON."
        if not isinstance(data, dict):
            return "InvalidEventData", "eventData must be a JSON object."
        missing = [name for name in REQUIRED if name not in data]
        if missing:
            return "InvalidEventData", f"eventData is missing the required field {missing[0]}."
        identity = data["userIdentity"]
        if not isinstance(identity, dict) or "type" not in identity or "principalId" not in identity:
            return "InvalidEventData", "userIdentity must have type and principalId."
        try:
            Timestamp.parse(str(data["eventTime"]))
        except RunError:
            return "InvalidEventData", f"eventTime {data['eventTime']} is not a valid timestamp."
        return None
