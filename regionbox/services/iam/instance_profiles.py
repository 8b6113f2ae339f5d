"""Instance profiles: the container that hands a role to EC2 instances (one role each)."""

from __future__ import annotations

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam.entities import Entities
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import InstanceProfile, Role
from regionbox.services.iam.roles import role_shape
from regionbox.services.iam.state import IamState
from regionbox.services.iam.tags import checked_tags

ROLES_PER_PROFILE = 1
PROFILE_RESOURCE = "AWS::IAM::InstanceProfile"


class InstanceProfiles:
    def __init__(self, state: IamState, roles: Entities[Role], listing: Listing) -> None:
        self.profiles = state.instance_profiles
        self.state = state
        self.roles = roles
        self.listing = listing

    def profile(self, ctx: RequestContext, name: str) -> InstanceProfile:
        profile = self.profiles.get(ctx.global_scope, name.lower())
        if profile is None:
            raise ServiceError("NoSuchEntity", f"Instance Profile {name} cannot be found.", status=404)
        return profile

    def save(self, ctx: RequestContext, profile: InstanceProfile) -> None:
        self.profiles.put(ctx.global_scope, profile.name.lower(), profile)
        ctx.touched(PROFILE_RESOURCE, profile.name)

    def _shape(self, ctx: RequestContext, profile: InstanceProfile) -> dict:
        roles = [self.roles.find(ctx, name) for name in profile.role_names]
        shape = {"Path": profile.path, "InstanceProfileName": profile.name, "InstanceProfileId": profile.profile_id,
                 "Arn": profile.arn, "CreateDate": profile.create_date,
                 "Roles": [role_shape(r) for r in roles if r is not None]}
        if profile.tags:
            shape["Tags"] = profile.tags
        return shape

    def create_instance_profile(self, ctx: RequestContext, params: dict) -> dict:
        name, path = params["InstanceProfileName"], params.get("Path") or "/"
        if (ctx.global_scope, name.lower()) in self.profiles:
            raise ServiceError("EntityAlreadyExists", f"Instance Profile {name} already exists.", status=409)
        profile = InstanceProfile(name=name, profile_id=ids.upper_id("AIPA", 17),
                                  arn=ctx.arn("iam", f"instance-profile{path}{name}", regional=False), path=path,
                                  create_date=clock.epoch(), tags=checked_tags(params.get("Tags") or [], (), False))
        self.save(ctx, profile)
        return {"InstanceProfile": self._shape(ctx, profile)}

    def get_instance_profile(self, ctx: RequestContext, params: dict) -> dict:
        return {"InstanceProfile": self._shape(ctx, self.profile(ctx, params["InstanceProfileName"]))}

    def delete_instance_profile(self, ctx: RequestContext, params: dict) -> dict:
        profile = self.profile(ctx, params["InstanceProfileName"])
        if profile.role_names:
            raise ServiceError("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.",
                               status=409)
        self.profiles.delete(ctx.global_scope, profile.name.lower())
        ctx.touched(PROFILE_RESOURCE, profile.name)
        return {}

    def _list(self, ctx: RequestContext, profiles: list[InstanceProfile], params: dict) -> dict:
        profiles = sorted(profiles, key=lambda p: p.name.lower())
        return self.listing.page("InstanceProfiles", profiles, params, lambda p: self._shape(ctx, p))

    def list_instance_profiles(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("PathPrefix") or "/"
        return self._list(ctx, [p for p in self.profiles.values(ctx.global_scope) if p.path.startswith(prefix)], params)

    def list_instance_profiles_for_role(self, ctx: RequestContext, params: dict) -> dict:
        role = self.roles.named(ctx, params)
        return self._list(ctx, self.state.profiles_with_role(ctx.global_scope, role.name), params)

    def add_role_to_instance_profile(self, ctx: RequestContext, params: dict) -> dict:
        profile = self.profile(ctx, params["InstanceProfileName"])
        role = self.roles.named(ctx, params)
        if len(profile.role_names) >= ROLES_PER_PROFILE:
            raise ServiceError("LimitExceeded",
                               f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}", status=409)
        profile.role_names.append(role.name)
        self.save(ctx, profile)
        return {}

    def remove_role_from_instance_profile(self, ctx: RequestContext, params: dict) -> dict:
        profile = self.profile(ctx, params["InstanceProfileName"])
        role = self.roles.named(ctx, params)
        if role.name not in profile.role_names:
            raise ServiceError("NoSuchEntity", f"The role with name {role.name} cannot be found.", status=404)
        profile.role_names.remove(role.name)
        self.save(ctx, profile)
        return {}
