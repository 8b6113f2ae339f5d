"""IAM: roles, users and their access keys, managed policies, instance profiles, and the inline
and attached policies of roles and users. Global per account (state.py).

Other services use IAM through ``IamApi`` (api.py): STS's AssumeRole, and the gateway, which asks
it to authorize every request (evaluation.py: AWS's policy evaluation logic; principals.py: the
policies of a caller; aws_managed.py: AWS's managed policies).
"""

from regionbox.core.service import Service
from regionbox.services.iam.access_keys import AccessKeys
from regionbox.services.iam.api import IamApi
from regionbox.services.iam.entities import ROLE, USER, Entities
from regionbox.services.iam.entity_policies import EntityPolicies
from regionbox.services.iam.instance_profiles import InstanceProfiles
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.managed_policies import ManagedPolicies, StoredPolicies
from regionbox.services.iam.resources import IamResources
from regionbox.services.iam.roles import Roles
from regionbox.services.iam.state import IamState
from regionbox.services.iam.users import Users

ISSUE_9 = "not built yet (issue #9)"
ORGANIZATIONS = "needs AWS Organizations, which regionbox does not serve yet"

# Everything else of IAM's model: groups, login profiles and passwords, MFA devices, account
# settings and reports, identity providers, certificates and SSH keys, service-linked roles,
# permissions boundaries, tags on more than roles, policy simulation, delegation requests.
NOT_BUILT = """
    AcceptDelegationRequest AcquireRole AddClientIDToOpenIDConnectProvider AddUserToGroup AssociateDelegationRequest
    AttachGroupPolicy ChangePassword CreateAccountAlias CreateDelegationRequest CreateGroup CreateLoginProfile
    CreateOpenIDConnectProvider CreateSAMLProvider CreateServiceLinkedRole CreateServiceSpecificCredential
    CreateVirtualMFADevice DeactivateMFADevice DeleteAccountAlias DeleteAccountPasswordPolicy DeleteGroup
    DeleteGroupPolicy DeleteLoginProfile DeleteOpenIDConnectProvider DeleteRolePermissionsBoundary DeleteSAMLProvider
    DeleteSSHPublicKey DeleteServerCertificate DeleteServiceLinkedRole DeleteServiceSpecificCredential
    DeleteSigningCertificate DeleteUserPermissionsBoundary DeleteVirtualMFADevice DetachGroupPolicy
    DisableOutboundWebIdentityFederation EnableMFADevice EnableOutboundWebIdentityFederation GenerateCredentialReport
    GenerateServiceLastAccessedDetails GetAccessKeyLastUsed GetAccountAuthorizationDetails GetAccountPasswordPolicy
    GetAccountProperties GetAccountSummary GetContextKeysForCustomPolicy GetContextKeysForPrincipalPolicy
    GetCredentialReport GetDelegationRequest GetGroup GetGroupPolicy GetHumanReadableSummary GetLoginProfile
    GetMFADevice GetOpenIDConnectProvider GetOutboundWebIdentityFederationInfo GetRoleTemplateVersion GetSAMLProvider
    GetSSHPublicKey GetServerCertificate GetServiceLastAccessedDetails GetServiceLastAccessedDetailsWithEntities
    GetServiceLinkedRoleDeletionStatus ListAccountAliases ListAttachedGroupPolicies ListDelegationRequests
    ListEntitiesForPolicy ListGroupPolicies ListGroups ListGroupsForUser ListInstanceProfileTags ListMFADeviceTags
    ListMFADevices ListOpenIDConnectProviderTags ListOpenIDConnectProviders ListPoliciesGrantingServiceAccess
    ListPolicyTags ListSAMLProviderTags ListSAMLProviders ListSSHPublicKeys ListServerCertificateTags
    ListServerCertificates ListServiceSpecificCredentials ListSigningCertificates ListUserTags ListVirtualMFADevices
    PutAccountProperties PutGroupPolicy PutRolePermissionsBoundary PutUserPermissionsBoundary RejectDelegationRequest
    RemoveClientIDFromOpenIDConnectProvider RemoveUserFromGroup ResetServiceSpecificCredential ResyncMFADevice
    SendDelegationToken SetSecurityTokenServicePreferences SimulateCustomPolicy SimulatePrincipalPolicy
    TagInstanceProfile TagMFADevice TagOpenIDConnectProvider TagPolicy TagSAMLProvider TagServerCertificate TagUser
    UntagInstanceProfile UntagMFADevice UntagOpenIDConnectProvider UntagPolicy UntagSAMLProvider UntagServerCertificate
    UntagUser UpdateAccountPasswordPolicy UpdateDelegationRequest UpdateGroup UpdateLoginProfile
    UpdateOpenIDConnectProvider UpdateOpenIDConnectProviderThumbprint UpdateSAMLProvider UpdateSSHPublicKey
    UpdateServerCertificate UpdateServiceSpecificCredential UpdateSigningCertificate UpdateUser UploadSSHPublicKey
    UploadServerCertificate UploadSigningCertificate
""".split()
# Features of an organization's management account (centralized root access, access reports).
NEEDS_ORGANIZATIONS = """
    DisableOrganizationsRootCredentialsManagement DisableOrganizationsRootSessions
    EnableOrganizationsRootCredentialsManagement EnableOrganizationsRootSessions GenerateOrganizationsAccessReport
    GetOrganizationsAccessReport ListOrganizationsFeatures
""".split()


