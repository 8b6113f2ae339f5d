"""CloudTrail: event history (LookupEvents), trails that deliver log files to S3 and events to
CloudWatch Logs (with signed digests), event and Insights selectors, CloudTrail Lake (event data
stores, SQL queries, channels, imports, dashboards), resource policies and tags.

The gateway records every call in the audit trail (core/audit.py): management events always,
data events for accounts whose trails or event data stores may select them. Event history reads
it directly (events.py); trails and event data stores take their events from it in the
background (delivery.py). The CloudTrail Data service (PutAuditEvents) reaches channels through
``CloudTrailApi`` (api.py).
"""

from regionbox.core.service import Service
from regionbox.services.cloudtrail.api import CloudTrailApi
from regionbox.services.cloudtrail.channels import Channels
from regionbox.services.cloudtrail.dashboards import Dashboards
from regionbox.services.cloudtrail.delivery import Delivery
from regionbox.services.cloudtrail.destinations import Destinations
from regionbox.services.cloudtrail.digests import DigestKeys
from regionbox.services.cloudtrail.event_data_stores import EventDataStores
from regionbox.services.cloudtrail.events import EventHistory
from regionbox.services.cloudtrail.imports import Imports
from regionbox.services.cloudtrail.insights import Insights
from regionbox.services.cloudtrail.lake_queries import LakeQueries, QueryHistory, QueryRunner
from regionbox.services.cloudtrail.resource_policies import ResourcePolicies
from regionbox.services.cloudtrail.resources import resources
from regionbox.services.cloudtrail.selectors import EventSelectors
from regionbox.services.cloudtrail.state import CloudTrailState
from regionbox.services.cloudtrail.tags import Tags
from regionbox.services.cloudtrail.trails import Trails

ORGANIZATIONS = "needs AWS Organizations (a delegated administrator is a member account of an organization), " \
                "which regionbox does not serve yet"
FEDERATION = "Lake query federation registers the event data store in AWS Glue and AWS Lake Formation for Amazon " \
             "Athena, which regionbox does not serve yet"
NOT_SERVED = {
    "RegisterOrganizationDelegatedAdmin": ORGANIZATIONS,
    "DeregisterOrganizationDelegatedAdmin": ORGANIZATIONS,
    "EnableFederation": FEDERATION,
    "DisableFederation": FEDERATION,
    "GenerateQuery": "turns a natural-language prompt into SQL with a generative AI model (Amazon Bedrock), which "
                     "regionbox does not serve",
}


