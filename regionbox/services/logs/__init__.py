"""CloudWatch Logs: log groups (retention, tags), log streams, log events (PutLogEvents,
GetLogEvents, FilterLogEvents), Logs Insights queries, and LogsApi for the services that write
logs as AWS's own do.

Groups and streams are documents; events are rows in their own indexed table (event_table.py)
and a PutLogEvents call is one SQLite transaction.
"""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect
from regionbox.services.logs.api import LogsApi
from regionbox.services.logs.listing import KeyPages
from regionbox.services.logs.log_events import LogEvents
from regionbox.services.logs.log_groups import LogGroups
from regionbox.services.logs.log_streams import LogStreams
from regionbox.services.logs.queries import Queries
from regionbox.services.logs.query_runs import QueryHistory, QueryRunner
from regionbox.services.logs.resources import resources
from regionbox.services.logs.state import LogsState

# CloudWatch Logs reports constraint violations as InvalidParameterException, not ValidationException.
DIALECT = Dialect(validation_code="InvalidParameterException")

ISSUE_9 = "not built yet (issue #9)"
# Metric and subscription filters, destinations, resource and account policies, deliveries,
# export and import tasks, live tail, field discovery, anomaly detection, data protection,
# transformers, saved and scheduled queries, lookup tables, index and storage policies, syslog.
NOT_BUILT = """
    CancelExportTask CancelImportTask CreateDelivery CreateExportTask CreateImportTask CreateLogAnomalyDetector
    CreateLookupTable CreateScheduledQuery DeleteAccountPolicy DeleteDataProtectionPolicy DeleteDelivery
    DeleteDeliveryDestination DeleteDeliveryDestinationPolicy DeleteDeliverySource DeleteDestination
    DeleteIndexPolicy DeleteLogAnomalyDetector DeleteLookupTable DeleteMetricFilter DeleteQueryDefinition
    DeleteResourcePolicy DeleteScheduledQuery DeleteSubscriptionFilter DeleteSyslogConfiguration
    DeleteTransformer DescribeAccountPolicies DescribeConfigurationTemplates DescribeDeliveries
    DescribeDeliveryDestinations DescribeDeliverySources DescribeDestinations DescribeExportTasks
    DescribeFieldIndexes DescribeImportTaskBatches DescribeImportTasks DescribeIndexPolicies
    DescribeLookupTables DescribeMetricFilters DescribeQueryDefinitions DescribeResourcePolicies
    DescribeSubscriptionFilters GetDataProtectionPolicy GetDelivery GetDeliveryDestination
    GetDeliveryDestinationPolicy GetDeliverySource GetLogAnomalyDetector GetLogFields GetLogGroupFields
    GetLogObject GetLogRecord GetLookupTable GetScheduledQuery GetScheduledQueryHistory GetStorageTierPolicy
    GetTransformer ListAggregateLogGroupSummaries ListAnomalies ListLogAnomalyDetectors ListLogGroups
    ListLogGroupsForQuery ListScheduledQueries ListSyslogConfigurations PutAccountPolicy
    PutBearerTokenAuthentication PutDataProtectionPolicy PutDeliveryDestination PutDeliveryDestinationPolicy
    PutDeliverySource PutDestination PutDestinationPolicy PutIndexPolicy PutMetricFilter PutQueryDefinition
    PutResourcePolicy PutStorageTierPolicy PutSubscriptionFilter PutSyslogConfiguration PutTransformer
    StartLiveTail TestMetricFilter TestTransformer UpdateAnomaly UpdateDeliveryConfiguration
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
    groups = LogGroups(state, pages)
    streams = LogStreams(state, pages)
    events = LogEvents(state, cloud.paginator)
    history = QueryHistory(cloud.store)
    runner = QueryRunner(state.events, history, cloud.tasks)
    queries = Queries(state, history, runner, cloud.paginator)

    def start() -> None:
        state.purge_all_expired()
        history.fail_unfinished()
        history.expire()
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
        },
        not_implemented={**dict.fromkeys(NOT_BUILT, ISSUE_9), **OTHER_SERVICES},
        # Writing and reading log events are not management events: CloudTrail's history omits them.
        data_events=frozenset({"PutLogEvents", "GetLogEvents", "FilterLogEvents", "GetLogRecord"}),
        dialect=DIALECT,
        api=LogsApi(state),
        start=start,
        stop=runner.close,
        reset=runner.forget,
        resources=resources,
    )
