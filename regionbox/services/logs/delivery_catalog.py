"""The log types AWS services deliver through CloudWatch Logs' delivery API (vended logs V2), as
DescribeConfigurationTemplates reports them and PutDeliverySource / CreateDelivery check them.

One template per (service, log type, resource type, destination type): the output formats that
destination takes, the record fields (CloudFront's access log fields; the others deliver whole
JSON events), the field delimiters and S3 suffix path variables. The services and log types are
those the Logs API reference lists for PutDeliverySource.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_DESTINATIONS = ("S3", "CWL", "FH")
FORMATS = {"S3": ("json", "plain", "w3c", "parquet"), "CWL": ("json", "plain"), "FH": ("json", "plain", "raw"),
           "XRAY": ("json",)}
DELIMITERS = ("", " ", "\t", "|", ",")
SUFFIX_FIELDS = ("yyyy", "MM", "dd", "HH")

CLOUDFRONT_FIELDS = (
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem", "sc-status",
    "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type", "x-edge-request-id",
    "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher",
    "x-edge-response-result-type", "cs-protocol-version", "fle-status", "fle-encrypted-fields", "c-port",
    "time-to-first-byte", "x-edge-detailed-result-type", "sc-content-type", "sc-content-len", "sc-range-start",
    "sc-range-end", "timestamp(ms)", "origin-fbl", "origin-lbl", "asn", "c-country", "cache-behavior-path-pattern")


@dataclass(frozen=True)
class Source:
    service: str  # as DescribeConfigurationTemplates names it (the ARN's service)
    resource_type: str  # the ARN's resource type
    log_types: tuple[str, ...]
    destinations: tuple[str, ...] = ALL_DESTINATIONS
    fields: tuple[str, ...] = ()  # record fields; empty: the events are delivered whole
    suffix_fields: tuple[str, ...] = SUFFIX_FIELDS


SOURCES = (
    Source("amplify", "apps", ("ACCESS_LOGS", "WAF_LOGS")),
    Source("elasticloadbalancing", "loadbalancer", ("ALB_ACCESS_LOGS", "ALB_CONNECTION_LOGS", "ALB_HEALTH_CHECK_LOGS",
                                                    "NLB_ACCESS_LOGS")),
    Source("bedrock-agentcore", "runtime", ("APPLICATION_LOGS", "USAGE_LOGS", "TRACES"), ALL_DESTINATIONS + ("XRAY",)),
    Source("bedrock-agentcore", "gateway", ("APPLICATION_LOGS", "TRACES"), ALL_DESTINATIONS + ("XRAY",)),
    Source("bedrock-agentcore", "memory", ("APPLICATION_LOGS", "TRACES"), ALL_DESTINATIONS + ("XRAY",)),
    Source("bedrock", "agent", ("APPLICATION_LOGS", "EVENT_LOGS")),
    Source("bedrock", "knowledge-base", ("APPLICATION_LOGS", "TRACES"), ALL_DESTINATIONS + ("XRAY",)),
    Source("cloudfront", "distribution", ("ACCESS_LOGS",), fields=CLOUDFRONT_FIELDS,
           suffix_fields=("DistributionId",) + SUFFIX_FIELDS),
    Source("logs", "log-group", ("INSIGHTS_QUERY_LOGS",)),
    Source("codewhisperer", "profile", ("EVENT_LOGS",)),
    Source("eks", "cluster", ("AUTO_MODE_BLOCK_STORAGE_LOGS", "AUTO_MODE_COMPUTE_LOGS", "AUTO_MODE_IPAM_LOGS",
                              "AUTO_MODE_LOAD_BALANCING_LOGS")),
    Source("mediapackage", "channels", ("EGRESS_ACCESS_LOGS", "INGRESS_ACCESS_LOGS")),
    Source("mediatailor", "playbackConfiguration", ("AD_DECISION_SERVER_LOGS", "MANIFEST_SERVICE_LOGS",
                                                    "TRANSCODE_LOGS")),
    Source("ecs", "cluster", ("ACTION_LOGS",)),
    Source("entityresolution", "matchingworkflow", ("WORKFLOW_LOGS",)),
    Source("events", "event-bus", ("INFO_LOGS", "ERROR_LOGS")),
    Source("sso", "instance", ("ERROR_LOGS",)),
    Source("pcs", "cluster", ("PCS_SCHEDULER_LOGS", "PCS_JOBCOMP_LOGS", "PCS_SCHEDULER_AUDIT_LOGS", "PCS_SCALING_LOGS")),
    Source("qbusiness", "application", ("EVENT_LOGS", "SYNC_JOB_LOGS")),
    Source("wisdom", "ai-agent", ("EVENT_LOGS",)),
    Source("s3", "bucket", ("S3_SERVER_ACCESS_LOGS",)),
    Source("securityhub", "hub", ("SECURITY_FINDING_LOGS",)),
    Source("securityhub", "hubv2", ("SECURITY_FINDING_LOGS",)),
    Source("ses", "mailmanager-ingress-point", ("APPLICATION_LOGS", "TRAFFIC_POLICY_DEBUG_LOGS")),
    Source("shield", "protection", ("FLOW_LOGS",)),
    Source("ec2", "route-server", ("EVENT_LOGS",)),
    Source("workmail", "organization", ("ACCESS_CONTROL_LOGS", "AUTHENTICATION_LOGS",
                                        "WORKMAIL_AVAILABILITY_PROVIDER_LOGS", "WORKMAIL_MAILBOX_ACCESS_LOGS",
                                        "WORKMAIL_PERSONAL_ACCESS_TOKEN_LOGS")),
)


def resource_type_of(resource: str) -> str:
    """The type part of an ARN's resource ("distribution/E1..." -> "distribution")."""
    return resource.replace(":", "/").split("/", 1)[0]


def source_for(service: str, resource_type: str, log_type: str) -> Source | None:
    return next((s for s in SOURCES if s.service == service and s.resource_type == resource_type
                 and log_type in s.log_types), None)


def log_types_of(service: str) -> set[str]:
    return {t for s in SOURCES if s.service == service for t in s.log_types}


def templates() -> list[dict]:
    """Every configuration template, in a stable order."""
    found = []
    for source in SOURCES:
        for log_type in source.log_types:
            for destination in source.destinations:
                template = {
                    "service": source.service, "logType": log_type, "resourceType": source.resource_type,
                    "deliveryDestinationType": destination,
                    "defaultDeliveryConfigValues": {"recordFields": list(source.fields)},
                    "allowedFields": [{"name": f, "mandatory": False} for f in source.fields],
                    "allowedOutputFormats": list(FORMATS[destination]),
                    "allowedActionForAllowVendedLogsDeliveryForResource":
                        f"{source.service}:AllowVendedLogDeliveryForResource",
                }
                if source.fields:
                    template["defaultDeliveryConfigValues"]["fieldDelimiter"] = ""
                    template["allowedFieldDelimiters"] = list(DELIMITERS)
                if destination == "S3":
                    template["defaultDeliveryConfigValues"]["s3DeliveryConfiguration"] = {
                        "suffixPath": source.service + "/{yyyy}/{MM}/{dd}/{HH}",
                        "enableHiveCompatiblePath": False}
                    template["allowedSuffixPathFields"] = list(source.suffix_fields)
                found.append(template)
    return found
