"""Event selectors (PutEventSelectors/GetEventSelectors) and Insights selectors
(PutInsightSelectors/GetInsightSelectors) of trails and event data stores, with AWS's limits:
five basic selectors per trail, 250 DataResources values across them, 500 values across a
trail's or store's advanced selectors; basic selectors name S3 objects, DynamoDB tables and
Lambda functions only.

Insights selectors are stored and validated as AWS does, but no Insights events are generated:
regionbox has no baseline of an account's normal API activity to detect anomalies against, so
LookupEvents' insight category and ListInsightsData find nothing (as for an account whose
Insights have not fired yet).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from regionbox.core.context import RequestContext
from regionbox.services.cloudtrail import errors

if TYPE_CHECKING:
    from regionbox.services.cloudtrail.state import CloudTrailState

BASIC_TYPES = ("AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table")
EXCLUDABLE_SOURCES = ("kms.amazonaws.com", "rdsdata.amazonaws.com")
FIELDS = ("eventCategory", "eventSource", "eventName", "eventType", "readOnly", "resources.type", "resources.ARN",
          "userIdentity.arn", "errorCode", "sessionCredentialFromConsole", "vpcEndpointId")
OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")
TRAIL_CATEGORIES = ("Management", "Data", "NetworkActivity")
STORE_CATEGORIES = (*TRAIL_CATEGORIES, "ConfigurationItem", "ActivityAuditLog", "Insight")
MAX_BASIC = 5
MAX_DATA_VALUES = 250
MAX_ADVANCED_VALUES = 500
_RESOURCE_TYPE = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")
_S3_VALUE = re.compile(r"^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.*$")
_TABLE_VALUE = re.compile(r"^arn:[a-z-]+:dynamodb:[a-z0-9-]+:\d{12}:table/[A-Za-z0-9_.-]{3,255}$")
_FUNCTION_VALUE = re.compile(r"^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$")


def selects_data_events(basic: list[dict] | None, advanced: list[dict] | None) -> bool:
    """Whether these selectors may take any data event (so data events must be recorded)."""
    if advanced is not None:
        return any(value in ("Data", "NetworkActivity")
                   for selector in advanced for field in selector.get("FieldSelectors") or []
                   if field.get("Field") == "eventCategory" for value in field.get("Equals") or [])
    return any(selector.get("DataResources") for selector in basic or [])


def _basic_value_valid(rtype: str, value: str) -> bool:
    if rtype == "AWS::S3::Object":
        return bool(re.match(r"^arn:[a-z-]+:s3(:::)?$", value) or _S3_VALUE.match(value))
    if rtype == "AWS::DynamoDB::Table":
        return bool(re.match(r"^arn:[a-z-]+:dynamodb$", value) or _TABLE_VALUE.match(value))
    return bool(re.match(r"^arn:[a-z-]+:lambda$", value) or _FUNCTION_VALUE.match(value))


def check_basic(selectors: list[dict]) -> list[dict]:
    """Basic selectors as AWS stores them (defaults filled in), or InvalidEventSelectorsException."""
    if not 1 <= len(selectors) <= MAX_BASIC:
        raise errors.invalid_selectors(f"Specify a valid number of EventSelectors (1 to {MAX_BASIC}) for your trail.")
    if sum(len(d.get("Values") or []) for s in selectors for d in s.get("DataResources") or []) > MAX_DATA_VALUES:
        raise errors.invalid_selectors(
            f"Specify a valid number of DataResources.Values (0 to {MAX_DATA_VALUES}) for all your selectors")
    stored = []
    for selector in selectors:
        for data in selector.get("DataResources") or []:
            rtype = data.get("Type")
            if rtype not in BASIC_TYPES:
                raise errors.invalid_selectors(f"Value {rtype} for DataResources.Type is invalid.")
            for value in data.get("Values") or []:
                if not _basic_value_valid(rtype, value):
                    raise errors.invalid_selectors(f"Value {value} for DataResources.Values is invalid.")
        for source in selector.get("ExcludeManagementEventSources") or []:
            if source not in EXCLUDABLE_SOURCES:
                raise errors.invalid_selectors(f"Value {source} for ExcludeManagementEventSources is invalid.")
        stored.append({"ReadWriteType": selector.get("ReadWriteType") or "All",
                       "IncludeManagementEvents": selector.get("IncludeManagementEvents", True),
                       "DataResources": [{"Type": d.get("Type"), "Values": list(d.get("Values") or [])}
                                         for d in selector.get("DataResources") or []],
                       "ExcludeManagementEventSources": list(selector.get("ExcludeManagementEventSources") or [])})
    return stored


def check_advanced(selectors: list[dict], categories: tuple[str, ...] = TRAIL_CATEGORIES) -> list[dict]:
    """Advanced selectors as AWS stores them, or InvalidEventSelectorsException."""
    total = sum(len(f.get(op) or []) for s in selectors for f in s.get("FieldSelectors") or [] for op in OPERATORS)
    if total > MAX_ADVANCED_VALUES:
        raise errors.invalid_selectors(f"The advanced event selectors have {total} values across their conditions; "
                                       f"the limit is {MAX_ADVANCED_VALUES}.")
    stored = []
    for selector in selectors:
        fields = selector.get("FieldSelectors") or []
        by_name: dict[str, dict] = {}
        for field in fields:
            name = field.get("Field")
            if name not in FIELDS:
                raise errors.invalid_selectors(f"Invalid field name {name} in the advanced event selectors.")
            if name in by_name:
                raise errors.invalid_selectors(f"The field {name} can appear only once in an advanced event selector.")
            if not any(field.get(op) for op in OPERATORS):
                raise errors.invalid_selectors(f"Specify at least one operator for the field {name}.")
            by_name[name] = field
        category = by_name.get("eventCategory")
        if category is None or not category.get("Equals") or any(category.get(op) for op in OPERATORS if op != "Equals"):
            raise errors.invalid_selectors("Each advanced event selector must have an eventCategory field with the "
                                           "Equals operator.")
        for value in category["Equals"]:
            if value not in categories:
                raise errors.invalid_selectors(f"Invalid value {value} for the eventCategory field. Valid values: "
                                               f"{', '.join(categories)}.")
        if "readOnly" in by_name:
            for op in OPERATORS:
                for value in by_name["readOnly"].get(op) or []:
                    if value not in ("true", "false") or op not in ("Equals", "NotEquals"):
                        raise errors.invalid_selectors("The readOnly field accepts only Equals or NotEquals with "
                                                       "true or false.")
        if "Data" in category["Equals"]:
            rtype = by_name.get("resources.type")
            if rtype is None or len(rtype.get("Equals") or []) != 1:
                raise errors.invalid_selectors("A data event selector must have a resources.type field with the Equals "
                                               "operator and one value.")
            if not _RESOURCE_TYPE.match(rtype["Equals"][0]):
                raise errors.invalid_selectors(f"Invalid value {rtype['Equals'][0]} for the resources.type field.")
        elif category["Equals"] == ["Management"]:
            extra = sorted(set(by_name) - {"eventCategory", "readOnly", "eventSource"})
            if extra:
                raise errors.invalid_selectors(f"The field {extra[0]} is not supported for management events.")
        entry: dict = {"FieldSelectors": [{k: v for k, v in f.items() if v not in (None, [])} for f in fields]}
        if selector.get("Name") is not None:
            entry = {"Name": selector["Name"], **entry}
        stored.append(entry)
    return stored


class EventSelectors:
    """Put/GetEventSelectors on trails; Put/GetInsightSelectors on trails and event data stores."""

    def __init__(self, state: "CloudTrailState") -> None:
        self.state = state

    def put_event_selectors(self, ctx: RequestContext, params: dict) -> dict:
        trail = self.state.trail(ctx, params["TrailName"], change=True)
        basic, advanced = params.get("EventSelectors"), params.get("AdvancedEventSelectors")
        if basic is not None and advanced is not None:
            raise errors.invalid_selectors("You can use either EventSelectors or AdvancedEventSelectors in a "
                                           "PutEventSelectors request, but not both.")
        if basic is None and advanced is None:
            raise errors.invalid_selectors("Specify EventSelectors or AdvancedEventSelectors.")
        if advanced is not None:
            # Advanced selectors replace basic ones, and the other way round.
            trail.advanced_event_selectors, trail.event_selectors = check_advanced(advanced), None
        else:
            trail.event_selectors, trail.advanced_event_selectors = check_basic(basic), None
        self.state.save_trail(trail)
        self.state.refresh_data_accounts()
        ctx.touched("AWS::CloudTrail::Trail", trail.arn)
        return {"TrailARN": trail.arn, **self._selectors(trail)}

    def get_event_selectors(self, ctx: RequestContext, params: dict) -> dict:
        trail = self.state.trail(ctx, params["TrailName"])
        return {"TrailARN": trail.arn, **self._selectors(trail)}

    @staticmethod
    def _selectors(trail) -> dict:
        if trail.advanced_event_selectors is not None:
            return {"AdvancedEventSelectors": trail.advanced_event_selectors}
        from regionbox.services.cloudtrail.matching import DEFAULT_SELECTORS

        return {"EventSelectors": trail.event_selectors if trail.event_selectors is not None else DEFAULT_SELECTORS}

    # -- Insights ------------------------------------------------------------------------------
    def put_insight_selectors(self, ctx: RequestContext, params: dict) -> dict:
        trail_name, store, destination = params.get("TrailName"), params.get("EventDataStore"), params.get("InsightsDestination")
        if bool(trail_name) == bool(store):
            raise errors.invalid_combination("Specify either TrailName or EventDataStore, but not both.")
        selectors = [{k: v for k, v in s.items() if v is not None} for s in params["InsightSelectors"]]
        types = [s.get("InsightType") for s in selectors]
        if None in types or len(set(types)) != len(types):
            raise errors.error("InvalidInsightSelectorsException",
                               "Each Insights selector must name a distinct InsightType.")
        if trail_name:
            if destination:
                raise errors.invalid_combination("InsightsDestination applies only to event data stores.")
            trail = self.state.trail(ctx, trail_name, change=True)
            self._check_trail_logs_what_insights_need(trail, selectors)
            trail.insight_selectors = selectors
            self.state.save_trail(trail)
            return {"TrailARN": trail.arn, "InsightSelectors": selectors}
        source = self.state.event_data_store(ctx, store, active=True)
        if selectors and not destination:
            raise errors.invalid_parameter("InsightsDestination is required to enable Insights on an event data store.")
        target = self.state.event_data_store(ctx, destination, active=True) if destination else None
        if target is not None and not any("Insight" in (f.get("Equals") or []) for s in target.advanced_event_selectors
                                          for f in s.get("FieldSelectors") or [] if f.get("Field") == "eventCategory"):
            raise errors.eds_category(f"The destination event data store {target.arn} must collect Insights events.")
        if any("Data" in (s.get("EventCategories") or []) for s in selectors):
            raise errors.error("InvalidInsightSelectorsException",
                               "Insights on data events are not supported on event data stores.")
        source.insight_selectors, source.insights_destination = selectors, target.arn if target else None
        self.state.save_event_data_store(source)
        result = {"EventDataStoreArn": source.arn, "InsightSelectors": selectors}
        if target is not None:
            result["InsightsDestination"] = target.arn
        return result

    @staticmethod
    def _check_trail_logs_what_insights_need(trail, selectors: list[dict]) -> None:
        """ApiCallRateInsight needs write management events; ApiErrorRateInsight read or write
        ones; Insights on data events need data events."""
        basic = trail.event_selectors
        if trail.advanced_event_selectors is not None:
            categories = {v for s in trail.advanced_event_selectors for f in s.get("FieldSelectors") or []
                          if f.get("Field") == "eventCategory" for v in f.get("Equals") or []}
            management_writes = "Management" in categories
            data = "Data" in categories
        else:
            chosen = basic if basic is not None else [{"ReadWriteType": "All", "IncludeManagementEvents": True}]
            management_writes = any(s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") != "ReadOnly"
                                    for s in chosen)
            data = any(s.get("DataResources") for s in chosen)
        for selector in selectors:
            categories = selector.get("EventCategories") or ["Management"]
            if "Management" in categories and not management_writes:
                raise errors.error("InvalidInsightSelectorsException",
                                   f"{selector['InsightType']} on management events needs a trail that logs write "
                                   "management events.")
            if "Data" in categories and not data:
                raise errors.error("InvalidInsightSelectorsException",
                                   f"{selector['InsightType']} on data events needs a trail that logs data events.")

    def get_insight_selectors(self, ctx: RequestContext, params: dict) -> dict:
        trail_name, store = params.get("TrailName"), params.get("EventDataStore")
        if bool(trail_name) == bool(store):
            raise errors.invalid_combination("Specify either TrailName or EventDataStore, but not both.")
        if trail_name:
            trail = self.state.trail(ctx, trail_name)
            if not trail.insight_selectors:
                raise errors.error("InsightNotEnabledException", f"Trail {trail.arn} does not have Insights enabled.")
            return {"TrailARN": trail.arn, "InsightSelectors": trail.insight_selectors}
        source = self.state.event_data_store(ctx, store)
        if not source.insight_selectors:
            raise errors.error("InsightNotEnabledException",
                               f"Event data store {source.arn} does not have Insights enabled.")
        result = {"EventDataStoreArn": source.arn, "InsightSelectors": source.insight_selectors}
        if source.insights_destination:
            result["InsightsDestination"] = source.insights_destination
        return result
