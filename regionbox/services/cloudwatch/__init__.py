"""CloudWatch: metrics (PutMetricData, statistics, GetMetricData with metric math) in a compact
time-series store per account and region with CloudWatch's retention tiers, alarms (metric and
composite) evaluated in the background with their history and mute rules, dashboards, anomaly
detector configurations, Contributor Insights rules reported from CloudWatch Logs' events, metric
streams (Firehose is not served: their delivery errors are reported as AWS reports them), saved
metric data query definitions, and the api other services publish their AWS/* metrics through
(RDS's samplers).

It speaks smithy-rpc-v2-cbor (what current botocore sends), json and query: the protocol layer
does that from botocore's model."""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect

# CloudWatch's query protocol checks only that required parameters are there, in its own words.
DIALECT = Dialect(required_members_only=("MissingParameter", "The parameter {name} is required."))

# What stays 501, and why (each reason is what the caller reads).
OTEL = ("OTel enrichment's only effect is resource-ARN and tag labels on vended metrics queried with PromQL, and "
        "regionbox's CloudWatch has no PromQL query path: a Running status would change nothing")
RESOURCE_METRICS = ("which detailed metrics a resource metrics configuration turns on, per resource type, is not in "
                    "botocore's model, and regionbox's services publish the metrics they have regardless: a stored "
                    "configuration would change nothing")
NOT_IMPLEMENTED = {
    **dict.fromkeys(["GetOTelEnrichment", "StartOTelEnrichment", "StopOTelEnrichment", "UpdateOTelEnrichment"], OTEL),
    **dict.fromkeys(["CreateResourceMetricsConfiguration", "GetResourceMetricsConfiguration",
                     "UpdateResourceMetricsConfiguration", "DeleteResourceMetricsConfiguration"], RESOURCE_METRICS),
    "AssociateDatasetKmsKey": "regionbox does not serve KMS, so no customer managed key can be checked (symmetric, "
                              "enabled, kms:Decrypt) or used",
    "DescribeAlarmContributors": "multi-time-series (Metrics Insights) alarms are not built, so no alarm has contributors",
    "PutLogAlarm": "a log alarm evaluates the runs of a CloudWatch Logs scheduled query, and regionbox's Logs keeps "
                   "scheduled queries without running them (no query scheduler yet)",
}


