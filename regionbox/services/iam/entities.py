"""What roles and users share: inline policies and attached managed policies.

Each operation pair (PutRolePolicy / PutUserPolicy ...) is one method here, told which kind of
entity it works on; the per-kind differences (error wording, the inline-policy size quota) are
data in ``Kind``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam import policy

ATTACHED_POLICIES_MAX = 10
AWS_MANAGED_POLICY = re.compile(r"arn:aws:iam::aws:policy/([\w+=,.@/-]+)")


@dataclass(frozen=True)
class Kind:
    label: str  # "role" / "user", as IAM's messages name them
    collection: str  # provider attribute holding the entities
    resource_type: str  # CloudTrail resource type
    inline_max: int  # aggregate size quota of the entity's inline policies


ROLE = Kind("role", "roles", "AWS::IAM::Role", 10240)
USER = Kind("user", "users", "AWS::IAM::User", 2048)


def encoded(document: str) -> str:
    # IAM returns documents URL-encoded (RFC 3986); boto3 decodes them back to JSON.
    return quote(document, safe="")


def policy_size(document: str) -> int:
    # IAM counts policy size without whitespace.
    return len("".join(document.split()))


class EntityPoliciesMixin:
    # -- entities --------------------------------------------------------------------------
    def _entity(self, ctx: RequestContext, kind: Kind, name: str) -> Any:
        entity = getattr(self, kind.collection).get(ctx.global_scope, name.lower())
        if entity is None:
            raise ServiceError("NoSuchEntity", f"The {kind.label} with name {name} cannot be found.", status=404)
        return entity

    def _save_entity(self, ctx: RequestContext, kind: Kind, entity: Any) -> None:
        getattr(self, kind.collection).put(ctx.global_scope, entity.name.lower(), entity)
        ctx.touched(kind.resource_type, entity.name)

    def _delete_entity(self, ctx: RequestContext, kind: Kind, entity: Any) -> None:
        if entity.inline_policies:
            raise ServiceError("DeleteConflict", "Cannot delete entity, must delete policies first.", status=409)
        if entity.attached_policies:
            raise ServiceError("DeleteConflict", "Cannot delete entity, must detach all policies first.", status=409)
        getattr(self, kind.collection).delete(ctx.global_scope, entity.name.lower())
        ctx.touched(kind.resource_type, entity.name)

    # -- inline policies -------------------------------------------------------------------
    def _put_inline(self, ctx: RequestContext, kind: Kind, entity_name: str, params: dict) -> dict:
        entity = self._entity(ctx, kind, entity_name)
        name, document = params["PolicyName"], params["PolicyDocument"]
        policy.parse(document, trust=False)
        others = sum(policy_size(d) for n, d in entity.inline_policies.items() if n != name)
        if others + policy_size(document) > kind.inline_max:
            raise ServiceError("LimitExceeded", f"Maximum policy size of {kind.inline_max} bytes exceeded for "
                               f"{kind.label} {entity.name}", status=409)
        entity.inline_policies[name] = document
        self._save_entity(ctx, kind, entity)
        return {}

    def _inline_name(self, kind: Kind, entity: Any, name: str) -> str:
        if name not in entity.inline_policies:
            raise ServiceError("NoSuchEntity", f"The {kind.label} policy with name {name} cannot be found.", status=404)
        return name

    def _get_inline(self, ctx: RequestContext, kind: Kind, entity_name: str, params: dict) -> dict:
        entity = self._entity(ctx, kind, entity_name)
        name = self._inline_name(kind, entity, params["PolicyName"])
        return {f"{kind.label.capitalize()}Name": entity.name, "PolicyName": name,
                "PolicyDocument": encoded(entity.inline_policies[name])}

    def _list_inline(self, ctx: RequestContext, kind: Kind, entity_name: str, params: dict) -> dict:
        entity = self._entity(ctx, kind, entity_name)
        page, marker = self._page(sorted(entity.inline_policies), params)
        return self._truncated({"PolicyNames": page}, marker)

    def _delete_inline(self, ctx: RequestContext, kind: Kind, entity_name: str, params: dict) -> dict:
        entity = self._entity(ctx, kind, entity_name)
        del entity.inline_policies[self._inline_name(kind, entity, params["PolicyName"])]
        self._save_entity(ctx, kind, entity)
        return {}

    # -- attached managed policies ---------------------------------------------------------
    def _attach(self, ctx: RequestContext, kind: Kind, entity_name: str, arn: str) -> dict:
        entity = self._entity(ctx, kind, entity_name)
        managed = None if AWS_MANAGED_POLICY.fullmatch(arn) else self._policy(ctx, arn)
        if arn in entity.attached_policies:
            return {}  # attaching twice changes nothing, as on AWS
        if len(entity.attached_policies) >= ATTACHED_POLICIES_MAX:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for PoliciesPer{kind.label.capitalize()}: "
                               f"{ATTACHED_POLICIES_MAX}", status=409)
        with self.store.transaction():
            entity.attached_policies.append(arn)
            self._save_entity(ctx, kind, entity)
            if managed is not None:
                managed.attachment_count += 1
                self._save_policy(ctx, managed)
        return {}

    def _detach(self, ctx: RequestContext, kind: Kind, entity_name: str, arn: str) -> dict:
        entity = self._entity(ctx, kind, entity_name)
        if arn not in entity.attached_policies:
            raise ServiceError("NoSuchEntity", f"Policy {arn} was not found.", status=404)
        with self.store.transaction():
            entity.attached_policies.remove(arn)
            self._save_entity(ctx, kind, entity)
            if not AWS_MANAGED_POLICY.fullmatch(arn):
                managed = self.policies.get(ctx.global_scope, arn.rsplit("/", 1)[-1].lower())
                if managed is not None and managed.arn == arn:
                    managed.attachment_count = max(0, managed.attachment_count - 1)
                    self._save_policy(ctx, managed)
        return {}

    def _list_attached(self, ctx: RequestContext, kind: Kind, entity_name: str, params: dict) -> dict:
        entity = self._entity(ctx, kind, entity_name)
        prefix = params.get("PathPrefix") or "/"
        attached = [{"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in entity.attached_policies
                    if ("/" + arn.split(":policy/", 1)[-1]).startswith(prefix)]
        page, marker = self._page(attached, params)
        return self._truncated({"AttachedPolicies": page}, marker)