def load(cloud) -> Service:
    state = IamState(cloud.store)
    listing = Listing(cloud.paginator)
    roles = Entities(ROLE, state.roles)
    users = Entities(USER, state.users)
    policies = StoredPolicies(state.policies)
    role_handlers = Roles(roles, state, listing)
    user_handlers = Users(users, listing, root_created=cloud.started_at)
    access_keys = AccessKeys(users, cloud.credentials, cloud.store, listing)
    managed = ManagedPolicies(policies, listing)
    profiles = InstanceProfiles(state, roles, listing)
    role_policies = EntityPolicies(roles, policies, cloud.store, listing)
    user_policies = EntityPolicies(users, policies, cloud.store, listing)
    return Service(
        name="iam",
        operations={
            # roles
            "CreateRole": role_handlers.create_role,
            "GetRole": role_handlers.get_role,
            "ListRoles": role_handlers.list_roles,
            "DeleteRole": role_handlers.delete_role,
            "UpdateRole": role_handlers.update_role,
            "UpdateRoleDescription": role_handlers.update_role_description,
            "UpdateAssumeRolePolicy": role_handlers.update_assume_role_policy,
            "TagRole": role_handlers.tag_role,
            "UntagRole": role_handlers.untag_role,
            "ListRoleTags": role_handlers.list_role_tags,
            # a role's inline and attached policies
            "PutRolePolicy": role_policies.put_inline,
            "GetRolePolicy": role_policies.get_inline,
            "ListRolePolicies": role_policies.list_inline,
            "DeleteRolePolicy": role_policies.delete_inline,
            "AttachRolePolicy": role_policies.attach,
            "DetachRolePolicy": role_policies.detach,
            "ListAttachedRolePolicies": role_policies.list_attached,
            # users
            "CreateUser": user_handlers.create_user,
            "GetUser": user_handlers.get_user,
            "ListUsers": user_handlers.list_users,
            "DeleteUser": user_handlers.delete_user,
            # a user's inline and attached policies
            "PutUserPolicy": user_policies.put_inline,
            "GetUserPolicy": user_policies.get_inline,
            "ListUserPolicies": user_policies.list_inline,
            "DeleteUserPolicy": user_policies.delete_inline,
            "AttachUserPolicy": user_policies.attach,
            "DetachUserPolicy": user_policies.detach,
            "ListAttachedUserPolicies": user_policies.list_attached,
            # users' access keys
            "CreateAccessKey": access_keys.create_access_key,
            "ListAccessKeys": access_keys.list_access_keys,
            "UpdateAccessKey": access_keys.update_access_key,
            "DeleteAccessKey": access_keys.delete_access_key,
            # managed policies and their versions
            "CreatePolicy": managed.create_policy,
            "GetPolicy": managed.get_policy,
            "ListPolicies": managed.list_policies,
            "DeletePolicy": managed.delete_policy,
            "CreatePolicyVersion": managed.create_policy_version,
            "GetPolicyVersion": managed.get_policy_version,
            "ListPolicyVersions": managed.list_policy_versions,
            "DeletePolicyVersion": managed.delete_policy_version,
            "SetDefaultPolicyVersion": managed.set_default_policy_version,
            # instance profiles
            "CreateInstanceProfile": profiles.create_instance_profile,
            "GetInstanceProfile": profiles.get_instance_profile,
            "ListInstanceProfiles": profiles.list_instance_profiles,
            "ListInstanceProfilesForRole": profiles.list_instance_profiles_for_role,
            "DeleteInstanceProfile": profiles.delete_instance_profile,
            "AddRoleToInstanceProfile": profiles.add_role_to_instance_profile,
            "RemoveRoleFromInstanceProfile": profiles.remove_role_from_instance_profile,
        },
        not_implemented={**dict.fromkeys(NOT_BUILT, ISSUE_9), **dict.fromkeys(NEEDS_ORGANIZATIONS, ORGANIZATIONS)},
        api=IamApi(state),
        resources=IamResources(state),
    )