def load(cloud) -> Service:
    from regionbox.services.cloudwatch.actions import LambdaActions
    from regionbox.services.cloudwatch.alarms import Alarms
    from regionbox.services.cloudwatch.anomaly_detectors import AnomalyDetectors
    from regionbox.services.cloudwatch.api import CloudWatchApi
    from regionbox.services.cloudwatch.dashboards import Dashboards
    from regionbox.services.cloudwatch.datasets import Datasets
    from regionbox.services.cloudwatch.evaluation import Evaluator
    from regionbox.services.cloudwatch.history import History
    from regionbox.services.cloudwatch.insight_rules import InsightRules
    from regionbox.services.cloudwatch.metric_data import MetricData
    from regionbox.services.cloudwatch.metric_streams import MetricStreams
    from regionbox.services.cloudwatch.models import CloudWatchState
    from regionbox.services.cloudwatch.mute_rules import MuteRules
    from regionbox.services.cloudwatch.queries import Queries
    from regionbox.services.cloudwatch.query_definitions import QueryDefinitions
    from regionbox.services.cloudwatch.series import Series
    from regionbox.services.cloudwatch.tags import Tags
    from regionbox.services.cloudwatch.widget_image import WidgetImages

    state = CloudWatchState(cloud.store)
    series = Series(cloud.store)
    history = History(cloud.store, cloud.paginator)
    metric_data = MetricData(series, cloud.paginator)
    queries = Queries(series, cloud.paginator)
    lambda_actions = LambdaActions(cloud.tasks, lambda: cloud.services.api("lambda"))
    alarms = Alarms(state, history, cloud.paginator, lambda_actions.run)
    lambda_actions.done = alarms.action_done
    mute_rules = MuteRules(state, cloud.paginator)
    alarms.muting, mute_rules.unmuted = mute_rules.muting, alarms.run_unmuted
    streams = MetricStreams(state, series, cloud.paginator)
    evaluator = Evaluator(state, series, queries, alarms, history, streams)
    dashboards = Dashboards(state, cloud.paginator)
    detectors = AnomalyDetectors(state, cloud.paginator)
    insight_rules = InsightRules(state, cloud.paginator, lambda: cloud.services.api("logs"))
    queries.insight_metric = insight_rules.metric_points
    query_definitions = QueryDefinitions(state, cloud.paginator)
    datasets = Datasets()
    tags = Tags(state)
    images = WidgetImages(queries)

    def start() -> None:
        cloud.tasks.spawn(evaluator.run(), owner="cloudwatch", what="alarm evaluation and metric flushing")

    def stop() -> None:
        series.flush()

    return Service(
        name="cloudwatch",
        operations={
            # metrics
            "PutMetricData": metric_data.put_metric_data,
            "GetMetricStatistics": metric_data.get_metric_statistics,
            "ListMetrics": metric_data.list_metrics,
            "GetMetricData": queries.get_metric_data,
            "GetMetricWidgetImage": images.get_metric_widget_image,
            "PutMetricDataQueryDefinition": query_definitions.put_metric_data_query_definition,
            "GetMetricDataQueryDefinition": query_definitions.get_metric_data_query_definition,
            "ListMetricDataQueryDefinitions": query_definitions.list_metric_data_query_definitions,
            "DeleteMetricDataQueryDefinition": query_definitions.delete_metric_data_query_definition,
            # alarms
            "PutMetricAlarm": alarms.put_metric_alarm,
            "PutCompositeAlarm": alarms.put_composite_alarm,
            "DescribeAlarms": alarms.describe_alarms,
            "DescribeAlarmsForMetric": alarms.describe_alarms_for_metric,
            "DeleteAlarms": alarms.delete_alarms,
            "SetAlarmState": alarms.set_alarm_state,
            "EnableAlarmActions": alarms.enable_alarm_actions,
            "DisableAlarmActions": alarms.disable_alarm_actions,
            "DescribeAlarmHistory": history.describe_alarm_history,
            "PutAlarmMuteRule": mute_rules.put_alarm_mute_rule,
            "GetAlarmMuteRule": mute_rules.get_alarm_mute_rule,
            "ListAlarmMuteRules": mute_rules.list_alarm_mute_rules,
            "DeleteAlarmMuteRule": mute_rules.delete_alarm_mute_rule,
            # dashboards
            "PutDashboard": dashboards.put_dashboard,
            "GetDashboard": dashboards.get_dashboard,
            "ListDashboards": dashboards.list_dashboards,
            "DeleteDashboards": dashboards.delete_dashboards,
            # anomaly detectors (kept, never trained)
            "PutAnomalyDetector": detectors.put_anomaly_detector,
            "DescribeAnomalyDetectors": detectors.describe_anomaly_detectors,
            "DeleteAnomalyDetector": detectors.delete_anomaly_detector,
            # Contributor Insights
            "PutInsightRule": insight_rules.put_insight_rule,
            "DescribeInsightRules": insight_rules.describe_insight_rules,
            "EnableInsightRules": insight_rules.enable_insight_rules,
            "DisableInsightRules": insight_rules.disable_insight_rules,
            "DeleteInsightRules": insight_rules.delete_insight_rules,
            "GetInsightRuleReport": insight_rules.get_insight_rule_report,
            "ListManagedInsightRules": insight_rules.list_managed_insight_rules,
            "PutManagedInsightRules": insight_rules.put_managed_insight_rules,
            # metric streams (Firehose is not served: see metric_streams.py)
            "PutMetricStream": streams.put_metric_stream,
            "GetMetricStream": streams.get_metric_stream,
            "ListMetricStreams": streams.list_metric_streams,
            "DeleteMetricStream": streams.delete_metric_stream,
            "StartMetricStreams": streams.start_metric_streams,
            "StopMetricStreams": streams.stop_metric_streams,
            # datasets (the default one; KMS is not served)
            "GetDataset": datasets.get_dataset,
            "DisassociateDatasetKmsKey": datasets.disassociate_dataset_kms_key,
            # tags
            "TagResource": tags.tag_resource,
            "UntagResource": tags.untag_resource,
            "ListTagsForResource": tags.list_tags_for_resource,
        },
        not_implemented=NOT_IMPLEMENTED,
        # Metric data in and out are data events for CloudTrail, as AWS records them.
        data_events=frozenset({"PutMetricData", "GetMetricData", "GetMetricStatistics", "ListMetrics"}),
        dialect=DIALECT,
        iam_prefix="cloudwatch",  # its signing name is "monitoring", its IAM actions are cloudwatch:*
        api=CloudWatchApi(series),
        start=start,
        stop=stop,
        reset=start,
    )
