"""CloudWatch Logs: log groups (retention, tags), log streams, log events (PutLogEvents,
GetLogEvents, FilterLogEvents), Logs Insights queries, and LogsApi for the services that write
logs as AWS's own do.

Groups and streams are documents; events are rows in their own indexed table (event_table.py)
and a PutLogEvents call is one SQLite transaction.
"""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect
from regionbox.services.logs.api import LogsApi
from regionbox.services.logs.data_protection import DataProtection
from regionbox.services.logs.destinations import Destinations
from regionbox.services.logs.live_tail import LiveTail
from regionbox.services.logs.listing import KeyPages
from regionbox.services.logs.log_events import LogEvents
from regionbox.services.logs.log_groups import LogGroups
from regionbox.services.logs.log_streams import LogStreams
from regionbox.services.logs.metric_data import MetricData
from regionbox.services.logs.metric_filters import MetricFilters
from regionbox.services.logs.queries import Queries
from regionbox.services.logs.query_runs import QueryHistory, QueryRunner
from regionbox.services.logs.resources import resources
from regionbox.services.logs.retention import RetentionSweep
from regionbox.services.logs.state import LogsState
from regionbox.services.logs.subscription_filters import SubscriptionFilters
from regionbox.services.logs.targets import Targets

# CloudWatch Logs reports constraint violations as InvalidParameterException, not ValidationException.
DIALECT = Dialect(validation_code="InvalidParameterException")

ISSUE_9 = "not built yet (issue #9)"
# Metric and subscription filters, destinations, resource and account policies, deliveries,
# export and import tasks, live tail, field discovery, anomaly detection, data protection,
# transformers, saved and scheduled queries, lookup tables, index and storage policies, syslog.
NOT_BUILT = """
    CancelExportTask CancelImportTask CreateDelivery CreateExportTask CreateImportTask CreateLogAnomalyDetector
    CreateLookupTable CreateScheduledQuery DeleteAccountPolicy DeleteDelivery
    DeleteDeliveryDestination DeleteDeliveryDestinationPolicy DeleteDeliverySource 
    DeleteIndexPolicy DeleteLogAnomalyDetector DeleteLookupTable DeleteQueryDefinition
    DeleteResourcePolicy DeleteScheduledQuery  DeleteSyslogConfiguration
    DeleteTransformer DescribeAccountPolicies DescribeConfigurationTemplates DescribeDeliveries
    DescribeDeliveryDestinations DescribeDeliverySources  DescribeExportTasks
    DescribeFieldIndexes DescribeImportTaskBatches DescribeImportTasks DescribeIndexPolicies
    DescribeLookupTables DescribeQueryDefinitions DescribeResourcePolicies
     GetDelivery GetDeliveryDestination
    GetDeliveryDestinationPolicy GetDeliverySource GetLogAnomalyDetector GetLogFields GetLogGroupFields
    GetLogObject GetLogRecord GetLookupTable GetScheduledQuery GetScheduledQueryHistory GetStorageTierPolicy
    GetTransformer ListAggregateLogGroupSummaries ListAnomalies ListLogAnomalyDetectors ListLogGroups
    ListLogGroupsForQuery ListScheduledQueries ListSyslogConfigurations PutAccountPolicy
    PutBearerTokenAuthentication PutDeliveryDestination PutDeliveryDestinationPolicy
    PutDeliverySource   PutIndexPolicy PutQueryDefinition
    PutResourcePolicy PutStorageTierPolicy  PutSyslogConfiguration PutTransformer
    TestTransformer UpdateAnomaly UpdateDeliveryConfiguration
    UpdateLogAnomalyDetector UpdateLookupTable UpdateScheduledQuery
""".split()
OTHER_SERVICES = {
    "AssociateKmsKey": "needs AWS KMS keys, which regionbox does not serve yet",
    "DisassociateKmsKey": "needs AWS KMS keys, which regionbox does not serve yet",
    "AssociateSourceToS3TableIntegration": "needs Amazon S3 Tables, which regionbox does not serve yet",
    "DisassociateSourceFromS3TableIntegration": "needs Amazon S3 Tables, which regionbox does not serve yet",
    "ListSourcesForS3TableIntegration": "needs Amazon S3 Tables, which regionbox does not serve yet",
    "PutIntegration": "needs Amazon OpenSearch Service, which regionbox does not serve yet",
    "GetIntegration": "needs Amazon OpenSearch Service, which regionbox does not serve yet",
    "DeleteIntegration": "needs Amazon OpenSearch Service, which regionbox does not serve yet",
    "ListIntegrations": "needs Amazon OpenSearch Service, which regionbox does not serve yet",
}


