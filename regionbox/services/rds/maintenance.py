"""DescribePendingMaintenanceActions and ApplyPendingMaintenanceAction.

AWS schedules maintenance (OS patches, minor engine upgrades, CA rotations) for its own fleet;
regionbox patches nothing, so no resource has a pending action. Both operations still check what
AWS checks: the resource must exist (an instance's ARN), and the action and opt-in type must be
valid; applying an action that is not pending is refused."""

from __future__ import annotations

from regionbox.core.errors import ServiceError, invalid
from regionbox.core.pagination import Paginator
from regionbox.services.rds import validation as check
from regionbox.services.rds.models import RdsState

ACTIONS = ("system-update", "db-upgrade", "hardware-maintenance", "ca-certificate-rotation")
OPT_IN = ("immediate", "next-maintenance", "undo-opt-in")
FILTERS = ("db-cluster-id", "db-instance-id")


class Maintenance:
    def __init__(self, state: RdsState, paginator: Paginator) -> None:
        self.state = state
        self.paginator = paginator

    def _resource(self, ctx, arn: str):
        parts = arn.split(":")
        instance = None
        if len(parts) == 7 and parts[0] == "arn" and parts[2] == "rds" and parts[5] == "db" and (parts[4], parts[3]) == ctx.scope:
            instance = self.state.instances.get(ctx.scope, parts[6])
        if instance is None:
            raise ServiceError("ResourceNotFoundFault", f"The specified resource ARN {arn} was not found.", 404)
        return instance

    def describe_pending_maintenance_actions(self, ctx, params: dict) -> dict:
        for spec in params.get("Filters") or []:
            if spec["Name"] not in FILTERS:
                raise invalid(f"Unrecognized filter name: {spec['Name']}")
        if params.get("ResourceIdentifier"):
            self._resource(ctx, params["ResourceIdentifier"])
        return check.paged(self.paginator, "PendingMaintenanceActions", [], params)

    def apply_pending_maintenance_action(self, ctx, params: dict) -> dict:
        instance = self._resource(ctx, params["ResourceIdentifier"])
        if params["ApplyAction"] not in ACTIONS:
            raise invalid(f"Invalid value for ApplyAction: {params['ApplyAction']}. Valid values: {', '.join(ACTIONS)}")
        if params["OptInType"] not in OPT_IN:
            raise invalid(f"Invalid value for OptInType: {params['OptInType']}. Valid values: {', '.join(OPT_IN)}")
        raise invalid(f"No pending maintenance action {params['ApplyAction']} for DB instance {instance.identifier}.")
