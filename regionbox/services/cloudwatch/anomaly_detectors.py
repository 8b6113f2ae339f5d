"""PutAnomalyDetector, DescribeAnomalyDetectors, DeleteAnomalyDetector: detectors are kept as
configured and stay PENDING_TRAINING, which is the truth: regionbox trains no model, so
ANOMALY_DETECTION_BAND and alarms on a band are refused where they are used."""

from __future__ import annotations

import orjson

from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.cloudwatch.metric_data import check_dimensions, invalid_value
from regionbox.services.cloudwatch.models import AnomalyDetector, CloudWatchState
from regionbox.services.cloudwatch.queries import check_queries
from regionbox.services.cloudwatch.statistics import is_statistic

PAGE = PageRule(out_of_range=lambda n: invalid_value(n, "MaxResults"), default=100, maximum=100,
                bad_token=lambda t: ServiceError("InvalidNextToken", "The service cannot complete the request."))


def _single(params: dict) -> dict | None:
    single = params.get("SingleMetricAnomalyDetector")
    if single is None and params.get("MetricName"):  # the legacy top-level members
        single = {k: params[k] for k in ("Namespace", "MetricName", "Dimensions", "Stat") if params.get(k) is not None}
    return single


def _key(single: dict | None, math: dict | None) -> str:
    if single is not None:
        return orjson.dumps(["single", single.get("Namespace"), single.get("MetricName"),
                             sorted((d["Name"], d["Value"]) for d in single.get("Dimensions") or []), single.get("Stat")]).decode()
    return orjson.dumps(["math", math.get("MetricDataQueries")]).decode()


class AnomalyDetectors:
    def __init__(self, state: CloudWatchState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _identify(self, params: dict) -> tuple[dict | None, dict | None]:
        single, math = _single(params), params.get("MetricMathAnomalyDetector")
        if (single is None) == (math is None):
            raise ServiceError("InvalidParameterCombination", "Exactly one of SingleMetricAnomalyDetector or "
                                                              "MetricMathAnomalyDetector must be specified.")
        if single is not None:
            for required in ("Namespace", "MetricName", "Stat"):
                if not single.get(required):
                    raise ServiceError("MissingParameter", f"The parameter {required} is required.")
            if not is_statistic(single["Stat"]):
                raise invalid_value(single["Stat"], "Stat")
            check_dimensions(single.get("Dimensions"), "Dimensions")
        else:
            check_queries(math.get("MetricDataQueries") or [], "MetricDataQueries")
        return single, math

    def put_anomaly_detector(self, ctx, params: dict) -> dict:
        single, math = self._identify(params)
        config = {k: params[k] for k in ("Configuration", "MetricCharacteristics") if params.get(k) is not None}
        if single is not None:
            config["SingleMetricAnomalyDetector"] = single
        else:
            config["MetricMathAnomalyDetector"] = math
        key = _key(single, math)
        self.state.anomaly_detectors.put(ctx.scope, key, AnomalyDetector(key, config))
        return {}

    def delete_anomaly_detector(self, ctx, params: dict) -> dict:
        single, math = self._identify(params)
        if self.state.anomaly_detectors.delete(ctx.scope, _key(single, math)) is None:
            raise ServiceError("ResourceNotFoundException", "No anomaly detector found for the given parameters.", 404)
        return {}

    def describe_anomaly_detectors(self, ctx, params: dict) -> dict:
        types = params.get("AnomalyDetectorTypes") or ["SINGLE_METRIC", "METRIC_MATH"]
        found = []
        for detector in self.state.anomaly_detectors.values(ctx.scope):
            single = detector.config.get("SingleMetricAnomalyDetector")
            if ("SINGLE_METRIC" if single else "METRIC_MATH") not in types:
                continue
            if single is not None:
                if any(params.get(k) and single.get(k) != params[k] for k in ("Namespace", "MetricName")):
                    continue
                have = {(d["Name"], d["Value"]) for d in single.get("Dimensions") or []}
                if not all((d["Name"], d["Value"]) in have for d in params.get("Dimensions") or []):
                    continue
            elif any(params.get(k) for k in ("Namespace", "MetricName", "Dimensions")):
                continue
            shape = {**detector.config, "StateValue": "PENDING_TRAINING"}
            if single is not None:
                shape.update({k: single[k] for k in ("Namespace", "MetricName", "Dimensions", "Stat") if k in single})
            found.append(shape)
        page, token = self.paginator.paginate(found, params, PAGE, query=[params.get("Namespace"), params.get("MetricName"),
                                                                           types])
        return {"AnomalyDetectors": page, **({"NextToken": token} if token else {})}
