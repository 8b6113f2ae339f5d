"""Metric streams: PutMetricStream, GetMetricStream, ListMetricStreams, DeleteMetricStream,
StartMetricStreams, StopMetricStreams.

A stream delivers to a Kinesis Data Firehose delivery stream, which regionbox does not serve.
Streams are kept as configured, with AWS's states (a new stream is running; an update keeps the
state), and a running stream does what it can without Firehose: every minute it takes the
metric updates its filters select and, as CloudWatch does, reports them in the
AWS/CloudWatch/MetricStreams namespace (MetricUpdate, TotalMetricUpdate) together with
PublishErrorRate, which is 1 (every update failed to reach Firehose) whenever there was something
to deliver. The delivery gap is thus where a user of the real service looks for it, not hidden
behind a success.
"""

from __future__ import annotations

import re
import time

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import PageRule, Paginator
from regionbox.core.store import Scope
from regionbox.services.cloudwatch.metric_data import invalid_value, too_many
from regionbox.services.cloudwatch.models import CloudWatchState, MetricStream
from regionbox.services.cloudwatch.series import Point, Series

NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
FIREHOSE = re.compile(r"^arn:aws[a-z-]*:firehose:[a-z0-9-]+:(\d{12}):deliverystream/[A-Za-z0-9_.-]+$")
ROLE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+$")
# Statistics a json stream may add (CloudWatch's statistic names); OpenTelemetry ones only percentiles.
PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,10})?|100)$")
JSON_STATISTIC = re.compile(r"^(?:(?:p|tm|tc|ts|wm)(?:\d{1,2}(?:\.\d{1,10})?|100)|IQM|(?:TM|TC|TS|WM|PR)\([^()]+\))$")
DEFAULT_STATISTICS = 4  # Maximum, Minimum, Sum, SampleCount
NAMESPACE = "AWS/CloudWatch/MetricStreams"
STREAMS_PAGE = PageRule(out_of_range=lambda n: invalid_value(n, "MaxResults"), default=500, maximum=500,
                        bad_token=lambda t: ServiceError("InvalidNextToken", "The service cannot complete the request."))


def _filters_match(filters: list[dict], namespace: str, name: str) -> bool:
    return any(f.get("Namespace") in (None, namespace) and (not f.get("MetricNames") or name in f["MetricNames"])
               for f in filters)


def selects(config: dict, namespace: str, name: str) -> bool:
    """Whether a stream configured so streams this metric."""
    if namespace == NAMESPACE:
        return False  # its own reports are not streamed back
    if config.get("IncludeFilters"):
        return _filters_match(config["IncludeFilters"], namespace, name)
    return not _filters_match(config.get("ExcludeFilters") or [], namespace, name)


