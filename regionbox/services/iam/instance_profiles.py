"""Instance profiles: the container that hands a role to EC2 instances (one role each)."""

from __future__ import annotations

from regionbox.core import clock, ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam.models import InstanceProfile, Role

ROLES_PER_PROFILE = 1
PROFILE_RESOURCE = "AWS::IAM::InstanceProfile"


class InstanceProfilesMixin:
    def _profile(self, ctx: RequestContext, name: str) -> InstanceProfile:
        profile = self.instance_profiles.get(ctx.global_scope, name.lower())
        if profile is None:
            raise ServiceError("NoSuchEntity", f"Instance Profile {name} cannot be found.", status=404)
        return profile

    def _save_profile(self, ctx: RequestContext, profile: InstanceProfile) -> None:
        self.instance_profiles.put(ctx.global_scope, profile.name.lower(), profile)
        ctx.touched(PROFILE_RESOURCE, profile.name)

    def _profile_shape(self, ctx: RequestContext, profile: InstanceProfile) -> dict:
        roles = [self.roles.get(ctx.global_scope, name.lower()) for name in profile.role_names]
        shape = {"Path": profile.path, "InstanceProfileName": profile.name, "InstanceProfileId": profile.profile_id,
                 "Arn": profile.arn, "CreateDate": profile.create_date,
                 "Roles": [self._role_shape(r) for r in roles if r is not None]}
        if profile.tags:
            shape["Tags"] = profile.tags
        return shape

    def profiles_with_role(self, ctx: RequestContext, role: Role) -> list[InstanceProfile]:
        return [p for p in self.instance_profiles.values(ctx.global_scope) if role.name in p.role_names]

    def create_instance_profile(self, ctx: RequestContext, params: dict) -> dict:
        name, path = params["InstanceProfileName"], params.get("Path") or "/"
        if self.instance_profiles.get(ctx.global_scope, name.lower()) is not None:
            raise ServiceError("EntityAlreadyExists", f"Instance Profile {name} already exists.", status=409)
        profile = InstanceProfile(name=name, profile_id=ids.upper_id("AIPA", 17),
                                  arn=f"arn:aws:iam::{ctx.account_id}:instance-profile{path}{name}", path=path,
                                  create_date=clock.epoch(), tags=self._checked_tags(params.get("Tags") or []))
        self._save_profile(ctx, profile)
        return {"InstanceProfile": self._profile_shape(ctx, profile)}

    def get_instance_profile(self, ctx: RequestContext, params: dict) -> dict:
        return {"InstanceProfile": self._profile_shape(ctx, self._profile(ctx, params["InstanceProfileName"]))}

    def delete_instance_profile(self, ctx: RequestContext, params: dict) -> dict:
        profile = self._profile(ctx, params["InstanceProfileName"])
        if profile.role_names:
            raise ServiceError("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.",
                               status=409)
        self.instance_profiles.delete(ctx.global_scope, profile.name.lower())
        ctx.touched(PROFILE_RESOURCE, profile.name)
        return {}

    def _list_profiles(self, ctx: RequestContext, profiles: list[InstanceProfile], params: dict) -> dict:
        profiles = sorted(profiles, key=lambda p: p.name.lower())
        page, marker = self._page(profiles, params)
        return self._truncated({"InstanceProfiles": [self._profile_shape(ctx, p) for p in page]}, marker)

    def list_instance_profiles(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("PathPrefix") or "/"
        return self._list_profiles(ctx, [p for p in self.instance_profiles.values(ctx.global_scope)
                                         if p.path.startswith(prefix)], params)

    def list_instance_profiles_for_role(self, ctx: RequestContext, params: dict) -> dict:
        return self._list_profiles(ctx, self.profiles_with_role(ctx, self._role(ctx, params["RoleName"])), params)

    def add_role_to_instance_profile(self, ctx: RequestContext, params: dict) -> dict:
        profile = self._profile(ctx, params["InstanceProfileName"])
        role = self._role(ctx, params["RoleName"])
        if len(profile.role_names) >= ROLES_PER_PROFILE:
            raise ServiceError("LimitExceeded",
                               f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}", status=409)
        profile.role_names.append(role.name)
        self._save_profile(ctx, profile)
        return {}

    def remove_role_from_instance_profile(self, ctx: RequestContext, params: dict) -> dict:
        profile = self._profile(ctx, params["InstanceProfileName"])
        role = self._role(ctx, params["RoleName"])
        if role.name not in profile.role_names:
            raise ServiceError("NoSuchEntity", f"The role with name {role.name} cannot be found.", status=404)
        profile.role_names.remove(role.name)
        self._save_profile(ctx, profile)
        return {}
