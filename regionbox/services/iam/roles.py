"""IAM roles: CreateRole ... UpdateAssumeRolePolicy (their tags are tags.py's Tagging). The role's
inline and attached policies are in entity_policies.py, its instance profiles in
instance_profiles.py, its boundary in boundaries.py; service-linked roles in service_linked_roles.py.

Policy documents are stored exactly as given and returned URL-encoded, as IAM does.
"""

from __future__ import annotations

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam import policy
from regionbox.services.iam.boundaries import checked_boundary
from regionbox.services.iam.entities import Entities, encoded, policy_size, with_boundary_and_tags
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.managed_policies import StoredPolicies
from regionbox.services.iam.models import Role
from regionbox.services.iam.state import IamState
from regionbox.services.iam.tags import checked_tags

ROLES_PER_ACCOUNT = 1000


def protect(role: Role) -> None:
    """Raise IAM's error for changing a service-linked role by hand."""
    if role.service_linked:
        raise ServiceError("UnmodifiableEntity", f"Cannot perform the operation on the protected role '{role.name}' - "
                           "this role is only modifiable by AWS", status=400)
TRUST_POLICY_MAX = 2048  # ACLSizePerRole default quota


def role_shape(role: Role) -> dict:
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
    return with_boundary_and_tags(shape, role)


def _checked_trust_policy(document: str) -> None:
    policy.parse(document, trust=True)
    if policy_size(document) > TRUST_POLICY_MAX:
        raise ServiceError("LimitExceeded", f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_MAX}", status=409)


class Roles:
    def __init__(self, roles: Entities[Role], state: IamState, policies: StoredPolicies, listing: Listing) -> None:
        self.roles = roles
        self.state = state  # for the instance profiles that hold a role
        self.policies = policies  # for the permissions boundary
        self.listing = listing

    def create_role(self, ctx: RequestContext, params: dict) -> dict:
        name = params["RoleName"]
        path = params.get("Path") or "/"
        document = params["AssumeRolePolicyDocument"]
        if self.roles.exists(ctx, name):
            raise ServiceError("EntityAlreadyExists", f"Role with name {name} already exists.", status=409)
        if len(self.roles.all(ctx)) >= ROLES_PER_ACCOUNT:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for RolesPerAccount: {ROLES_PER_ACCOUNT}", status=409)
        _checked_trust_policy(document)
        boundary = checked_boundary(ctx, self.policies, params.get("PermissionsBoundary"))
        role = Role(
            name=name,
            role_id=ids.upper_id("AROA", 17),
            arn=ctx.arn("iam", f"role{path}{name}", regional=False),
            path=path,
            assume_role_policy_document=document,
            create_date=clock.epoch(),
            max_session_duration=params.get("MaxSessionDuration") or 3600,
            description=params.get("Description"),
            permissions_boundary=boundary,
            tags=checked_tags(params.get("Tags") or []),
        )
        self.roles.save(ctx, role)
        return {"Role": role_shape(role)}

    def get_role(self, ctx: RequestContext, params: dict) -> dict:
        role = self.roles.named(ctx, params)
        shape = role_shape(role)
        shape["RoleLastUsed"] = ({"LastUsedDate": role.last_used, "Region": role.last_used_region}
                                 if role.last_used else {})
        return {"Role": shape}

    def list_roles(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("PathPrefix") or "/"
        # IAM lists entities in name order.
        roles = sorted((r for r in self.roles.all(ctx) if r.path.startswith(prefix)), key=lambda r: r.name.lower())
        # ListRoles leaves out tags and the boundary, as AWS does.
        return self.listing.page("Roles", roles, params,
                                 lambda r: {k: v for k, v in role_shape(r).items() if k not in ("Tags", "PermissionsBoundary")})

    def delete_role(self, ctx: RequestContext, params: dict) -> dict:
        role = self.roles.named(ctx, params)
        protect(role)
        if self.state.profiles_with_role(ctx.global_scope, role.name):
            raise ServiceError("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.",
                               status=409)
        self.roles.delete(ctx, role)
        return {}

    def update_role(self, ctx: RequestContext, params: dict) -> dict:
        role = self.roles.named(ctx, params)
        if "Description" in params:
            role.description = params["Description"]
        if params.get("MaxSessionDuration") is not None:
            role.max_session_duration = params["MaxSessionDuration"]
        self.roles.save(ctx, role)
        return {}

    def update_role_description(self, ctx: RequestContext, params: dict) -> dict:
        role = self.roles.named(ctx, params)
        role.description = params["Description"]
        self.roles.save(ctx, role)
        return {"Role": role_shape(role)}

    def update_assume_role_policy(self, ctx: RequestContext, params: dict) -> dict:
        role = self.roles.named(ctx, params)
        protect(role)
        document = params["PolicyDocument"]
        _checked_trust_policy(document)
        role.assume_role_policy_document = document
        self.roles.save(ctx, role)
        return {}
