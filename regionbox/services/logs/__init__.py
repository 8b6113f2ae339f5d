"""CloudWatch Logs: log groups, streams and events (PutLogEvents, GetLogEvents,
FilterLogEvents), Logs Insights queries, Live Tail, metric and subscription filters,
destinations, policies (resource, account, data protection, field index), transformers,
deliveries, export tasks, anomaly detectors, saved and scheduled queries, lookup tables, and
LogsApi for the services that write logs as AWS's own do.

Groups, streams and every other resource are documents (state.py); events are rows in their own
indexed table (event_table.py), a PutLogEvents call is one SQLite transaction, and what a group
accepts then goes to its filters and live tails (LogsState.append).
"""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect
from regionbox.services.logs.account_policies import AccountPolicies
from regionbox.services.logs.anomaly_detectors import AnomalyDetectors
from regionbox.services.logs.api import LogsApi
from regionbox.services.logs.data_protection import DataProtection
from regionbox.services.logs.deliveries import Deliveries, DeliveryDestinations, DeliverySources
from regionbox.services.logs.destinations import Destinations
from regionbox.services.logs.export_tasks import ExportTasks
from regionbox.services.logs.import_tasks import ImportTasks
from regionbox.services.logs.index_policies import IndexPolicies
from regionbox.services.logs.listing import KeyPages
from regionbox.services.logs.live_tail import LiveTail
from regionbox.services.logs.log_events import LogEvents
from regionbox.services.logs.log_groups import LogGroups
from regionbox.services.logs.log_records import LogRecords
from regionbox.services.logs.log_streams import LogStreams
from regionbox.services.logs.lookup_tables import LookupTables
from regionbox.services.logs.metric_data import MetricData
from regionbox.services.logs.metric_filters import MetricFilters
from regionbox.services.logs.queries import Queries
from regionbox.services.logs.query_definitions import QueryDefinitions
from regionbox.services.logs.query_runs import QueryHistory, QueryRunner
from regionbox.services.logs.resource_policies import ResourcePolicies
from regionbox.services.logs.resources import resources
from regionbox.services.logs.retention import RetentionSweep
from regionbox.services.logs.scheduled_queries import ScheduledQueries
from regionbox.services.logs.state import LogsState
from regionbox.services.logs.storage_tier import StorageTier
from regionbox.services.logs.subscription_filters import SubscriptionFilters
from regionbox.services.logs.tags import Tags
from regionbox.services.logs.targets import Targets
from regionbox.services.logs.transformers import Transformers

# CloudWatch Logs reports constraint violations as InvalidParameterException, not ValidationException.
DIALECT = Dialect(validation_code="InvalidParameterException")

KMS = "needs AWS KMS keys, which regionbox does not serve yet"
S3_TABLES = "needs Amazon S3 Tables, which regionbox does not serve yet"
OPENSEARCH = "needs Amazon OpenSearch Service, which regionbox does not serve yet"
PRIVATELINK = "needs VPC interface endpoints (AWS PrivateLink) to receive syslog, which regionbox does not serve yet"
OTHER_SERVICES = {
    "AssociateKmsKey": KMS, "DisassociateKmsKey": KMS,
    "AssociateSourceToS3TableIntegration": S3_TABLES, "DisassociateSourceFromS3TableIntegration": S3_TABLES,
    "ListSourcesForS3TableIntegration": S3_TABLES,
    "PutIntegration": OPENSEARCH, "GetIntegration": OPENSEARCH, "DeleteIntegration": OPENSEARCH,
    "ListIntegrations": OPENSEARCH,
    "PutSyslogConfiguration": PRIVATELINK, "DeleteSyslogConfiguration": PRIVATELINK,
    "ListSyslogConfigurations": PRIVATELINK,
}


