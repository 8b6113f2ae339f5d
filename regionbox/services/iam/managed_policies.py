"""Customer managed policies and their versions (attaching them to roles and users is in
entity_policies.py).

AWS's own managed policies (``arn:aws:iam::aws:policy/...``) are attachable; the ones in
regionbox's catalogue (aws_managed.py, with AWS's documents) answer GetPolicy and GetPolicyVersion
too. An AWS ARN outside the catalogue still attaches (templates attach many) but grants nothing,
and ListPolicies knows only the account's own policies.
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


def _checked_document(document: str) -> None:
    policy.parse(document, trust=False)
    if policy_size(document) > POLICY_SIZE_MAX:
        raise ServiceError("LimitExceeded", f"Cannot exceed quota for PolicySize: {POLICY_SIZE_MAX}", status=409)


def _policy_shape(managed: ManagedPolicy) -> dict:
    shape = {
        "PolicyName": managed.name, "PolicyId": managed.policy_id, "Arn": managed.arn, "Path": managed.path,
        "DefaultVersionId": managed.default_version_id, "AttachmentCount": managed.attachment_count,
        "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
        "CreateDate": managed.create_date, "UpdateDate": managed.update_date,
    }
    if managed.description:
        shape["Description"] = managed.description
    if managed.tags:
        shape["Tags"] = managed.tags
    return shape


def _aws_policy_shape(aws: aws_managed.AwsManagedPolicy, arn: str) -> dict:
    # AttachmentCount is per account on AWS; regionbox does not count AWS policies' attachments.
    policy_id = "ANPA" + base64.b32encode(hashlib.sha256(aws.name.encode()).digest()).decode()[:17]
    return {"PolicyName": aws.name, "PolicyId": policy_id, "Arn": arn,
            "Path": aws.path, "DefaultVersionId": aws.version_id, "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True, "CreateDate": aws.create_date, "UpdateDate": aws.update_date}


def _version_shape(managed: ManagedPolicy, version: PolicyVersion, with_document: bool = True) -> dict:
    shape = {"VersionId": version.version_id, "IsDefaultVersion": version.version_id == managed.default_version_id,
             "CreateDate": version.create_date}
    if with_document:
        # Documents come back URL-encoded, as IAM returns them.
        shape["Document"] = encoded(version.document)
    return shape


class ManagedPolicies:
    """CreatePolicy, GetPolicy, ListPolicies, DeletePolicy and the policy versions."""

    def __init__(self, policies: StoredPolicies, listing: Listing) -> None:
        self.policies = policies
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
            tags=checked_tags(params.get("Tags") or []),
        )
        self.policies.save(ctx, managed)
        shape = _policy_shape(managed)
        shape.pop("Description", None)  # CreatePolicy's answer leaves the description out, as AWS's does
        return {"Policy": shape}

    def get_policy(self, ctx: RequestContext, params: dict) -> dict:
        aws = aws_managed.find(params["PolicyArn"])
        if aws is not None:
            return {"Policy": _aws_policy_shape(aws, params["PolicyArn"])}
        return {"Policy": _policy_shape(self.policies.get(ctx, params["PolicyArn"]))}

    def delete_policy(self, ctx: RequestContext, params: dict) -> dict:
        managed = self.policies.get(ctx, params["PolicyArn"])
        if managed.attachment_count:
            raise ServiceError("DeleteConflict", "Cannot delete a policy attached to entities.", status=409)
        if len(managed.versions) > 1:
            raise ServiceError("DeleteConflict", "This policy has more than one version. Before you delete a policy, "
                               "you must delete the policy's versions. The default version is deleted with the policy.",
                               status=409)
        self.policies.delete(ctx, managed)
        return {}

    def list_policies(self, ctx: RequestContext, params: dict) -> dict:
        # Only the account's own ("Local") policies exist here; Scope=AWS lists none.
        found = [] if params.get("Scope") == "AWS" else self.policies.all(ctx)
        prefix = params.get("PathPrefix") or "/"
        found = sorted((p for p in found if p.path.startswith(prefix) and (not params.get("OnlyAttached") or p.attachment_count)),
                       key=lambda p: p.name.lower())
        return self.listing.page("Policies", found, params,
                                 lambda p: {k: v for k, v in _policy_shape(p).items() if k not in ("Description", "Tags")})

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
            return {"PolicyVersion": {"Document": encoded(aws.document), "VersionId": aws.version_id,
                                      "IsDefaultVersion": True, "CreateDate": aws.update_date}}
        managed = self.policies.get(ctx, params["PolicyArn"])
        return {"PolicyVersion": _version_shape(managed, self._version(managed, params["VersionId"]))}

    def create_policy_version(self, ctx: RequestContext, params: dict) -> dict:
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
        managed = self.policies.get(ctx, params["PolicyArn"])
        # Newest first, as IAM lists them.
        return self.listing.page("Versions", list(reversed(managed.versions)), params,
                                 lambda v: _version_shape(managed, v, with_document=False))

    def delete_policy_version(self, ctx: RequestContext, params: dict) -> dict:
        managed = self.policies.get(ctx, params["PolicyArn"])
        version = self._version(managed, params["VersionId"])
        if version.version_id == managed.default_version_id:
            raise ServiceError("DeleteConflict", "Cannot delete the default version of a policy.", status=409)
        managed.versions.remove(version)
        self.policies.save(ctx, managed)
        return {}

    def set_default_policy_version(self, ctx: RequestContext, params: dict) -> dict:
        managed = self.policies.get(ctx, params["PolicyArn"])
        managed.default_version_id = self._version(managed, params["VersionId"]).version_id
        managed.update_date = clock.epoch()
        self.policies.save(ctx, managed)
        return {}
