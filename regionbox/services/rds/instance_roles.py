"""AddRoleToDBInstance and RemoveRoleFromDBInstance: IAM roles an instance uses for a feature
(RDS for PostgreSQL's ``s3Import``, ``s3Export`` and ``Lambda``), shown as AssociatedRoles. The
role must exist in IAM; one role per feature, at most DBInstanceRoles (5) per instance."""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core.arns import Arn
from regionbox.core.errors import ServiceError, invalid
from regionbox.services.rds import validation as check
from regionbox.services.rds.account import quota
from regionbox.services.rds.models import DBInstance, RdsState

FEATURES = ("s3Import", "s3Export", "Lambda")


class InstanceRoles:
    def __init__(self, state: RdsState, iam: Callable[[], Any]) -> None:
        self.state = state
        self.iam = iam

    def _instance(self, ctx, identifier: str) -> DBInstance:
        instance = self.state.instances.get(ctx.scope, identifier.lower())
        if instance is None:
            raise check.instance_not_found(identifier)
        if instance.status != "available":
            raise check.invalid_state(instance.identifier)
        return instance

    def add_role_to_db_instance(self, ctx, params: dict) -> dict:
        instance = self._instance(ctx, params["DBInstanceIdentifier"])
        role_arn, feature = params["RoleArn"], params["FeatureName"]
        if feature not in FEATURES:
            raise invalid(f"The feature-name {feature} is not valid for the engine {instance.engine}. Valid feature names: "
                          f"{', '.join(FEATURES)}")
        try:
            arn = Arn.parse(role_arn)
        except ValueError:
            arn = None
        if arn is None or arn.service != "iam" or not arn.resource.startswith("role/") or \
                self.iam().role(arn.account, arn.resource.rsplit("/", 1)[-1]) is None:
            raise invalid(f"IAM role ARN value is invalid or does not include the required permissions for: {feature}")
        if any(r["RoleArn"] == role_arn for r in instance.associated_roles):
            raise ServiceError("DBInstanceRoleAlreadyExists", f"Role ARN {role_arn} is already associated with DB Instance "
                               f"{instance.identifier}.")
        if any(r["FeatureName"] == feature for r in instance.associated_roles):
            raise ServiceError("DBInstanceRoleAlreadyExists", f"A role is already associated with DB Instance "
                               f"{instance.identifier} for feature {feature}.")
        if len(instance.associated_roles) >= quota("DBInstanceRoles"):
            raise ServiceError("DBInstanceRoleQuotaExceeded", f"You can't associate more than {quota('DBInstanceRoles')} "
                               "roles with a DB instance.")
        instance.associated_roles.append({"RoleArn": role_arn, "FeatureName": feature, "Status": "ACTIVE"})
        self.state.instances.put(ctx.scope, instance.identifier, instance)
        return {}

    def remove_role_from_db_instance(self, ctx, params: dict) -> dict:
        instance = self._instance(ctx, params["DBInstanceIdentifier"])
        kept = [r for r in instance.associated_roles
                if (r["RoleArn"], r["FeatureName"]) != (params["RoleArn"], params["FeatureName"])]
        if len(kept) == len(instance.associated_roles):
            raise ServiceError("DBInstanceRoleNotFound", f"Role ARN {params['RoleArn']} cannot be found for DB Instance "
                               f"{instance.identifier} and feature {params['FeatureName']}.", 404)
        instance.associated_roles = kept
        self.state.instances.put(ctx.scope, instance.identifier, instance)
        return {}
