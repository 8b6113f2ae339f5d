"""Application Discovery Service: agents that inventory real hosts, the configuration items they
report (servers, processes, connections), applications and tags, neighbours from the agents'
connections, exports to S3 (CSV files zipped, with EC2 instance recommendations), imports of the
Migration Hub CSV template from S3, and deletions that really delete.

Agents report through regionbox's own agent-ingest route on the cloud's port (ingest.py:
``POST /_discovery/agent/{register,heartbeat,report,shutdown}``, SigV4-signed JSON), since AWS's
agent API (arsenal) is not published; ``regionbox discovery-agent`` (regionbox/discovery_agent/)
is the agent. Every call obeys the Migration Hub home Region (Migration Hub Config's api).
"""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect
from regionbox.services.discovery.agents import Agents
from regionbox.services.discovery.api import DiscoveryApi
from regionbox.services.discovery.applications import Applications, Tags
from regionbox.services.discovery.configurations import Configurations
from regionbox.services.discovery.continuous import ContinuousExports
from regionbox.services.discovery.deletion import BatchDeletes
from regionbox.services.discovery.exports import Exports
from regionbox.services.discovery.imports import Imports
from regionbox.services.discovery.ingest import Ingest
from regionbox.services.discovery.state import DiscoveryState

# Application Discovery Service answers bad input with InvalidParameterValueException.
DIALECT = Dialect(validation_code="InvalidParameterValueException")


def load(cloud) -> Service:
    state = DiscoveryState(cloud.store, lambda: cloud.services.api("migrationhub-config"))
    s3 = lambda: cloud.services.api("s3")  # noqa: E731 - S3 loads when an export or import first needs it
    agents = Agents(state, cloud.paginator)
    configurations = Configurations(state, cloud.paginator)
    applications = Applications(state)
    tags = Tags(state, cloud.paginator)
    exports = Exports(state, s3, cloud.tasks, cloud.paginator, lambda: cloud.config.endpoint_url)
    imports = Imports(state, s3, cloud.tasks, cloud.paginator, exports.bucket, exports.url)
    deletes = BatchDeletes(state)
    continuous = ContinuousExports(state, s3, cloud.tasks, cloud.paginator, exports.bucket)
    ingest = Ingest(state, cloud.credentials, lambda: cloud.services.api("iam"), lambda: cloud.config.iam_enforcement,
                    reported=continuous.deliver)

    def start() -> None:
        exports.fail_unfinished()
        imports.fail_unfinished()
    return Service(
        name="discovery",
        operations={
            # agents
            "DescribeAgents": agents.describe_agents,
            "StartDataCollectionByAgentIds": agents.start_data_collection_by_agent_ids,
            "StopDataCollectionByAgentIds": agents.stop_data_collection_by_agent_ids,
            "BatchDeleteAgents": agents.batch_delete_agents,
            # configuration items
            "ListConfigurations": configurations.list_configurations,
            "DescribeConfigurations": configurations.describe_configurations,
            "ListServerNeighbors": configurations.list_server_neighbors,
            "GetDiscoverySummary": configurations.get_discovery_summary,
            # applications
            "CreateApplication": applications.create_application,
            "UpdateApplication": applications.update_application,
            "DeleteApplications": applications.delete_applications,
            "AssociateConfigurationItemsToApplication": applications.associate_configuration_items_to_application,
            "DisassociateConfigurationItemsFromApplication":
                applications.disassociate_configuration_items_from_application,
            # tags
            "CreateTags": tags.create_tags,
            "DeleteTags": tags.delete_tags,
            "DescribeTags": tags.describe_tags,
            # exports
            "StartExportTask": exports.start_export_task,
            "DescribeExportTasks": exports.describe_export_tasks,
            "ExportConfigurations": exports.export_configurations,
            "DescribeExportConfigurations": exports.describe_export_configurations,
            "StartContinuousExport": continuous.start_continuous_export,
            "StopContinuousExport": continuous.stop_continuous_export,
            "DescribeContinuousExports": continuous.describe_continuous_exports,
            # imports
            "StartImportTask": imports.start_import_task,
            "DescribeImportTasks": imports.describe_import_tasks,
            "BatchDeleteImportData": imports.batch_delete_import_data,
            # deletion
            "StartBatchDeleteConfigurationTask": deletes.start_batch_delete_configuration_task,
            "DescribeBatchDeleteConfigurationTask": deletes.describe_batch_delete_configuration_task,
        },
        dialect=DIALECT,
        api=DiscoveryApi(state),
        http=ingest.handle,
        start=start,
    )
