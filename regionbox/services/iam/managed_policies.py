"""Managed policies and their versions (attaching them to roles, users and groups is in
entity_policies.py).

Customer managed policies are the account's own: at most five versions each, one of them the
default. AWS's own managed policies (``arn:aws:iam::aws:policy/...``, in the region's partition)
are in every account: the ones in regionbox's catalogue (aws_managed.py, with AWS's documents)
are listed by ``ListPolicies(Scope=AWS)`` and answer GetPolicy and GetPolicyVersion, with their
attachment counts in the caller's account; none can be changed or deleted. An AWS ARN outside the
catalogue still attaches (templates attach many) but grants nothing.
"""

from __future__ import annotations

import base64
import hashlib

from regionbox.core import clock, ids
from regionbox.core.arns import Arn
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.core.store import Collection
from regionbox.services.iam import aws_managed, policy
from regionbox.services.iam.entities import encoded, policy_size
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.models import ManagedPolicy, PolicyVersion
from regionbox.services.iam.state import IamState
from regionbox.services.iam.tags import checked_tags

POLICY_SIZE_MAX = 6144  # characters, whitespace excluded
VERSIONS_MAX = 5
POLICY_RESOURCE = "AWS::IAM::Policy"


def _no_such_policy(arn: str) -> ServiceError:
    return ServiceError("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.", status=404)


class StoredPolicies:
    """The account's managed policies, found by ARN."""

    def __init__(self, collection: Collection[ManagedPolicy]) -> None:
        self.collection = collection

    def find(self, ctx: RequestContext, arn: str) -> ManagedPolicy | None:
        try:
            parsed = Arn.parse(arn)
        except ValueError:
            return None
        if parsed.account != ctx.account_id or not parsed.resource.startswith("policy/"):
            return None
        found = self.collection.get(ctx.global_scope, parsed.resource.rsplit("/", 1)[-1].lower())
        return found if found is not None and found.arn == arn else None

    def get(self, ctx: RequestContext, arn: str) -> ManagedPolicy:
        found = self.find(ctx, arn)
        if found is None:
            raise _no_such_policy(arn)
        return found

    def exists(self, ctx: RequestContext, name: str) -> bool:
        return (ctx.global_scope, name.lower()) in self.collection

    def all(self, ctx: RequestContext) -> list[ManagedPolicy]:
        return self.collection.values(ctx.global_scope)

    def save(self, ctx: RequestContext, managed: ManagedPolicy) -> None:
        self.collection.put(ctx.global_scope, managed.name.lower(), managed)
        ctx.touched(POLICY_RESOURCE, managed.arn)

    def delete(self, ctx: RequestContext, managed: ManagedPolicy) -> None:
        self.collection.delete(ctx.global_scope, managed.name.lower())
        ctx.touched(POLICY_RESOURCE, managed.arn)


class PolicyUsage:
    """How many of the account's roles, users and groups use a policy: as an attached policy
    (AttachmentCount), as a permissions boundary (PermissionsBoundaryUsageCount)."""

    def __init__(self, state: IamState) -> None:
        self.state = state

    def entities(self, ctx: RequestContext) -> list:
        scope = ctx.global_scope
        return [*self.state.roles.values(scope), *self.state.users.values(scope), *self.state.groups.values(scope)]

    def counts(self, ctx: RequestContext) -> dict[str, list[int]]:
        """ARN -> [attachments, boundary uses], over the whole account in one pass."""
        found: dict[str, list[int]] = {}
        for entity in self.entities(ctx):
            for arn in entity.attached_policies:
                found.setdefault(arn, [0, 0])[0] += 1
            if entity.permissions_boundary:
                found.setdefault(entity.permissions_boundary, [0, 0])[1] += 1
        return found


def _checked_document(document: str) -> None:
    policy.parse(document, trust=False)
    if policy_size(document) > POLICY_SIZE_MAX:
        raise ServiceError("LimitExceeded", f"Cannot exceed quota for PolicySize: {POLICY_SIZE_MAX}", status=409)


def _policy_shape(managed: ManagedPolicy, boundary_uses: int = 0) -> dict:
    shape = {
        "PolicyName": managed.name, "PolicyId": managed.policy_id, "Arn": managed.arn, "Path": managed.path,
        "DefaultVersionId": managed.default_version_id, "AttachmentCount": managed.attachment_count,
        "PermissionsBoundaryUsageCount": boundary_uses, "IsAttachable": True,
        "CreateDate": managed.create_date, "UpdateDate": managed.update_date,
    }
    if managed.description:
        shape["Description"] = managed.description
    if managed.tags:
        shape["Tags"] = managed.tags
    return shape


