"""Log anomaly detectors: CreateLogAnomalyDetector, GetLogAnomalyDetector,
UpdateLogAnomalyDetector, DeleteLogAnomalyDetector, ListLogAnomalyDetectors, and the anomalies
they find (ListAnomalies, UpdateAnomaly).

Detectors are stored and validated as AWS does (one Standard log group each, a filter pattern
that parses, 7 to 90 days of anomaly visibility) and go INITIALIZING -> TRAINING, or PAUSED
while disabled. They never find anything: AWS finds anomalies with machine-learned patterns of
each group's traffic, which regionbox does not train, so ListAnomalies is always empty and
UpdateAnomaly finds no anomaly or pattern to suppress.
"""

from __future__ import annotations

import uuid
from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.pagination import Paginator
from regionbox.services.logs.listing import page_of
from regionbox.services.logs.metric_filters import check_pattern
from regionbox.services.logs.models import AnomalyDetector
from regionbox.services.logs.state import LogsState, not_found, now_ms

DEFAULT_VISIBILITY_DAYS = 21


class AnomalyDetectors:
    def __init__(self, state: LogsState, paginator: Paginator) -> None:
        self.state = state
        self.detectors = state.anomaly_detectors
        self.paginator = paginator

    def create_log_anomaly_detector(self, ctx: RequestContext, params: dict) -> dict:
        arns = params["logGroupArnList"]
        if len(arns) != 1:
            raise invalid("logGroupArnList must contain exactly one log group ARN.")
        group = self.state.group_by_arn(ctx.scope, arns[0])
        if group is None:
            raise not_found("The specified log group does not exist.")
        if group.log_group_class != "STANDARD":
            raise invalid(f"Anomaly detection is not supported for log groups in the {group.log_group_class} log class.")
        if params.get("filterPattern"):
            check_pattern(params["filterPattern"])
        now = now_ms()
        detector = AnomalyDetector(
            arn=ctx.arn("logs", f"anomaly-detector:{uuid.uuid4()}"), name=params.get("detectorName") or "",
            group_arns=[group.arn], evaluation_frequency=params.get("evaluationFrequency"),
            filter_pattern=params.get("filterPattern"), kms_key_id=params.get("kmsKeyId"),
            visibility_days=params.get("anomalyVisibilityTime") or DEFAULT_VISIBILITY_DAYS, status="INITIALIZING",
            creation_time=now, last_modified=now, tags=dict(params.get("tags") or {}))
        self.detectors.put(ctx.scope, detector.arn, detector)
        return {"anomalyDetectorArn": detector.arn}

    def get(self, ctx: RequestContext, arn: str) -> AnomalyDetector:
        found = self.detectors.get(ctx.scope, arn)
        if found is None:
            raise not_found("The specified anomaly detector does not exist.")
        return found

    def get_log_anomaly_detector(self, ctx: RequestContext, params: dict) -> dict:
        shape = self._shape(self.get(ctx, params["anomalyDetectorArn"]))
        shape.pop("anomalyDetectorArn")
        return shape

    def update_log_anomaly_detector(self, ctx: RequestContext, params: dict) -> dict:
        detector = self.get(ctx, params["anomalyDetectorArn"])
        if params.get("filterPattern"):
            check_pattern(params["filterPattern"])
        for member, attribute in (("evaluationFrequency", "evaluation_frequency"), ("filterPattern", "filter_pattern"),
                                  ("anomalyVisibilityTime", "visibility_days")):
            if params.get(member) is not None:
                setattr(detector, attribute, params[member])
        detector.status = "TRAINING" if params["enabled"] else "PAUSED"
        detector.last_modified = now_ms()
        self.detectors.put(ctx.scope, detector.arn, detector)
        return {}

    def delete_log_anomaly_detector(self, ctx: RequestContext, params: dict) -> dict:
        self.detectors.delete(ctx.scope, self.get(ctx, params["anomalyDetectorArn"]).arn)
        return {}

    def list_log_anomaly_detectors(self, ctx: RequestContext, params: dict) -> dict:
        found = sorted(self.detectors.values(ctx.scope), key=lambda d: d.creation_time)
        if params.get("filterLogGroupArn"):
            wanted = params["filterLogGroupArn"].removesuffix(":*")
            found = [d for d in found if wanted in d.group_arns]
        return page_of(self.paginator, found, params, "anomalyDetectors", self._shape)

    def list_anomalies(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("anomalyDetectorArn"):
            self.get(ctx, params["anomalyDetectorArn"])
        # No detector of regionbox's finds anomalies (see the module's docstring).
        return page_of(self.paginator, [], params, "anomalies")

    def update_anomaly(self, ctx: RequestContext, params: dict) -> dict:
        self.get(ctx, params["anomalyDetectorArn"])
        anomaly, pattern = params.get("anomalyId"), params.get("patternId")
        if bool(anomaly) == bool(pattern):
            raise invalid("Specify either anomalyId or patternId, but not both.")
        if params.get("suppressionType") == "LIMITED" and not params.get("suppressionPeriod"):
            raise invalid("suppressionPeriod is required when suppressionType is LIMITED.")
        raise not_found(f"The specified {'anomaly' if anomaly else 'pattern'} does not exist.")

    @staticmethod
    def _shape(detector: AnomalyDetector) -> dict:
        shape: dict[str, Any] = {"anomalyDetectorArn": detector.arn, "detectorName": detector.name,
                                 "logGroupArnList": detector.group_arns, "anomalyDetectorStatus": detector.status,
                                 "creationTimeStamp": detector.creation_time,
                                 "lastModifiedTimeStamp": detector.last_modified,
                                 "anomalyVisibilityTime": detector.visibility_days}
        for member, value in (("evaluationFrequency", detector.evaluation_frequency),
                              ("filterPattern", detector.filter_pattern), ("kmsKeyId", detector.kms_key_id)):
            if value is not None:
                shape[member] = value
        return shape