def load(cloud) -> Service:
    config = cloud.config
    state = CloudTrailState(cloud.store)

    def s3():
        return cloud.services.api("s3")

    def logs():
        return cloud.services.api("logs")

    def iam():
        return cloud.services.api("iam")

    destinations = Destinations(s3, logs, iam)
    keys = DigestKeys(cloud.store)
    history = QueryHistory(cloud.store)
    runner = QueryRunner(state.lake, history, cloud.tasks, s3)
    delivery = Delivery(state, cloud.audit, destinations, keys, s3, logs, config.cloudtrail_delivery_interval,
                        config.cloudtrail_digest_interval, history.expire)
    events = EventHistory(cloud.audit, cloud.paginator)
    trails = Trails(state, destinations, cloud.audit, cloud.paginator)
    selectors = EventSelectors(state)
    stores = EventDataStores(state, cloud.audit, cloud.paginator, delivery.ingest)
    queries = LakeQueries(state, history, runner, cloud.paginator, destinations, delivery.ingest)
    channels = Channels(state, cloud.paginator)
    dashboards = Dashboards(state, queries, cloud.paginator)
    imports = Imports(state, cloud.paginator, cloud.tasks, s3, iam)
    policies = ResourcePolicies(state, lambda document: iam().check_resource_policy(document))
    insights = Insights(state, cloud.audit, cloud.paginator)
    tags = Tags(state, cloud.paginator)
    # Data events are recorded only for accounts that may deliver them somewhere.
    cloud.audit.want_data_events(lambda account: account in state.data_accounts)

    def run_delivery() -> None:
        cloud.tasks.spawn(delivery.run(), owner="cloudtrail", what="CloudTrail delivery")

    def start() -> None:
        history.fail_unfinished()
        history.expire()
        delivery.resume()
        run_delivery()

    def reset() -> None:
        runner.forget()
        keys.forget()
        state.data_accounts = set()
        run_delivery()  # the reset cancelled the service's tasks; the cloud goes on

    return Service(
        name="cloudtrail",
        operations={
            # event history
            "LookupEvents": events.lookup_events,
            # trails
            "CreateTrail": trails.create_trail,
            "GetTrail": trails.get_trail,
            "DescribeTrails": trails.describe_trails,
            "ListTrails": trails.list_trails,
            "UpdateTrail": trails.update_trail,
            "DeleteTrail": trails.delete_trail,
            "StartLogging": trails.start_logging,
            "StopLogging": trails.stop_logging,
            "GetTrailStatus": trails.get_trail_status,
            # selectors
            "PutEventSelectors": selectors.put_event_selectors,
            "GetEventSelectors": selectors.get_event_selectors,
            "PutInsightSelectors": selectors.put_insight_selectors,
            "GetInsightSelectors": selectors.get_insight_selectors,
            # log file validation
            "ListPublicKeys": keys.list_public_keys,
            # event data stores
            "CreateEventDataStore": stores.create_event_data_store,
            "GetEventDataStore": stores.get_event_data_store,
            "ListEventDataStores": stores.list_event_data_stores,
            "UpdateEventDataStore": stores.update_event_data_store,
            "DeleteEventDataStore": stores.delete_event_data_store,
            "RestoreEventDataStore": stores.restore_event_data_store,
            "StartEventDataStoreIngestion": stores.start_event_data_store_ingestion,
            "StopEventDataStoreIngestion": stores.stop_event_data_store_ingestion,
            "GetEventConfiguration": stores.get_event_configuration,
            "PutEventConfiguration": stores.put_event_configuration,
            # Lake queries
            "StartQuery": queries.start_query,
            "DescribeQuery": queries.describe_query,
            "GetQueryResults": queries.get_query_results,
            "CancelQuery": queries.cancel_query,
            "ListQueries": queries.list_queries,
            "SearchSampleQueries": insights.search_sample_queries,
            # channels
            "CreateChannel": channels.create_channel,
            "GetChannel": channels.get_channel,
            "ListChannels": channels.list_channels,
            "UpdateChannel": channels.update_channel,
            "DeleteChannel": channels.delete_channel,
            # imports
            "StartImport": imports.start_import,
            "GetImport": imports.get_import,
            "ListImports": imports.list_imports,
            "StopImport": imports.stop_import,
            "ListImportFailures": imports.list_import_failures,
            # dashboards
            "CreateDashboard": dashboards.create_dashboard,
            "GetDashboard": dashboards.get_dashboard,
            "ListDashboards": dashboards.list_dashboards,
            "UpdateDashboard": dashboards.update_dashboard,
            "DeleteDashboard": dashboards.delete_dashboard,
            "StartDashboardRefresh": dashboards.start_dashboard_refresh,
            # resource policies
            "PutResourcePolicy": policies.put_resource_policy,
            "GetResourcePolicy": policies.get_resource_policy,
            "DeleteResourcePolicy": policies.delete_resource_policy,
            # Insights
            "ListInsightsData": insights.list_insights_data,
            "ListInsightsMetricData": insights.list_insights_metric_data,
            # tags
            "AddTags": tags.add_tags,
            "RemoveTags": tags.remove_tags,
            "ListTags": tags.list_tags,
        },
        not_implemented=NOT_SERVED,
        api=CloudTrailApi(channels),
        start=start,
        stop=runner.close,
        reset=reset,
        iam_prefix="cloudtrail",
        resources=resources,
        resource_policy=policies.policy_of,
    )