def aws_policy_id(aws: aws_managed.AwsManagedPolicy) -> str:
    # The same id in every account and every run, as AWS's policies have.
    return "ANPA" + base64.b32encode(hashlib.sha256(aws.name.encode()).digest()).decode()[:17]


def _aws_policy_shape(aws: aws_managed.AwsManagedPolicy, arn: str, counts: list[int] | None = None) -> dict:
    """An AWS managed policy as the caller's account sees it: its attachment counts are the account's."""
    attachments, boundary_uses = counts or (0, 0)
    return {"PolicyName": aws.name, "PolicyId": aws_policy_id(aws), "Arn": arn,
            "Path": aws.path, "DefaultVersionId": aws.version_id, "AttachmentCount": attachments,
            "PermissionsBoundaryUsageCount": boundary_uses,
            "IsAttachable": True, "CreateDate": aws.create_date, "UpdateDate": aws.update_date}


def _aws_version_shape(aws: aws_managed.AwsManagedPolicy, with_document: bool = True) -> dict:
    shape = {"VersionId": aws.version_id, "IsDefaultVersion": True, "CreateDate": aws.update_date}
    if with_document:
        shape["Document"] = encoded(aws.document)
    return shape


def _not_aws_managed(arn: str) -> None:
    """AWS's own policies belong to AWS: an account may attach them, never change them."""
    if aws_managed.is_aws_managed(arn):
        raise ServiceError("AccessDenied", f"Policy {arn} is an AWS managed policy: it cannot be modified or deleted "
                           "in an account.", status=403)


def _version_shape(managed: ManagedPolicy, version: PolicyVersion, with_document: bool = True) -> dict:
    shape = {"VersionId": version.version_id, "IsDefaultVersion": version.version_id == managed.default_version_id,
             "CreateDate": version.create_date}
    if with_document:
        # Documents come back URL-encoded, as IAM returns them.
        shape["Document"] = encoded(version.document)
    return shape