def load(cloud) -> Service:
    state = LogsState(cloud.store)
    iam = lambda: cloud.services.api("iam")  # noqa: E731 - IAM loads when first needed
    s3 = lambda: cloud.services.api("s3") if "s3" in cloud.services.names else None  # noqa: E731
    pages = KeyPages(cloud.paginator)
    masking = DataProtection(state)
    metric_data = MetricData(cloud.store, lambda: cloud.services.api("cloudwatch"))
    transformers = Transformers(state)
    index_policies = IndexPolicies(state, cloud.paginator)
    metric_filters = MetricFilters(state, metric_data, transformers, cloud.paginator)
    groups = LogGroups(state, pages, cloud.paginator, metric_filters, masking, index_policies.effective)
    streams = LogStreams(state, pages)
    events = LogEvents(state, cloud.paginator, masking)
    records = LogRecords(state, masking)
    history = QueryHistory(cloud.store)
    runner = QueryRunner(state.events, history, cloud.tasks)
    queries = Queries(state, history, runner, cloud.paginator, masking)
    definitions = QueryDefinitions(state, cloud.paginator)
    scheduled = ScheduledQueries(state, iam, cloud.paginator)
    lookup_tables = LookupTables(state, history, cloud.paginator)
    live_tail = LiveTail(state, lambda: cloud.config.logs_live_tail_seconds, masking.mask)
    targets = Targets(cloud.services)
    destinations = Destinations(state, targets, iam, cloud.paginator)
    subscription_filters = SubscriptionFilters(state, targets, destinations, transformers, cloud.paginator)
    resource_policies = ResourcePolicies(state, iam, cloud.paginator)
    account_policies = AccountPolicies(state, subscription_filters, cloud.paginator)
    sources = DeliverySources(state, cloud.paginator)
    delivery_destinations = DeliveryDestinations(state, iam, cloud.paginator)
    deliveries = Deliveries(state, sources, delivery_destinations, cloud.paginator)
    exports = ExportTasks(state, masking, s3, cloud.tasks, cloud.paginator)
    imports = ImportTasks(cloud.paginator)
    detectors = AnomalyDetectors(state, cloud.paginator)
    storage_tier = StorageTier(state)
    tags = Tags(state)
    retention = RetentionSweep(state, cloud.tasks, lambda: cloud.config.logs_retention_interval)

    def start() -> None:
        retention.start()
        metric_data.adopt_stored()
        history.fail_unfinished()
        history.expire()
        exports.fail_unfinished()

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
            # log groups: retention, classes, bearer tokens, tags by name
            "CreateLogGroup": groups.create_log_group,
            "DescribeLogGroups": groups.describe_log_groups,
            "ListLogGroups": groups.list_log_groups,
            "ListAggregateLogGroupSummaries": groups.list_aggregate_log_group_summaries,
            "DeleteLogGroup": groups.delete_log_group,
            "PutLogGroupDeletionProtection": groups.put_log_group_deletion_protection,
            "PutRetentionPolicy": groups.put_retention_policy,
            "DeleteRetentionPolicy": groups.delete_retention_policy,
            "PutBearerTokenAuthentication": groups.put_bearer_token_authentication,
            "TagLogGroup": groups.tag_log_group,
            "UntagLogGroup": groups.untag_log_group,
            "ListTagsLogGroup": groups.list_tags_log_group,
            # tags of every taggable resource, by ARN
            "TagResource": tags.tag_resource,
            "UntagResource": tags.untag_resource,
            "ListTagsForResource": tags.list_tags_for_resource,
            # log streams
            "CreateLogStream": streams.create_log_stream,
            "DescribeLogStreams": streams.describe_log_streams,
            "DeleteLogStream": streams.delete_log_stream,
            # log events
            "PutLogEvents": events.put_log_events,
            "GetLogEvents": events.get_log_events,
            "FilterLogEvents": events.filter_log_events,
            # records and fields as Logs Insights sees them
            "GetLogGroupFields": records.get_log_group_fields,
            "GetLogRecord": records.get_log_record,
            "GetLogFields": records.get_log_fields,
            "GetLogObject": records.get_log_object,
            # Logs Insights queries, saved and scheduled ones, lookup tables
            "StartQuery": queries.start_query,
            "GetQueryResults": queries.get_query_results,
            "StopQuery": queries.stop_query,
            "DescribeQueries": queries.describe_queries,
            "ListLogGroupsForQuery": queries.list_log_groups_for_query,
            "PutQueryDefinition": definitions.put_query_definition,
            "DescribeQueryDefinitions": definitions.describe_query_definitions,
            "DeleteQueryDefinition": definitions.delete_query_definition,
            "CreateScheduledQuery": scheduled.create_scheduled_query,
            "GetScheduledQuery": scheduled.get_scheduled_query,
            "UpdateScheduledQuery": scheduled.update_scheduled_query,
            "DeleteScheduledQuery": scheduled.delete_scheduled_query,
            "ListScheduledQueries": scheduled.list_scheduled_queries,
            "GetScheduledQueryHistory": scheduled.get_scheduled_query_history,
            "CreateLookupTable": lookup_tables.create_lookup_table,
            "GetLookupTable": lookup_tables.get_lookup_table,
            "UpdateLookupTable": lookup_tables.update_lookup_table,
            "DeleteLookupTable": lookup_tables.delete_lookup_table,
            "DescribeLookupTables": lookup_tables.describe_lookup_tables,
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
            # resource policies (other AWS services writing to the account's groups) and account policies
            "PutResourcePolicy": resource_policies.put_resource_policy,
            "DescribeResourcePolicies": resource_policies.describe_resource_policies,
            "DeleteResourcePolicy": resource_policies.delete_resource_policy,
            "PutAccountPolicy": account_policies.put_account_policy,
            "DescribeAccountPolicies": account_policies.describe_account_policies,
            "DeleteAccountPolicy": account_policies.delete_account_policy,
            "PutStorageTierPolicy": storage_tier.put_storage_tier_policy,
            "GetStorageTierPolicy": storage_tier.get_storage_tier_policy,
            # data protection: policies and the masking of every read
            "PutDataProtectionPolicy": masking.put_data_protection_policy,
            "GetDataProtectionPolicy": masking.get_data_protection_policy,
            "DeleteDataProtectionPolicy": masking.delete_data_protection_policy,
            # field index policies and the indexes they give
            "PutIndexPolicy": index_policies.put_index_policy,
            "DescribeIndexPolicies": index_policies.describe_index_policies,
            "DeleteIndexPolicy": index_policies.delete_index_policy,
            "DescribeFieldIndexes": index_policies.describe_field_indexes,
            # transformers
            "PutTransformer": transformers.put_transformer,
            "GetTransformer": transformers.get_transformer,
            "DeleteTransformer": transformers.delete_transformer,
            "TestTransformer": transformers.test_transformer,
            # deliveries of AWS services' logs (vended logs)
            "PutDeliverySource": sources.put_delivery_source,
            "GetDeliverySource": sources.get_delivery_source,
            "DescribeDeliverySources": sources.describe_delivery_sources,
            "DeleteDeliverySource": sources.delete_delivery_source,
            "PutDeliveryDestination": delivery_destinations.put_delivery_destination,
            "GetDeliveryDestination": delivery_destinations.get_delivery_destination,
            "DescribeDeliveryDestinations": delivery_destinations.describe_delivery_destinations,
            "DeleteDeliveryDestination": delivery_destinations.delete_delivery_destination,
            "PutDeliveryDestinationPolicy": delivery_destinations.put_delivery_destination_policy,
            "GetDeliveryDestinationPolicy": delivery_destinations.get_delivery_destination_policy,
            "DeleteDeliveryDestinationPolicy": delivery_destinations.delete_delivery_destination_policy,
            "CreateDelivery": deliveries.create_delivery,
            "GetDelivery": deliveries.get_delivery,
            "DescribeDeliveries": deliveries.describe_deliveries,
            "DeleteDelivery": deliveries.delete_delivery,
            "UpdateDeliveryConfiguration": deliveries.update_delivery_configuration,
            "DescribeConfigurationTemplates": deliveries.describe_configuration_templates,
            # export tasks (to S3) and import tasks (from CloudTrail Lake)
            "CreateExportTask": exports.create_export_task,
            "DescribeExportTasks": exports.describe_export_tasks,
            "CancelExportTask": exports.cancel_export_task,
            "CreateImportTask": imports.create_import_task,
            "DescribeImportTasks": imports.describe_import_tasks,
            "DescribeImportTaskBatches": imports.describe_import_task_batches,
            "CancelImportTask": imports.cancel_import_task,
            # anomaly detection
            "CreateLogAnomalyDetector": detectors.create_log_anomaly_detector,
            "GetLogAnomalyDetector": detectors.get_log_anomaly_detector,
            "UpdateLogAnomalyDetector": detectors.update_log_anomaly_detector,
            "DeleteLogAnomalyDetector": detectors.delete_log_anomaly_detector,
            "ListLogAnomalyDetectors": detectors.list_log_anomaly_detectors,
            "ListAnomalies": detectors.list_anomalies,
            "UpdateAnomaly": detectors.update_anomaly,
        },
        not_implemented=OTHER_SERVICES,
        # Writing and reading log events are not management events: CloudTrail's history omits them.
        data_events=frozenset({"PutLogEvents", "GetLogEvents", "FilterLogEvents", "GetLogRecord"}),
        dialect=DIALECT,
        api=LogsApi(state, transformers),
        start=start,
        stop=stop,
        reset=reset,
        resources=resources,
    )
