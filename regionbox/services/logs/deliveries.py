"""Log deliveries of AWS services (vended logs V2): delivery sources, delivery destinations
(with their cross-account policies), deliveries pairing one of each, and the configuration
templates that say what each pair takes.

They are state with AWS's validation: a source's log type must be one its service delivers
(delivery_catalog.py), a destination of type CWL names a log group that exists, a delivery's
record fields, delimiter and S3 suffix path must be ones its template allows, one delivery per
source and destination, no deletion of a source or destination a delivery still uses, and a
delivery to another account's destination only where that destination's policy allows the
caller ``logs:CreateDelivery``. The services that would send these logs are not served by
regionbox (CloudFront, WorkMail, Bedrock ...), so no events flow through a delivery.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Callable

from regionbox.core import arns
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.logs import delivery_catalog
from regionbox.services.logs.listing import page_of
from regionbox.services.logs.models import Delivery, DeliveryDestination, DeliverySource
from regionbox.services.logs.sharing import authorize_sharing
from regionbox.services.logs.state import LogsState

_TYPES = {"logs": "CWL", "s3": "S3", "firehose": "FH"}
_SUFFIX_VARIABLE = re.compile(r"\{([^}]*)\}")


def _validation(message: str) -> ServiceError:
    # The delivery API is newer than the rest of Logs and answers bad input as ValidationException.
    return ServiceError("ValidationException", message)


def _missing(what: str, name: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"{what} {name} does not exist.")


def _conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message)


class DeliverySources:
    def __init__(self, state: LogsState, paginator: Paginator) -> None:
        self.state = state
        self.sources = state.delivery_sources
        self.paginator = paginator

    def put_delivery_source(self, ctx: RequestContext, params: dict) -> dict:
        name, resource, log_type = params["name"], params["resourceArn"], params["logType"]
        try:
            parsed = arns.Arn.parse(resource)
        except ValueError:
            raise _validation(f"Invalid resource ARN: {resource}") from None
        if log_type not in delivery_catalog.log_types_of(parsed.service):
            raise _validation(f"Log type {log_type} is not supported for service {parsed.service}.")
        if delivery_catalog.source_for(parsed.service, delivery_catalog.resource_type_of(parsed.resource),
                                       log_type) is None:
            raise _validation(f"Log type {log_type} is not supported for resource {resource}.")
        if log_type == "INSIGHTS_QUERY_LOGS" and parsed.resource != "log-group:*":
            raise _validation("The INSIGHTS_QUERY_LOGS log type takes only the wildcard log group ARN "
                              f"arn:{parsed.partition}:logs:{ctx.region}:{ctx.account_id}:log-group:*.")
        if parsed.account not in ("", ctx.account_id):
            raise ServiceError("AccessDeniedException", f"The resource {resource} belongs to another account.")
        existing = self.sources.get(ctx.scope, name)
        if existing is not None and (existing.resource_arns != [resource] or existing.log_type != log_type):
            raise _conflict(f"Delivery source {name} already exists with another resource or log type.")
        source = existing or DeliverySource(name=name, arn=ctx.arn("logs", f"delivery-source:{name}"),
                                            resource_arns=[resource], service=parsed.service, log_type=log_type,
                                            tags=dict(params.get("tags") or {}))
        source.configuration = dict(params.get("deliverySourceConfiguration") or source.configuration)
        self.sources.put(ctx.scope, name, source)
        return {"deliverySource": self.shape(source)}

    def get_delivery_source(self, ctx: RequestContext, params: dict) -> dict:
        return {"deliverySource": self.shape(self.get(ctx, params["name"]))}

    def get(self, ctx: RequestContext, name: str) -> DeliverySource:
        found = self.sources.get(ctx.scope, name)
        if found is None:
            raise _missing("Delivery source", name)
        return found

    def describe_delivery_sources(self, ctx: RequestContext, params: dict) -> dict:
        found = sorted(self.sources.values(ctx.scope), key=lambda s: s.name)
        if params.get("resourceArns"):
            found = [s for s in found if set(s.resource_arns) & set(params["resourceArns"])]
        return page_of(self.paginator, found, params, "deliverySources", self.shape)

    def delete_delivery_source(self, ctx: RequestContext, params: dict) -> dict:
        source = self.get(ctx, params["name"])
        if any(d.source_name == source.name for d in self.state.deliveries.values(ctx.scope)):
            raise _conflict(f"Delivery source {source.name} is used by a delivery; delete the delivery first.")
        self.sources.delete(ctx.scope, source.name)
        return {}

    @staticmethod
    def shape(source: DeliverySource) -> dict:
        shape: dict[str, Any] = {"name": source.name, "arn": source.arn, "resourceArns": source.resource_arns,
                                 "service": source.service, "logType": source.log_type}
        if source.tags:
            shape["tags"] = source.tags
        if source.configuration:
            shape["deliverySourceConfiguration"] = source.configuration
        return shape


class DeliveryDestinations:
    def __init__(self, state: LogsState, iam: Callable[[], Any], paginator: Paginator) -> None:
        self.state = state
        self.destinations = state.delivery_destinations
        self.iam = iam
        self.paginator = paginator

    def put_delivery_destination(self, ctx: RequestContext, params: dict) -> dict:
        name = params["name"]
        configured = (params.get("deliveryDestinationConfiguration") or {}).get("destinationResourceArn")
        kind = params.get("deliveryDestinationType")
        if configured:
            try:
                service = arns.Arn.parse(configured).service
            except ValueError:
                raise _validation(f"Invalid destination resource ARN: {configured}") from None
            inferred = _TYPES.get(service)
            if inferred is None or (kind and kind != inferred):
                raise _validation(f"The destination resource {configured} is not a log group, an S3 bucket or a "
                                  "Firehose stream" + (f" of type {kind}." if kind else "."))
            kind = inferred
            if kind == "CWL" and self.state.group_by_arn(ctx.scope, configured) is None:
                raise _missing("Log group", configured)
        elif kind != "XRAY":
            raise _validation("deliveryDestinationConfiguration is required for CloudWatch Logs, Amazon S3 and "
                              "Firehose delivery destinations.")
        if params.get("roleArn") and kind != "XRAY":
            raise _validation("roleArn is supported only for X-Ray trace delivery destinations.")
        output = params.get("outputFormat")
        if output is not None and output not in delivery_catalog.FORMATS[kind]:
            raise _validation(f"Output format {output} is not supported for {kind} delivery destinations.")
        existing = self.destinations.get(ctx.scope, name)
        if existing is not None and (existing.resource_arn != configured or existing.destination_type != kind):
            raise _conflict(f"Delivery destination {name} already exists with another destination resource.")
        destination = existing or DeliveryDestination(
            name=name, arn=ctx.arn("logs", f"delivery-destination:{name}"), destination_type=kind,
            resource_arn=configured, tags=dict(params.get("tags") or {}))
        destination.output_format = output or destination.output_format or "json"
        destination.role_arn = params.get("roleArn") or destination.role_arn
        self.destinations.put(ctx.scope, name, destination)
        return {"deliveryDestination": self.shape(destination)}

    def get(self, ctx: RequestContext, name: str) -> DeliveryDestination:
        found = self.destinations.get(ctx.scope, name)
        if found is None:
            raise _missing("Delivery destination", name)
        return found

    def get_delivery_destination(self, ctx: RequestContext, params: dict) -> dict:
        return {"deliveryDestination": self.shape(self.get(ctx, params["name"]))}

    def describe_delivery_destinations(self, ctx: RequestContext, params: dict) -> dict:
        found = sorted(self.destinations.values(ctx.scope), key=lambda d: d.name)
        if params.get("names"):
            found = [d for d in found if d.name in params["names"]]
        return page_of(self.paginator, found, params, "deliveryDestinations", self.shape)

    def delete_delivery_destination(self, ctx: RequestContext, params: dict) -> dict:
        destination = self.get(ctx, params["name"])
        if any(d.destination_arn == destination.arn for _, _, d in self.state.deliveries.all()):
            raise _conflict(f"Delivery destination {destination.name} is used by a delivery; delete the delivery first.")
        self.destinations.delete(ctx.scope, destination.name)
        return {}

    def put_delivery_destination_policy(self, ctx: RequestContext, params: dict) -> dict:
        destination = self.get(ctx, params["deliveryDestinationName"])
        document = params["deliveryDestinationPolicy"]
        try:
            self.iam().check_resource_policy(document)
        except ServiceError as error:
            raise _validation(f"Invalid delivery destination policy: {error.message}") from None
        destination.policy = document
        self.destinations.put(ctx.scope, destination.name, destination)
        return {"policy": {"deliveryDestinationPolicy": document}}

    def get_delivery_destination_policy(self, ctx: RequestContext, params: dict) -> dict:
        destination = self.get(ctx, params["deliveryDestinationName"])
        return {"policy": {"deliveryDestinationPolicy": destination.policy} if destination.policy else {}}

    def delete_delivery_destination_policy(self, ctx: RequestContext, params: dict) -> dict:
        destination = self.get(ctx, params["deliveryDestinationName"])
        if destination.policy is None:
            raise _missing("Policy of delivery destination", destination.name)
        destination.policy = None
        self.destinations.put(ctx.scope, destination.name, destination)
        return {}

    def authorized(self, ctx: RequestContext, arn: str) -> DeliveryDestination:
        """The destination a delivery of the caller's may use: its own, or another account's
        whose policy allows the caller logs:CreateDelivery on it."""
        try:
            parsed = arns.Arn.parse(arn)
        except ValueError:
            raise _validation(f"Invalid delivery destination ARN: {arn}") from None
        found = self.destinations.get((parsed.account, parsed.region), parsed.resource.removeprefix("delivery-destination:"))
        if found is None or found.arn != arn:
            raise _missing("Delivery destination", arn)
        authorize_sharing(self.iam(), ctx, "logs:CreateDelivery", arn, found.policy)
        return found

    @staticmethod
    def shape(destination: DeliveryDestination) -> dict:
        shape: dict[str, Any] = {"name": destination.name, "arn": destination.arn,
                                 "deliveryDestinationType": destination.destination_type,
                                 "outputFormat": destination.output_format}
        if destination.resource_arn:
            shape["deliveryDestinationConfiguration"] = {"destinationResourceArn": destination.resource_arn}
        if destination.role_arn:
            shape["roleArn"] = destination.role_arn
        if destination.tags:
            shape["tags"] = destination.tags
        return shape


class Deliveries:
    def __init__(self, state: LogsState, sources: DeliverySources, destinations: DeliveryDestinations,
                 paginator: Paginator) -> None:
        self.state = state
        self.deliveries = state.deliveries
        self.sources = sources
        self.destinations = destinations
        self.paginator = paginator

    def create_delivery(self, ctx: RequestContext, params: dict) -> dict:
        source = self.sources.get(ctx, params["deliverySourceName"])
        destination = self.destinations.authorized(ctx, params["deliveryDestinationArn"])
        if any(d.source_name == source.name and d.destination_arn == destination.arn
               for d in self.deliveries.values(ctx.scope)):
            raise _conflict(f"A delivery from {source.name} to {destination.arn} already exists.")
        delivery = Delivery(id=secrets.token_hex(8), arn="", source_name=source.name, destination_arn=destination.arn,
                            destination_type=destination.destination_type, tags=dict(params.get("tags") or {}))
        delivery.arn = ctx.arn("logs", f"delivery:{delivery.id}")
        self._configure(source, delivery, params)
        self.deliveries.put(ctx.scope, delivery.id, delivery)
        return {"delivery": self.shape(delivery)}

    def _configure(self, source: DeliverySource, delivery: Delivery, params: dict) -> None:
        """Record fields, delimiter and S3 configuration, as the source's template allows them."""
        parsed = arns.Arn.parse(source.resource_arns[0])
        template = delivery_catalog.source_for(source.service, delivery_catalog.resource_type_of(parsed.resource),
                                               source.log_type)
        allowed = template.fields if template else ()
        if params.get("recordFields") is not None:
            unknown = [f for f in params["recordFields"] if f not in allowed]
            if unknown:
                raise _validation(f"Record fields {', '.join(unknown)} are not supported for log type {source.log_type}.")
            delivery.record_fields = list(params["recordFields"])
        elif not delivery.record_fields:
            delivery.record_fields = list(allowed)
        if params.get("fieldDelimiter") is not None:
            if params["fieldDelimiter"] not in delivery_catalog.DELIMITERS or not allowed:
                raise _validation(f"Field delimiter {params['fieldDelimiter']!r} is not supported for log type "
                                  f"{source.log_type}.")
            delivery.field_delimiter = params["fieldDelimiter"]
        s3 = params.get("s3DeliveryConfiguration")
        if s3 is not None:
            if delivery.destination_type != "S3":
                raise _validation("s3DeliveryConfiguration is valid only for deliveries to an S3 bucket.")
            suffix_fields = set(template.suffix_fields if template else delivery_catalog.SUFFIX_FIELDS)
            for variable in _SUFFIX_VARIABLE.findall(s3.get("suffixPath", "")):
                if variable not in suffix_fields | {"account-id", "region"}:
                    raise _validation(f"Suffix path variable {{{variable}}} is not supported for log type "
                                      f"{source.log_type}.")
            delivery.s3_configuration = {**(delivery.s3_configuration or {}), **s3}

    def get(self, ctx: RequestContext, delivery_id: str) -> Delivery:
        found = self.deliveries.get(ctx.scope, delivery_id)
        if found is None:
            raise _missing("Delivery", delivery_id)
        return found

    def get_delivery(self, ctx: RequestContext, params: dict) -> dict:
        return {"delivery": self.shape(self.get(ctx, params["id"]))}

    def describe_deliveries(self, ctx: RequestContext, params: dict) -> dict:
        found = sorted(self.deliveries.values(ctx.scope), key=lambda d: (d.source_name, d.id))
        if params.get("deliverySourceNames"):
            found = [d for d in found if d.source_name in params["deliverySourceNames"]]
        return page_of(self.paginator, found, params, "deliveries", self.shape)

    def delete_delivery(self, ctx: RequestContext, params: dict) -> dict:
        self.deliveries.delete(ctx.scope, self.get(ctx, params["id"]).id)
        return {}

    def update_delivery_configuration(self, ctx: RequestContext, params: dict) -> dict:
        delivery = self.get(ctx, params["id"])
        self._configure(self.sources.get(ctx, delivery.source_name), delivery, params)
        self.deliveries.put(ctx.scope, delivery.id, delivery)
        return {}

    def describe_configuration_templates(self, ctx: RequestContext, params: dict) -> dict:
        found = delivery_catalog.templates()
        for member, key in (("logTypes", "logType"), ("resourceTypes", "resourceType"),
                            ("deliveryDestinationTypes", "deliveryDestinationType")):
            if params.get(member):
                found = [t for t in found if t[key] in params[member]]
        if params.get("service"):
            found = [t for t in found if t["service"] == params["service"]]
        return page_of(self.paginator, found, params, "configurationTemplates")

    @staticmethod
    def shape(delivery: Delivery) -> dict:
        shape: dict[str, Any] = {"id": delivery.id, "arn": delivery.arn, "deliverySourceName": delivery.source_name,
                                 "deliveryDestinationArn": delivery.destination_arn,
                                 "deliveryDestinationType": delivery.destination_type,
                                 "recordFields": delivery.record_fields}
        if delivery.field_delimiter is not None:
            shape["fieldDelimiter"] = delivery.field_delimiter
        if delivery.s3_configuration:
            shape["s3DeliveryConfiguration"] = delivery.s3_configuration
        if delivery.tags:
            shape["tags"] = delivery.tags
        return shape
