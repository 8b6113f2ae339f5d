"""Migration Hub: progress update streams of migration tools, their migration tasks (status and
percent done, every update kept), the resources a task is linked to (created artifacts,
discovered resources, source resources) and the migration status of discovered applications.
Everything lives in the account's home region (Migration Hub Config) and links to what
Application Discovery Service discovered."""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect


def load(cloud) -> Service:
    from regionbox.services.mgh.applications import Applications
    from regionbox.services.mgh.associations import (CREATED_ARTIFACT, DISCOVERED_RESOURCE, SOURCE_RESOURCE,
                                                     Associations)
    from regionbox.services.mgh.home import Home
    from regionbox.services.mgh.models import MghState
    from regionbox.services.mgh.streams import Streams
    from regionbox.services.mgh.tasks import Tasks

    state = MghState(cloud.store)
    home = Home(cloud.services)
    streams = Streams(state, home, cloud.paginator)
    tasks = Tasks(state, home, cloud.paginator)
    applications = Applications(state, home, cloud.paginator)
    artifacts, discovered, sources = (Associations(kind, state, home, tasks, cloud.paginator)
                                      for kind in (CREATED_ARTIFACT, DISCOVERED_RESOURCE, SOURCE_RESOURCE))
    return Service(
        name="mgh",
        operations={
            "CreateProgressUpdateStream": streams.create_progress_update_stream,
            "DeleteProgressUpdateStream": streams.delete_progress_update_stream,
            "ListProgressUpdateStreams": streams.list_progress_update_streams,
            "ImportMigrationTask": tasks.import_migration_task,
            "NotifyMigrationTaskState": tasks.notify_migration_task_state,
            "DescribeMigrationTask": tasks.describe_migration_task,
            "ListMigrationTasks": tasks.list_migration_tasks,
            "ListMigrationTaskUpdates": tasks.list_migration_task_updates,
            "PutResourceAttributes": tasks.put_resource_attributes,
            "AssociateCreatedArtifact": artifacts.associate,
            "DisassociateCreatedArtifact": artifacts.disassociate,
            "ListCreatedArtifacts": artifacts.list,
            "AssociateDiscoveredResource": discovered.associate,
            "DisassociateDiscoveredResource": discovered.disassociate,
            "ListDiscoveredResources": discovered.list,
            "AssociateSourceResource": sources.associate,
            "DisassociateSourceResource": sources.disassociate,
            "ListSourceResources": sources.list,
            "NotifyApplicationState": applications.notify_application_state,
            "DescribeApplicationState": applications.describe_application_state,
            "ListApplicationStates": applications.list_application_states,
        },
        dialect=Dialect(validation_code="InvalidInputException"),
    )