class ManagedPolicies:
    """CreatePolicy, GetPolicy, ListPolicies, DeletePolicy and the policy versions."""

    def __init__(self, policies: StoredPolicies, usage: PolicyUsage, listing: Listing) -> None:
        self.policies = policies
        self.usage = usage
        self.listing = listing

    def create_policy(self, ctx: RequestContext, params: dict) -> dict:
        name, path = params["PolicyName"], params.get("Path") or "/"
        if self.policies.exists(ctx, name):
            raise ServiceError("EntityAlreadyExists",
                               f"A policy called {name} already exists. Duplicate names are not allowed.", status=409)
        _checked_document(params["PolicyDocument"])
        now = clock.epoch()
        managed = ManagedPolicy(
            name=name, policy_id=ids.upper_id("ANPA", 17), arn=ctx.arn("iam", f"policy{path}{name}", regional=False),
            path=path, create_date=now, update_date=now, default_version_id="v1",
            versions=[PolicyVersion("v1", params["PolicyDocument"], now)], description=params.get("Description"),
            tags=checked_tags(params.get("Tags") or [], (), False),
        )
        self.policies.save(ctx, managed)
        shape = _policy_shape(managed)
        shape.pop("Description", None)  # CreatePolicy's answer leaves the description out, as AWS's does
        return {"Policy": shape}

    def get_policy(self, ctx: RequestContext, params: dict) -> dict:
        arn = params["PolicyArn"]
        counts = self.usage.counts(ctx).get(arn)
        aws = aws_managed.find(arn)
        if aws is not None:
            return {"Policy": _aws_policy_shape(aws, arn, counts)}
        return {"Policy": _policy_shape(self.policies.get(ctx, arn), counts[1] if counts else 0)}

    def delete_policy(self, ctx: RequestContext, params: dict) -> dict:
        _not_aws_managed(params["PolicyArn"])
        managed = self.policies.get(ctx, params["PolicyArn"])
        if managed.attachment_count:
            raise ServiceError("DeleteConflict", "Cannot delete a policy attached to entities.", status=409)
        if len(managed.versions) > 1:
            raise ServiceError("DeleteConflict", "This policy has more than one version. Before you delete a policy, "
                               "you must delete the policy's versions. The default version is deleted with the policy.",
                               status=409)
        self.policies.delete(ctx, managed)
        return {}

    def all_shapes(self, ctx: RequestContext, scope: str = "All") -> list[dict]:
        """Every policy of ``scope`` (All, AWS, Local) the account sees, shaped as GetPolicy
        answers, in name order."""
        counts = self.usage.counts(ctx)
        shapes = []
        if scope in ("All", "AWS"):
            for aws in aws_managed.catalogue().values():
                arn = aws.arn(ctx.partition)
                shapes.append(_aws_policy_shape(aws, arn, counts.get(arn)))
        if scope in ("All", "Local"):
            shapes += [_policy_shape(p, counts.get(p.arn, [0, 0])[1]) for p in self.policies.all(ctx)]
        return sorted(shapes, key=lambda p: (p["PolicyName"].lower(), p["Arn"]))

    def list_policies(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("PathPrefix") or "/"
        usage = params.get("PolicyUsageFilter")
        found = []
        for shape in self.all_shapes(ctx, params.get("Scope") or "All"):
            if not shape["Path"].startswith(prefix):
                continue
            # OnlyAttached: in use, as a permissions policy, a boundary (PolicyUsageFilter), or either.
            used = {"PermissionsPolicy": shape["AttachmentCount"],
                    "PermissionsBoundary": shape["PermissionsBoundaryUsageCount"]}.get(
                usage, shape["AttachmentCount"] + shape["PermissionsBoundaryUsageCount"])
            if params.get("OnlyAttached") and not used:
                continue
            found.append({k: v for k, v in shape.items() if k not in ("Description", "Tags")})
        return self.listing.page("Policies", found, params)

    # -- versions ------------------------------------------------------------------------------
    @staticmethod
    def _version(managed: ManagedPolicy, version_id: str) -> PolicyVersion:
        for version in managed.versions:
            if version.version_id == version_id:
                return version
        raise ServiceError("NoSuchEntity", f"Policy {managed.arn} version {version_id} does not exist or is not attachable.",
                           status=404)

    def get_policy_version(self, ctx: RequestContext, params: dict) -> dict:
        aws = aws_managed.find(params["PolicyArn"])
        if aws is not None:
            if params["VersionId"] != aws.version_id:
                # Only the default version of AWS's policies is kept here.
                raise ServiceError("NoSuchEntity", f"Policy {params['PolicyArn']} version {params['VersionId']} does not "
                                   "exist or is not attachable.", status=404)
            return {"PolicyVersion": _aws_version_shape(aws)}
        managed = self.policies.get(ctx, params["PolicyArn"])
        return {"PolicyVersion": _version_shape(managed, self._version(managed, params["VersionId"]))}

    def create_policy_version(self, ctx: RequestContext, params: dict) -> dict:
        _not_aws_managed(params["PolicyArn"])
        managed = self.policies.get(ctx, params["PolicyArn"])
        if len(managed.versions) >= VERSIONS_MAX:
            raise ServiceError("LimitExceeded", f"A managed policy can have up to {VERSIONS_MAX} versions. Before you "
                               "create a new version, you must delete an existing version.", status=409)
        _checked_document(params["PolicyDocument"])
        version = PolicyVersion(f"v{managed.next_version}", params["PolicyDocument"], clock.epoch())
        managed.versions.append(version)
        managed.next_version += 1
        managed.update_date = version.create_date
        if params.get("SetAsDefault"):
            managed.default_version_id = version.version_id
        self.policies.save(ctx, managed)
        return {"PolicyVersion": _version_shape(managed, version, with_document=False)}

    def list_policy_versions(self, ctx: RequestContext, params: dict) -> dict:
        aws = aws_managed.find(params["PolicyArn"])
        if aws is not None:
            return self.listing.page("Versions", [_aws_version_shape(aws, with_document=False)], params)
        managed = self.policies.get(ctx, params["PolicyArn"])
        # Newest first, as IAM lists them.
        return self.listing.page("Versions", list(reversed(managed.versions)), params,
                                 lambda v: _version_shape(managed, v, with_document=False))

    def delete_policy_version(self, ctx: RequestContext, params: dict) -> dict:
        _not_aws_managed(params["PolicyArn"])
        managed = self.policies.get(ctx, params["PolicyArn"])
        version = self._version(managed, params["VersionId"])
        if version.version_id == managed.default_version_id:
            raise ServiceError("DeleteConflict", "Cannot delete the default version of a policy.", status=409)
        managed.versions.remove(version)
        self.policies.save(ctx, managed)
        return {}

    def set_default_policy_version(self, ctx: RequestContext, params: dict) -> dict:
        _not_aws_managed(params["PolicyArn"])
        managed = self.policies.get(ctx, params["PolicyArn"])
        managed.default_version_id = self._version(managed, params["VersionId"]).version_id
        managed.update_date = clock.epoch()
        self.policies.save(ctx, managed)
        return {}
