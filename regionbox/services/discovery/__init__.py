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
from regionbox.services.discovery.ingest import Ingest
from regionbox.services.discovery.state import DiscoveryState

# Application Discovery Service answers bad input with InvalidParameterValueException.
DIALECT = Dialect(validation_code="InvalidParameterValueException")


def load(cloud) -> Service:
    state = DiscoveryState(cloud.store, lambda: cloud.services.api("migrationhub-config"))
    agents = Agents(state, cloud.paginator)
    configurations = Configurations(state, cloud.paginator)
    applications = Applications(state)
    tags = Tags(state, cloud.paginator)
    ingest = Ingest(state, cloud.credentials, lambda: cloud.services.api("iam"), lambda: cloud.config.iam_enforcement)
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
        },
        dialect=DIALECT,
        api=DiscoveryApi(state),
        http=ingest.handle,
    )