def load(cloud) -> Service:
    state = LogsState(cloud.store)
    pages = KeyPages(cloud.paginator)
    masking = DataProtection(state)
    metric_data = MetricData(cloud.store)
    metric_filters = MetricFilters(state, metric_data, cloud.paginator)
    groups = LogGroups(state, pages, metric_filters, masking)
    streams = LogStreams(state, pages)
    events = LogEvents(state, cloud.paginator, masking)
    history = QueryHistory(cloud.store)
    runner = QueryRunner(state.events, history, cloud.tasks)
    queries = Queries(state, history, runner, cloud.paginator)
    targets = Targets(cloud.services)
    destinations = Destinations(state, targets, lambda: cloud.services.api("iam"), cloud.paginator)
    subscription_filters = SubscriptionFilters(state, targets, destinations, cloud.paginator)
    live_tail = LiveTail(state, lambda: cloud.config.logs_live_tail_seconds, masking.mask)
    retention = RetentionSweep(state, cloud.tasks, lambda: cloud.config.logs_retention_interval,
                               also=(metric_data.expire,))

    def start() -> None:
        retention.start()
        history.fail_unfinished()
        history.expire()

    def stop() -> None:
        live_tail.end_all()
        runner.close()

    def reset() -> None:
        live_tail.end_all()
        runner.forget()
        retention.start()  # the reset cancelled the sweep with the rest of Logs' tasks
    return Service(
        name="logs",
        operations={
            # log groups, their retention and tags
            "CreateLogGroup": groups.create_log_group,
            "DescribeLogGroups": groups.describe_log_groups,
            "DeleteLogGroup": groups.delete_log_group,
            "PutLogGroupDeletionProtection": groups.put_log_group_deletion_protection,
            "PutRetentionPolicy": groups.put_retention_policy,
            "DeleteRetentionPolicy": groups.delete_retention_policy,
            "TagResource": groups.tag_resource,
            "UntagResource": groups.untag_resource,
            "ListTagsForResource": groups.list_tags_for_resource,
            "TagLogGroup": groups.tag_log_group,
            "UntagLogGroup": groups.untag_log_group,
            "ListTagsLogGroup": groups.list_tags_log_group,
            # log streams
            "CreateLogStream": streams.create_log_stream,
            "DescribeLogStreams": streams.describe_log_streams,
            "DeleteLogStream": streams.delete_log_stream,
            # log events
            "PutLogEvents": events.put_log_events,
            "GetLogEvents": events.get_log_events,
            "FilterLogEvents": events.filter_log_events,
            # Logs Insights queries
            "StartQuery": queries.start_query,
            "GetQueryResults": queries.get_query_results,
            "StopQuery": queries.stop_query,
            "DescribeQueries": queries.describe_queries,
            # Live Tail: an event stream of what the groups accept from now on
            "StartLiveTail": live_tail.start_live_tail,
            # metric filters and the metrics they publish
            "PutMetricFilter": metric_filters.put_metric_filter,
            "DescribeMetricFilters": metric_filters.describe_metric_filters,
            "DeleteMetricFilter": metric_filters.delete_metric_filter,
            "TestMetricFilter": metric_filters.test_metric_filter,
            # subscription filters, and destinations for other accounts' subscriptions
            "PutSubscriptionFilter": subscription_filters.put_subscription_filter,
            "DescribeSubscriptionFilters": subscription_filters.describe_subscription_filters,
            "DeleteSubscriptionFilter": subscription_filters.delete_subscription_filter,
            "PutDestination": destinations.put_destination,
            "PutDestinationPolicy": destinations.put_destination_policy,
            "DescribeDestinations": destinations.describe_destinations,
            "DeleteDestination": destinations.delete_destination,
            # data protection: policies and the masking of every read
            "PutDataProtectionPolicy": masking.put_data_protection_policy,
            "GetDataProtectionPolicy": masking.get_data_protection_policy,
            "DeleteDataProtectionPolicy": masking.delete_data_protection_policy,
        },
        not_implemented={**dict.fromkeys(NOT_BUILT, ISSUE_9), **OTHER_SERVICES},
        # Writing and reading log events are not management events: CloudTrail's history omits them.
        data_events=frozenset({"PutLogEvents", "GetLogEvents", "FilterLogEvents", "GetLogRecord"}),
        dialect=DIALECT,
        api=LogsApi(state, metric_data),
        start=start,
        stop=stop,
        reset=reset,
        resources=resources,
    )
