"""The inline and attached policies of a role, a user or a group: PutRolePolicy / PutUserPolicy /
PutGroupPolicy and the rest of those triples are one implementation, built once for each kind."""

from __future__ import annotations

from typing import Any, Callable

from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.store import Store
from regionbox.services.iam import aws_managed, policy
from regionbox.services.iam.entities import Entities, encoded, policy_size
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.managed_policies import StoredPolicies

ATTACHED_POLICIES_MAX = 10


class EntityPolicies:
    """Inline and attached policies of the entities in ``entities`` (the roles, the users or the groups)."""

    def __init__(self, entities: Entities, policies: StoredPolicies, store: Store, listing: Listing,
                 protect: Callable[[Any], None] = lambda entity: None) -> None:
        self.entities = entities
        self.protect = protect  # raises for entities only AWS may change (service-linked roles)
        self.kind = entities.kind
        self.policies = policies
        self.store = store
        self.listing = listing

    # -- inline policies -------------------------------------------------------------------
    def put_inline(self, ctx: RequestContext, params: dict) -> dict:
        entity = self.entities.named(ctx, params)
        self.protect(entity)
        name, document = params["PolicyName"], params["PolicyDocument"]
        policy.parse(document, trust=False)
        others = sum(policy_size(d) for n, d in entity.inline_policies.items() if n != name)
        if others + policy_size(document) > self.kind.inline_max:
            raise ServiceError("LimitExceeded", f"Maximum policy size of {self.kind.inline_max} bytes exceeded for "
                               f"{self.kind.label} {entity.name}", status=409)
        entity.inline_policies[name] = document
        self.entities.save(ctx, entity)
        return {}

    def _inline_name(self, entity, name: str) -> str:
        if name not in entity.inline_policies:
            raise ServiceError("NoSuchEntity", f"The {self.kind.label} policy with name {name} cannot be found.", status=404)
        return name

    def get_inline(self, ctx: RequestContext, params: dict) -> dict:
        entity = self.entities.named(ctx, params)
        name = self._inline_name(entity, params["PolicyName"])
        return {self.kind.name_member: entity.name, "PolicyName": name,
                "PolicyDocument": encoded(entity.inline_policies[name])}

    def list_inline(self, ctx: RequestContext, params: dict) -> dict:
        entity = self.entities.named(ctx, params)
        return self.listing.page("PolicyNames", sorted(entity.inline_policies), params)

    def delete_inline(self, ctx: RequestContext, params: dict) -> dict:
        entity = self.entities.named(ctx, params)
        self.protect(entity)
        del entity.inline_policies[self._inline_name(entity, params["PolicyName"])]
        self.entities.save(ctx, entity)
        return {}

    # -- attached managed policies ---------------------------------------------------------
    def attach(self, ctx: RequestContext, params: dict) -> dict:
        entity = self.entities.named(ctx, params)
        self.protect(entity)
        arn = params["PolicyArn"]
        managed = None if aws_managed.is_aws_managed(arn) else self.policies.get(ctx, arn)
        if arn in entity.attached_policies:
            return {}  # attaching twice changes nothing, as on AWS
        if len(entity.attached_policies) >= ATTACHED_POLICIES_MAX:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for PoliciesPer{self.kind.label.capitalize()}: "
                               f"{ATTACHED_POLICIES_MAX}", status=409)
        with self.store.transaction():
            entity.attached_policies.append(arn)
            self.entities.save(ctx, entity)
            if managed is not None:
                managed.attachment_count += 1
                self.policies.save(ctx, managed)
        return {}

    def detach(self, ctx: RequestContext, params: dict) -> dict:
        entity = self.entities.named(ctx, params)
        self.protect(entity)
        arn = params["PolicyArn"]
        if arn not in entity.attached_policies:
            raise ServiceError("NoSuchEntity", f"Policy {arn} was not found.", status=404)
        with self.store.transaction():
            entity.attached_policies.remove(arn)
            self.entities.save(ctx, entity)
            managed = None if aws_managed.is_aws_managed(arn) else self.policies.find(ctx, arn)
            if managed is not None:
                managed.attachment_count = max(0, managed.attachment_count - 1)
                self.policies.save(ctx, managed)
        return {}

    def list_attached(self, ctx: RequestContext, params: dict) -> dict:
        entity = self.entities.named(ctx, params)
        prefix = params.get("PathPrefix") or "/"
        attached = [{"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in entity.attached_policies
                    if ("/" + arn.split(":policy/", 1)[-1]).startswith(prefix)]
        return self.listing.page("AttachedPolicies", attached, params)
