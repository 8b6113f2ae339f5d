"""What each IAM operation touches, for the gateway's authorization (``Service.resources``).

Resources are the ARNs of the role, user, group, policy, instance profile, MFA device, identity
provider or server certificate the request names, with the entity's path when it exists
(arn:aws:iam::111122223333:role/service/app); a listing is authorized on the path it lists
(arn:aws:iam::111122223333:role/ for ListRoles), as IAM's own errors show. Where a request names
a group and a user (AddUserToGroup), the group is the resource; where it names a user and an MFA
device (EnableMFADevice), the user. Condition keys IAM documents: iam:PolicyARN (attach/detach),
iam:PermissionsBoundary (CreateRole/CreateUser with one), iam:AWSServiceName
(CreateServiceLinkedRole), iam:ResourceTag/* and aws:ResourceTag/* (an existing role or user),
aws:RequestTag/* and aws:TagKeys (tags in the request).
"""

from __future__ import annotations

from typing import Any

from regionbox.core.context import RequestContext
from regionbox.core.service import Access
from regionbox.services.iam.service_linked_roles import SERVICES
from regionbox.services.iam.state import IamState

# request member naming the entity -> (ARN resource type, the state's collection attribute)
_NAMED = {"GroupName": ("group", "groups"), "RoleName": ("role", "roles"), "UserName": ("user", "users"),
          "InstanceProfileName": ("instance-profile", "instance_profiles"),
          "ServerCertificateName": ("server-certificate", "server_certificates"),
          "VirtualMFADeviceName": ("mfa", "mfa_devices")}
# request members that are the resource's ARN themselves
_ARNS = ("OpenIDConnectProviderArn", "SAMLProviderArn", "PolicySourceArn", "Arn")
# listings: operation -> resource type of what they list
_LISTINGS = {"ListRoles": "role", "ListUsers": "user", "ListPolicies": "policy", "ListInstanceProfiles": "instance-profile",
             "ListGroups": "group"}
# operations that create the entity their name member names (its path comes from Path)
_CREATES = {"CreateRole", "CreateUser", "CreateInstanceProfile", "CreatePolicy", "CreateGroup", "UploadServerCertificate",
            "CreateVirtualMFADevice"}
# operations whose UserName may be left out: they act on the calling user
_CALLING_USER = {"GetUser", "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey",
                 "CreateLoginProfile", "GetLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile", "ChangePassword",
                 "ListMFADevices", "ListSSHPublicKeys", "ListSigningCertificates", "UploadSigningCertificate",
                 "UpdateSigningCertificate", "DeleteSigningCertificate", "ListServiceSpecificCredentials",
                 "ResetServiceSpecificCredential", "UpdateServiceSpecificCredential", "DeleteServiceSpecificCredential"}


class IamResources:
    def __init__(self, state: IamState) -> None:
        self.state = state

    def _arn(self, ctx: RequestContext, member: str, name: str, path: str | None = None) -> tuple[str, dict[str, Any]]:
        """The ARN of an entity (with its stored path when it exists) and its resource tags."""
        kind, collection = _NAMED[member]
        found = getattr(self.state, collection).get(ctx.global_scope, name.lower()) if path is None else None
        tags = {}
        if found is not None:
            path = found.path
            for tag in found.tags:
                tags[f"iam:ResourceTag/{tag['Key']}"] = tags[f"aws:ResourceTag/{tag['Key']}"] = tag["Value"]
        return ctx.arn("iam", f"{kind}{path or '/'}{name}", regional=False), tags

    def __call__(self, ctx: RequestContext, operation: str, params: dict) -> list:
        if operation in _LISTINGS:
            return [ctx.arn("iam", f"{_LISTINGS[operation]}{params.get('PathPrefix') or '/'}", regional=False)]
        context = _request_keys(params)
        creating = operation in _CREATES
        if operation == "CreatePolicy":
            return [Access(ctx.arn("iam", f"policy{params.get('Path') or '/'}{params['PolicyName']}", regional=False),
                           context=context)]
        if operation == "CreateServiceLinkedRole":
            service = params["AWSServiceName"]
            name = SERVICES.get(service, (f"AWSServiceRoleFor{service}",))[0]
            return [Access(ctx.arn("iam", f"role/aws-service-role/{service}/{name}", regional=False),
                           context={**context, "iam:AWSServiceName": service})]
        if operation == "GetServiceLinkedRoleDeletionStatus":
            # task/aws-service-role/<service>/<role name>/<uuid>
            role = params["DeletionTaskId"].removeprefix("task/").rsplit("/", 1)[0]
            return [ctx.arn("iam", f"role/{role}", regional=False)]
        if "PolicyArn" in params:
            context["iam:PolicyARN"] = params["PolicyArn"]
        if params.get("PermissionsBoundary"):
            context["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
        accesses = []
        for member in _NAMED:
            name = params.get(member)
            if member == "UserName" and "GroupName" in params:
                continue  # the group is the resource (AddUserToGroup, RemoveUserFromGroup)
            if not name and member == "UserName" and operation in _CALLING_USER:
                if ctx.caller.type == "IAMUser":
                    accesses.append(Access(ctx.caller.arn, context=context))
                continue
            if not name:
                continue
            arn, tags = self._arn(ctx, member, name, (params.get("Path") or "/") if creating else None)
            if member == "RoleName" and "InstanceProfileName" in params:
                # The instance profile is the resource; adding a role also passes it.
                if operation == "AddRoleToInstanceProfile":
                    accesses.append(Access(arn, action="iam:PassRole", context={**context, **tags}))
                continue
            accesses.append(Access(arn, context={**context, **tags}))
        if not accesses and params.get("SerialNumber", "").startswith("arn:"):
            accesses.append(Access(params["SerialNumber"], context=context))
        if not accesses:
            accesses += [Access(params[m], context=context) for m in _ARNS if str(params.get(m, "")).startswith("arn:")]
        if not accesses and "PolicyArn" in params:
            accesses.append(Access(params["PolicyArn"], context=context))
        return accesses or ["*"]


def _request_keys(params: dict) -> dict[str, Any]:
    tags = params.get("Tags") or []
    keys: dict[str, Any] = {f"aws:RequestTag/{t['Key']}": t["Value"] for t in tags}
    if tags or params.get("TagKeys"):
        keys["aws:TagKeys"] = [t["Key"] for t in tags] or list(params["TagKeys"])
    return keys
