"""IAM roles; users and access keys (users.py); managed policies (managed.py); instance profiles
(instance_profiles.py); inline and attached policies of both roles and users (entities.py).

IAM is global: roles live in the account's global scope, so a role created through any region's
endpoint is the same role everywhere. Role names are unique per account regardless of case, as on
AWS. Policy documents are stored exactly as given and returned URL-encoded, as IAM does.
"""

from __future__ import annotations

from typing import ClassVar

from regionbox.core import clock, ids
from regionbox.core.arns import Arn
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import InvalidToken
from regionbox.services.base import Provider
from regionbox.services.iam import policy
from regionbox.services.iam.entities import ROLE, EntityPoliciesMixin, encoded, policy_size
from regionbox.services.iam.instance_profiles import InstanceProfilesMixin
from regionbox.services.iam.managed import ManagedPoliciesMixin
from regionbox.services.iam.models import InstanceProfile, ManagedPolicy, Role, User
from regionbox.services.iam.users import UsersMixin

ROLES_PER_ACCOUNT = 1000
TRUST_POLICY_MAX = 2048  # ACLSizePerRole default quota
TAGS_MAX = 50


def validation_error(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, status=400)


class IamProvider(UsersMixin, InstanceProfilesMixin, ManagedPoliciesMixin, EntityPoliciesMixin, Provider):
    service: ClassVar[str] = "iam"

    def __init__(self, cloud) -> None:
        super().__init__(cloud)
        self.roles = self.store.collection("iam.roles", Role)
        self.users = self.store.collection("iam.users", User)
        self.policies = self.store.collection("iam.policies", ManagedPolicy)
        self.instance_profiles = self.store.collection("iam.instance_profiles", InstanceProfile)

    # -- lookups other services use (STS AssumeRole) -----------------------------------------
    def role_by_arn(self, role_arn: str) -> Role | None:
        try:
            arn = Arn.parse(role_arn)
        except ValueError:
            return None
        if arn.service != "iam" or not arn.resource.startswith("role/"):
            return None
        name = arn.resource.rsplit("/", 1)[-1]
        role = self.roles.get((arn.account, ""), name.lower())
        return role if role is not None and role.arn == role_arn else None

    def _role(self, ctx: RequestContext, name: str) -> Role:
        return self._entity(ctx, ROLE, name)

    def _save_role(self, ctx: RequestContext, role: Role) -> None:
        self._save_entity(ctx, ROLE, role)

    # -- roles ---------------------------------------------------------------------------------
    def _role_shape(self, role: Role) -> dict:
        shape = {
            "Path": role.path,
            "RoleName": role.name,
            "RoleId": role.role_id,
            "Arn": role.arn,
            "CreateDate": role.create_date,
            "AssumeRolePolicyDocument": encoded(role.assume_role_policy_document),
            "MaxSessionDuration": role.max_session_duration,
        }
        if role.description is not None:
            shape["Description"] = role.description
        if role.permissions_boundary:
            shape["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                            "PermissionsBoundaryArn": role.permissions_boundary}
        if role.tags:
            shape["Tags"] = role.tags
        return shape

    def create_role(self, ctx: RequestContext, params: dict) -> dict:
        name = params["RoleName"]
        path = params.get("Path") or "/"
        document = params["AssumeRolePolicyDocument"]
        if self.roles.get(ctx.global_scope, name.lower()) is not None:
            raise ServiceError("EntityAlreadyExists", f"Role with name {name} already exists.", status=409)
        if len(self.roles.values(ctx.global_scope)) >= ROLES_PER_ACCOUNT:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for RolesPerAccount: {ROLES_PER_ACCOUNT}", status=409)
        policy.parse(document, trust=True)
        if policy_size(document) > TRUST_POLICY_MAX:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_MAX}", status=409)
        tags = self._checked_tags(params.get("Tags") or [])
        role = Role(
            name=name,
            role_id=ids.upper_id("AROA", 17),
            arn=f"arn:aws:iam::{ctx.account_id}:role{path}{name}",
            path=path,
            assume_role_policy_document=document,
            create_date=clock.epoch(),
            max_session_duration=params.get("MaxSessionDuration") or 3600,
            description=params.get("Description"),
            permissions_boundary=params.get("PermissionsBoundary"),
            tags=tags,
        )
        self._save_role(ctx, role)
        return {"Role": self._role_shape(role)}

    def get_role(self, ctx: RequestContext, params: dict) -> dict:
        role = self._role(ctx, params["RoleName"])
        shape = self._role_shape(role)
        shape["RoleLastUsed"] = ({"LastUsedDate": role.last_used, "Region": role.last_used_region}
                                 if role.last_used else {})
        return {"Role": shape}

    def list_roles(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("PathPrefix") or "/"
        # IAM lists entities in name order.
        roles = sorted((r for r in self.roles.values(ctx.global_scope) if r.path.startswith(prefix)),
                       key=lambda r: r.name.lower())
        # ListRoles leaves out tags and the boundary, as AWS does.
        page, marker = self._page(roles, params)
        shapes = [{k: v for k, v in self._role_shape(r).items() if k not in ("Tags", "PermissionsBoundary")} for r in page]
        return self._truncated({"Roles": shapes}, marker)

    def delete_role(self, ctx: RequestContext, params: dict) -> dict:
        role = self._role(ctx, params["RoleName"])
        if self.profiles_with_role(ctx, role):
            raise ServiceError("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.",
                               status=409)
        self._delete_entity(ctx, ROLE, role)
        return {}

    def update_role(self, ctx: RequestContext, params: dict) -> dict:
        role = self._role(ctx, params["RoleName"])
        if "Description" in params:
            role.description = params["Description"]
        if params.get("MaxSessionDuration") is not None:
            role.max_session_duration = params["MaxSessionDuration"]
        self._save_role(ctx, role)
        return {}

    def update_role_description(self, ctx: RequestContext, params: dict) -> dict:
        role = self._role(ctx, params["RoleName"])
        role.description = params["Description"]
        self._save_role(ctx, role)
        return {"Role": self._role_shape(role)}

    def update_assume_role_policy(self, ctx: RequestContext, params: dict) -> dict:
        role = self._role(ctx, params["RoleName"])
        document = params["PolicyDocument"]
        policy.parse(document, trust=True)
        if policy_size(document) > TRUST_POLICY_MAX:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_MAX}", status=409)
        role.assume_role_policy_document = document
        self._save_role(ctx, role)
        return {}

    # -- the role's inline and attached policies ----------------------------------------------
    def put_role_policy(self, ctx: RequestContext, params: dict) -> dict:
        return self._put_inline(ctx, ROLE, params["RoleName"], params)

    def get_role_policy(self, ctx: RequestContext, params: dict) -> dict:
        return self._get_inline(ctx, ROLE, params["RoleName"], params)

    def list_role_policies(self, ctx: RequestContext, params: dict) -> dict:
        return self._list_inline(ctx, ROLE, params["RoleName"], params)

    def delete_role_policy(self, ctx: RequestContext, params: dict) -> dict:
        return self._delete_inline(ctx, ROLE, params["RoleName"], params)

    def attach_role_policy(self, ctx: RequestContext, params: dict) -> dict:
        return self._attach(ctx, ROLE, params["RoleName"], params["PolicyArn"])

    def detach_role_policy(self, ctx: RequestContext, params: dict) -> dict:
        return self._detach(ctx, ROLE, params["RoleName"], params["PolicyArn"])

    def list_attached_role_policies(self, ctx: RequestContext, params: dict) -> dict:
        return self._list_attached(ctx, ROLE, params["RoleName"], params)

    # -- tags ------------------------------------------------------------------------------
    def _checked_tags(self, tags: list[dict], existing: list[dict] = ()) -> list[dict]:
        merged = {t["Key"]: t for t in existing}
        seen: set[str] = set()
        for tag in tags:
            if tag["Key"].lower() in seen:
                raise ServiceError("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
            seen.add(tag["Key"].lower())
            merged[tag["Key"]] = {"Key": tag["Key"], "Value": tag.get("Value", "")}
        if len(merged) > TAGS_MAX:
            raise ServiceError("LimitExceeded", "The number of tags has reached the maximum limit.", status=409)
        return list(merged.values())

    def tag_role(self, ctx: RequestContext, params: dict) -> dict:
        role = self._role(ctx, params["RoleName"])
        role.tags = self._checked_tags(params["Tags"], role.tags)
        self._save_role(ctx, role)
        return {}

    def untag_role(self, ctx: RequestContext, params: dict) -> dict:
        role = self._role(ctx, params["RoleName"])
        removed = set(params["TagKeys"])
        role.tags = [t for t in role.tags if t["Key"] not in removed]
        self._save_role(ctx, role)
        return {}

    def list_role_tags(self, ctx: RequestContext, params: dict) -> dict:
        role = self._role(ctx, params["RoleName"])
        page, marker = self._page(role.tags, params)
        return self._truncated({"Tags": page}, marker)

    # -- Marker / MaxItems pagination, shared by every List* --------------------------------
    def _page(self, items: list, params: dict) -> tuple[list, str | None]:
        try:
            return self.cloud.paginator.page(items, params.get("Marker"), params.get("MaxItems"), default_limit=100)
        except InvalidToken:
            raise validation_error("Invalid Marker.") from None

    @staticmethod
    def _truncated(result: dict, marker: str | None) -> dict:
        result["IsTruncated"] = marker is not None
        if marker:
            result["Marker"] = marker
        return result
