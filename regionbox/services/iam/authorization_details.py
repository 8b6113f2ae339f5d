"""Reports across the account's entities and policies: GetAccountAuthorizationDetails (users,
groups, roles and policies with their documents), ListEntitiesForPolicy (who holds a policy, as
a permissions policy or a boundary) and ListPoliciesGrantingServiceAccess (which of an entity's
policies allow a service at all)."""

from __future__ import annotations

import json
from typing import Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam import aws_managed
from regionbox.services.iam.entities import encoded
from regionbox.services.iam.groups import group_shape
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.managed_policies import ManagedPolicies, StoredPolicies
from regionbox.services.iam.roles import role_shape
from regionbox.services.iam.state import IamState
from regionbox.services.iam.users import user_shape


def _attached(arns: list[str]) -> list[dict]:
    return [{"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in arns]


def _inline(policies: dict[str, str]) -> list[dict]:
    return [{"PolicyName": name, "PolicyDocument": encoded(document)} for name, document in sorted(policies.items())]


def _allows_service(document: str, namespace: str) -> bool:
    statements = json.loads(document).get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            return True
        actions = statement.get("Action")
        for action in actions if isinstance(actions, list) else [actions]:
            prefix = str(action).split(":", 1)[0].lower()
            if prefix == namespace.lower() or prefix == "*" or ("*" in prefix and namespace.lower().startswith(prefix.rstrip("*"))):
                return True
    return False


class AuthorizationDetails:
    def __init__(self, state: IamState, policies: StoredPolicies, managed: ManagedPolicies,
                 documents: Callable[[str, str], str | None], listing: Listing) -> None:
        self.state = state
        self.policies = policies
        self.managed = managed
        self.documents = documents
        self.listing = listing

    def get_account_authorization_details(self, ctx: RequestContext, params: dict) -> dict:
        wanted = set(params.get("Filter") or ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"])
        scope = ctx.global_scope
        items: list[tuple[str, dict]] = []
        if "User" in wanted:
            for user in sorted(self.state.users.values(scope), key=lambda u: u.name.lower()):
                shape = user_shape(user)
                shape.pop("PasswordLastUsed", None)
                shape["UserPolicyList"] = _inline(user.inline_policies)
                shape["GroupList"] = [g.name for g in self.state.groups_of(scope, user.name)]
                shape["AttachedManagedPolicies"] = _attached(user.attached_policies)
                items.append(("UserDetailList", shape))
        if "Group" in wanted:
            for group in sorted(self.state.groups.values(scope), key=lambda g: g.name.lower()):
                items.append(("GroupDetailList", {**group_shape(group), "GroupPolicyList": _inline(group.inline_policies),
                                                  "AttachedManagedPolicies": _attached(group.attached_policies)}))
        if "Role" in wanted:
            for role in sorted(self.state.roles.values(scope), key=lambda r: r.name.lower()):
                shape = role_shape(role)
                shape.pop("MaxSessionDuration", None)
                shape.pop("Description", None)
                shape["InstanceProfileList"] = [
                    {"Path": p.path, "InstanceProfileName": p.name, "InstanceProfileId": p.profile_id, "Arn": p.arn,
                     "CreateDate": p.create_date, "Roles": [role_shape(role)]}
                    for p in self.state.profiles_with_role(scope, role.name)]
                shape["RolePolicyList"] = _inline(role.inline_policies)
                shape["AttachedManagedPolicies"] = _attached(role.attached_policies)
                shape["RoleLastUsed"] = {"LastUsedDate": role.last_used, "Region": role.last_used_region} \
                    if role.last_used else {}
                items.append(("RoleDetailList", shape))
        policy_scopes = [s for s, f in (("Local", "LocalManagedPolicy"), ("AWS", "AWSManagedPolicy")) if f in wanted]
        for policy_scope in policy_scopes:
            for shape in self.managed.all_shapes(ctx, policy_scope):
                # AWS's managed policies appear once the account uses them.
                if policy_scope == "AWS" and not (shape["AttachmentCount"] or shape["PermissionsBoundaryUsageCount"]):
                    continue
                items.append(("Policies", {**shape, "PolicyVersionList": self._versions(ctx, shape["Arn"])}))
        page = self.listing.page("_items", items, params)
        result: dict = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [],
                        "IsTruncated": page["IsTruncated"]}
        for member, shape in page["_items"]:
            if member == "Policies":
                shape.pop("Tags", None)
            result[member].append(shape)
        if page.get("Marker"):
            result["Marker"] = page["Marker"]
        return result

    def _versions(self, ctx: RequestContext, arn: str) -> list[dict]:
        aws = aws_managed.find(arn)
        if aws is not None:
            return [{"Document": encoded(aws.document), "VersionId": aws.version_id, "IsDefaultVersion": True,
                     "CreateDate": aws.update_date}]
        managed = self.policies.get(ctx, arn)
        return [{"Document": encoded(v.document), "VersionId": v.version_id,
                 "IsDefaultVersion": v.version_id == managed.default_version_id, "CreateDate": v.create_date}
                for v in managed.versions]

    def list_entities_for_policy(self, ctx: RequestContext, params: dict) -> dict:
        arn = params["PolicyArn"]
        if self.documents(ctx.account_id, arn) is None:
            raise ServiceError("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.", status=404)
        usage = params.get("PolicyUsageFilter")
        kinds = {"User": ("PolicyUsers", self.state.users, "UserName", "user_id", "UserId"),
                 "Role": ("PolicyRoles", self.state.roles, "RoleName", "role_id", "RoleId"),
                 "Group": ("PolicyGroups", self.state.groups, "GroupName", "group_id", "GroupId")}
        wanted = params.get("EntityFilter")
        prefix = params.get("PathPrefix") or "/"
        items = []
        for kind, (member, collection, name_member, id_attr, id_member) in kinds.items():
            if wanted and wanted != kind:
                continue
            for entity in sorted(collection.values(ctx.global_scope), key=lambda e: e.name.lower()):
                attached = arn in entity.attached_policies
                boundary = entity.permissions_boundary == arn
                used = {"PermissionsPolicy": attached, "PermissionsBoundary": boundary}.get(usage, attached or boundary)
                if used and entity.path.startswith(prefix):
                    items.append((member, {name_member: entity.name, id_member: getattr(entity, id_attr)}))
        page = self.listing.page("_items", items, params)
        result: dict = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": [], "IsTruncated": page["IsTruncated"]}
        for member, shape in page["_items"]:
            result[member].append(shape)
        if page.get("Marker"):
            result["Marker"] = page["Marker"]
        return result

    def list_policies_granting_service_access(self, ctx: RequestContext, params: dict) -> dict:
        arn = params["Arn"]
        try:
            kind, entity = self.state.entity_at(ctx.global_scope, arn)
        except ValueError:
            raise ServiceError("InvalidInput", f"ARN {arn} is not valid.") from None
        if entity is None:
            raise ServiceError("NoSuchEntity", f"The entity {arn} cannot be found.", status=404)
        holders = self.state.policy_holders(ctx.global_scope, kind, entity)
        answer = []
        for namespace in params["ServiceNamespaces"]:
            granting = []
            for holder, holder_kind in holders:
                for name, document in sorted(holder.inline_policies.items()):
                    if _allows_service(document, namespace):
                        granting.append({"PolicyName": name, "PolicyType": "INLINE", "EntityType": holder_kind.upper(),
                                         "EntityName": holder.name})
                for policy_arn in holder.attached_policies:
                    document = self.documents(ctx.account_id, policy_arn)
                    if document and _allows_service(document, namespace):
                        granting.append({"PolicyName": policy_arn.rsplit("/", 1)[-1], "PolicyType": "MANAGED",
                                         "PolicyArn": policy_arn})
            answer.append({"ServiceNamespace": namespace, "Policies": granting})
        return {"PoliciesGrantingServiceAccess": answer, "IsTruncated": False}