class MetricStreams:
    def __init__(self, state: CloudWatchState, series: Series, paginator: Paginator) -> None:
        self.state = state
        self.series = series
        self.paginator = paginator
        self.reported = 0  # the last minute whose updates were reported

    def put_metric_stream(self, ctx, params: dict) -> dict:
        name = params["Name"]
        if not NAME.match(name):
            raise invalid_value(name, "Name")
        if params.get("IncludeFilters") and params.get("ExcludeFilters"):
            raise ServiceError("InvalidParameterCombination", "You cannot specify both IncludeFilters and ExcludeFilters.")
        for key in ("IncludeFilters", "ExcludeFilters"):
            for index, item in enumerate(params.get(key) or [], 1):
                if item.get("MetricNames") and not item.get("Namespace"):
                    raise ServiceError("InvalidParameterCombination", f"{key}.member.{index}: MetricNames need a Namespace.")
        fmt = params["OutputFormat"]  # one of the model's enum: the protocol refuses others
        for key, pattern in (("FirehoseArn", FIREHOSE), ("RoleArn", ROLE)):
            match = pattern.match(params[key])
            if match is None:
                raise invalid_value(params[key], key)
            if match.group(1) != ctx.account_id:
                raise ServiceError("InvalidParameterValue", f"The {key} must be in the same account as the metric stream.")
        configurations = params.get("StatisticsConfigurations") or []
        if len(configurations) > 100:
            raise too_many("StatisticsConfigurations", 100)
        for index, configuration in enumerate(configurations, 1):
            if len(configuration["IncludeMetrics"]) > 100:
                raise too_many(f"StatisticsConfigurations.member.{index}.IncludeMetrics", 100)
            if len(configuration["AdditionalStatistics"]) > 20:
                raise too_many(f"StatisticsConfigurations.member.{index}.AdditionalStatistics", 20)
            for statistic in configuration["AdditionalStatistics"]:
                if not (PERCENTILE if fmt != "json" else JSON_STATISTIC).match(statistic):
                    raise invalid_value(statistic, f"StatisticsConfigurations.member.{index}.AdditionalStatistics")
        tags = params.get("Tags") or []
        if len(tags) > 50:
            raise too_many("Tags", 50)
        config = {k: v for k, v in params.items() if k not in ("Name", "Tags") and v is not None}
        now = time.time()
        stream = self.state.metric_streams.get(ctx.scope, name)
        if stream is None:
            stream = MetricStream(name, ctx.arn("cloudwatch", f"metric-stream/{name}"), config, "running", now, now,
                                  {t["Key"]: t["Value"] for t in tags})
        else:  # an update keeps the state, the creation date and the tags
            stream.config, stream.updated = config, now
        self.state.metric_streams.put(ctx.scope, name, stream)
        return {"Arn": stream.arn}

    def get_metric_stream(self, ctx, params: dict) -> dict:
        stream = self.state.metric_streams.get(ctx.scope, params["Name"])
        if stream is None:
            raise ServiceError("ResourceNotFoundException", f"Metric stream {params['Name']} does not exist.", 404,
                               ResourceType="MetricStream", ResourceId=params["Name"])
        # Filters and statistics configurations appear only when the stream has them, as on AWS.
        return {"Arn": stream.arn, "Name": stream.name, **{k: v for k, v in stream.config.items() if v != []},
                "State": stream.state, "CreationDate": clock.from_epoch(stream.created),
                "LastUpdateDate": clock.from_epoch(stream.updated),
                "IncludeLinkedAccountsMetrics": bool(stream.config.get("IncludeLinkedAccountsMetrics"))}

    def list_metric_streams(self, ctx, params: dict) -> dict:
        streams = sorted(self.state.metric_streams.values(ctx.scope), key=lambda s: s.name)
        page, token = self.paginator.paginate(streams, params, STREAMS_PAGE)
        return {"Entries": [{"Arn": s.arn, "CreationDate": clock.from_epoch(s.created),
                             "LastUpdateDate": clock.from_epoch(s.updated), "Name": s.name,
                             "FirehoseArn": s.config["FirehoseArn"], "State": s.state,
                             "OutputFormat": s.config["OutputFormat"]} for s in page],
                **({"NextToken": token} if token else {})}

    def delete_metric_stream(self, ctx, params: dict) -> dict:
        self.state.metric_streams.delete(ctx.scope, params["Name"])  # deleting what is not there succeeds, as on AWS
        return {}

    def start_metric_streams(self, ctx, params: dict) -> dict:
        return self._set_state(ctx, params["Names"], "running")

    def stop_metric_streams(self, ctx, params: dict) -> dict:
        return self._set_state(ctx, params["Names"], "stopped")

    def _set_state(self, ctx, names: list[str], state: str) -> dict:
        if not names:
            raise ServiceError("MissingParameter", "The parameter Names is required.")
        with self.state.store.transaction():
            for name in names:
                stream = self.state.metric_streams.get(ctx.scope, name)
                if stream is not None and stream.state != state:
                    stream.state = state
                    self.state.metric_streams.put(ctx.scope, name, stream)
        return {}

    # -- what a running stream reports (the evaluator's tick calls it) -------------------------------
    def report(self, now: float) -> None:
        """For the last complete minute, each running stream's AWS/CloudWatch/MetricStreams metrics."""
        minute = int(now) - int(now) % 60 - 60
        if minute <= self.reported:
            return
        self.reported = minute
        updates: dict[Scope, list[tuple[str, str, int]]] = {}
        for scope, _, stream in list(self.state.metric_streams.all()):
            if stream.state != "running":
                continue
            if scope not in updates:
                updates[scope] = [(m.namespace, m.name, m.id) for m in self.series.metrics(scope)
                                  if self.series.aggregates(m.id, minute, minute + 60, 60)]
            selected = [(ns, name) for ns, name, _ in updates[scope] if selects(stream.config, ns, name)]
            if not selected:
                continue
            total = sum(DEFAULT_STATISTICS + self._additional(stream, ns, name) for ns, name in selected)
            dimensions = (("MetricStreamName", stream.name),)
            for metric, value, unit in (("MetricUpdate", len(selected), "Count"), ("TotalMetricUpdate", total, "Count"),
                                        ("PublishErrorRate", 1.0, "None")):
                self.series.buffer(scope, NAMESPACE, metric, dimensions, Point.of_value(minute, float(value), unit), 60)

    @staticmethod
    def _additional(stream: MetricStream, namespace: str, name: str) -> int:
        return sum(len(c["AdditionalStatistics"]) for c in stream.config.get("StatisticsConfigurations") or []
                   if any(m["Namespace"] == namespace and m["MetricName"] == name for m in c["IncludeMetrics"]))
