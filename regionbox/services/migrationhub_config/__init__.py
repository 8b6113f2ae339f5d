"""Migration Hub Config: the account's Migration Hub home region (one home region control per
account, whichever region it is called in). Migration Hub and Application Discovery Service ask
it, through its api, whether a call may be served in the region it was made in."""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect


def load(cloud) -> Service:
    from regionbox.services.migrationhub_config.api import MigrationHubConfigApi
    from regionbox.services.migrationhub_config.controls import Controls
    from regionbox.services.migrationhub_config.models import ConfigState

    state = ConfigState(cloud.store)
    controls = Controls(state, cloud.paginator)
    return Service(
        name="migrationhub-config",
        operations={
            "CreateHomeRegionControl": controls.create_home_region_control,
            "DescribeHomeRegionControls": controls.describe_home_region_controls,
            "GetHomeRegion": controls.get_home_region,
            "DeleteHomeRegionControl": controls.delete_home_region_control,
        },
        dialect=Dialect(validation_code="InvalidInputException"),
        api=MigrationHubConfigApi(state),
    )
