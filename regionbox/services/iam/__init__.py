"""IAM: users, groups, roles and their policies, managed policies (the account's and AWS's),
instance profiles, credentials of users (access keys, passwords, MFA devices, signing
certificates, SSH keys, service-specific credentials), identity providers (OIDC, SAML), server
certificates, service-linked roles, the account's settings and reports, and the policy
simulator. Global per account (state.py).

Other services use IAM through ``IamApi`` (api.py): STS's AssumeRole and federation, and the
gateway, which asks it to authorize every request (evaluation.py: AWS's policy evaluation logic;
principals.py: the policies of a caller; aws_managed.py: AWS's managed policies).
"""

from regionbox.core.service import Service
from regionbox.services.iam.access_keys import AccessKeys, KeyUsage
from regionbox.services.iam.account import Account
from regionbox.services.iam.api import IamApi
from regionbox.services.iam.authorization_details import AuthorizationDetails
from regionbox.services.iam.boundaries import Boundaries
from regionbox.services.iam.credential_report import CredentialReport
from regionbox.services.iam.entities import GROUP, ROLE, USER, Entities
from regionbox.services.iam.entity_policies import EntityPolicies
from regionbox.services.iam.groups import Groups
from regionbox.services.iam.instance_profiles import InstanceProfiles
from regionbox.services.iam.last_accessed import LastAccessed
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.login_profiles import LoginProfiles
from regionbox.services.iam.managed_policies import ManagedPolicies, PolicyUsage, StoredPolicies
from regionbox.services.iam.mfa_devices import MfaDevices
from regionbox.services.iam.oidc_providers import OidcProviders
from regionbox.services.iam.password_policy import PasswordPolicy
from regionbox.services.iam.principals import Principals
from regionbox.services.iam.resources import IamResources
from regionbox.services.iam.roles import Roles, protect
from regionbox.services.iam.saml_providers import SamlProviders
from regionbox.services.iam.server_certificates import ServerCertificates
from regionbox.services.iam.service_credentials import ServiceCredentials
from regionbox.services.iam.service_linked_roles import ServiceLinkedRoles
from regionbox.services.iam.signing_certificates import SigningCertificates
from regionbox.services.iam.simulation import Simulation
from regionbox.services.iam.ssh_public_keys import SshPublicKeys
from regionbox.services.iam.state import IamState
from regionbox.services.iam.tags import Tagging
from regionbox.services.iam.users import Users

ORGANIZATIONS = "needs AWS Organizations, which regionbox does not serve yet"
# Features of an organization's management account (centralized root access, access reports).
NEEDS_ORGANIZATIONS = """
    DisableOrganizationsRootCredentialsManagement DisableOrganizationsRootSessions
    EnableOrganizationsRootCredentialsManagement EnableOrganizationsRootSessions GenerateOrganizationsAccessReport
    GetOrganizationsAccessReport ListOrganizationsFeatures
""".split()
DELEGATION = ("partner delegation requests are made by AWS partners onboarded with AWS, grant the policy templates AWS "
              "publishes for them, and deliver their tokens through an Amazon SNS topic; regionbox serves neither the "
              "onboarding, the templates nor SNS")
NEEDS_PARTNERS = """
    AcceptDelegationRequest AssociateDelegationRequest CreateDelegationRequest GetDelegationRequest
    ListDelegationRequests RejectDelegationRequest SendDelegationToken UpdateDelegationRequest
""".split()
ROLE_TEMPLATES = ("role templates are published and managed by AWS services (IAM Role Manager); their catalog is not "
                  "public, so regionbox has no template to read or create a role from")
NOT_SERVED = {
    **dict.fromkeys(NEEDS_ORGANIZATIONS, ORGANIZATIONS),
    **dict.fromkeys(NEEDS_PARTNERS, DELEGATION),
    "GetHumanReadableSummary": "summarizes partner delegation requests with a language model (Amazon Bedrock), "
                               "neither of which regionbox serves",
    "AcquireRole": ROLE_TEMPLATES,
    "GetRoleTemplateVersion": ROLE_TEMPLATES,
}


def load(cloud) -> Service:
    state = IamState(cloud.store)
    listing = Listing(cloud.paginator)
    roles = Entities(ROLE, state.roles)
    users = Entities(USER, state.users)
    groups = Entities(GROUP, state.groups)
    policies = StoredPolicies(state.policies)
    principals = Principals(state)
    key_usage = KeyUsage(state.key_uses, cloud.store)
    role_handlers = Roles(roles, state, policies, listing)
    user_handlers = Users(users, state, policies, cloud.credentials, cloud.store, listing, root_created=cloud.started_at)
    group_handlers = Groups(groups, users, state, listing)
    access_keys = AccessKeys(users, cloud.credentials, cloud.store, key_usage, listing)
    managed = ManagedPolicies(policies, PolicyUsage(state), listing)
    profiles = InstanceProfiles(state, roles, listing)
    role_policies = EntityPolicies(roles, policies, cloud.store, listing, protect=protect)
    user_policies = EntityPolicies(users, policies, cloud.store, listing)
    group_policies = EntityPolicies(groups, policies, cloud.store, listing)
    role_boundaries, user_boundaries = Boundaries(roles, policies), Boundaries(users, policies)
    password_policy = PasswordPolicy(state)
    logins = LoginProfiles(users, password_policy)
    mfa = MfaDevices(state, users, listing)
    account = Account(state, listing)
    report = CredentialReport(state, key_usage, root_created=cloud.started_at)
    last_accessed = LastAccessed(state, cloud.audit, principals.document,
                                 served=lambda: {name for name in cloud.services.names}, listing=listing)
    oidc = OidcProviders(state, listing)
    saml = SamlProviders(state)
    server_certificates = ServerCertificates(state, listing)
    signing_certificates = SigningCertificates(users, listing)
    ssh_keys = SshPublicKeys(users, listing)
    service_credentials = ServiceCredentials(users, listing)
    linked = ServiceLinkedRoles(roles, state, cloud.store)
    simulation = Simulation(state, principals, principals.document, listing)
    details = AuthorizationDetails(state, policies, managed, principals.document, listing)
    # Tags: users and roles compare keys without case, the other resources with it (tags.py).
    role_tags = Tagging(lambda ctx, p: roles.named(ctx, p), roles.save, listing, case_insensitive=True)
    user_tags = Tagging(lambda ctx, p: users.named(ctx, p), users.save, listing, case_insensitive=True)
    policy_tags = Tagging(lambda ctx, p: policies.get(ctx, p["PolicyArn"]), policies.save, listing)
    profile_tags = Tagging(lambda ctx, p: profiles.profile(ctx, p["InstanceProfileName"]), profiles.save, listing)
    mfa_tags = Tagging(mfa.by_serial, mfa.save, listing)
    oidc_tags = Tagging(oidc.find, oidc.save, listing)
    saml_tags = Tagging(saml.find, saml.save, listing)
    certificate_tags = Tagging(server_certificates.find, server_certificates.save, listing)
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
            "TagRole": role_tags.tag,
            "UntagRole": role_tags.untag,
            "ListRoleTags": role_tags.list_tags,
            "PutRolePermissionsBoundary": role_boundaries.put,
            "DeleteRolePermissionsBoundary": role_boundaries.delete,
            # service-linked roles
            "CreateServiceLinkedRole": linked.create_service_linked_role,
            "DeleteServiceLinkedRole": linked.delete_service_linked_role,
            "GetServiceLinkedRoleDeletionStatus": linked.get_service_linked_role_deletion_status,
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
            "UpdateUser": user_handlers.update_user,
            "DeleteUser": user_handlers.delete_user,
            "TagUser": user_tags.tag,
            "UntagUser": user_tags.untag,
            "ListUserTags": user_tags.list_tags,
            "PutUserPermissionsBoundary": user_boundaries.put,
            "DeleteUserPermissionsBoundary": user_boundaries.delete,
            # a user's inline and attached policies
            "PutUserPolicy": user_policies.put_inline,
            "GetUserPolicy": user_policies.get_inline,
            "ListUserPolicies": user_policies.list_inline,
            "DeleteUserPolicy": user_policies.delete_inline,
            "AttachUserPolicy": user_policies.attach,
            "DetachUserPolicy": user_policies.detach,
            "ListAttachedUserPolicies": user_policies.list_attached,
            # groups, their members and their policies
            "CreateGroup": group_handlers.create_group,
            "GetGroup": group_handlers.get_group,
            "ListGroups": group_handlers.list_groups,
            "UpdateGroup": group_handlers.update_group,
            "DeleteGroup": group_handlers.delete_group,
            "AddUserToGroup": group_handlers.add_user_to_group,
            "RemoveUserFromGroup": group_handlers.remove_user_from_group,
            "ListGroupsForUser": group_handlers.list_groups_for_user,
            "PutGroupPolicy": group_policies.put_inline,
            "GetGroupPolicy": group_policies.get_inline,
            "ListGroupPolicies": group_policies.list_inline,
            "DeleteGroupPolicy": group_policies.delete_inline,
            "AttachGroupPolicy": group_policies.attach,
            "DetachGroupPolicy": group_policies.detach,
            "ListAttachedGroupPolicies": group_policies.list_attached,
            # users' access keys
            "CreateAccessKey": access_keys.create_access_key,
            "ListAccessKeys": access_keys.list_access_keys,
            "UpdateAccessKey": access_keys.update_access_key,
            "DeleteAccessKey": access_keys.delete_access_key,
            "GetAccessKeyLastUsed": access_keys.get_access_key_last_used,
            # users' passwords
            "CreateLoginProfile": logins.create_login_profile,
            "GetLoginProfile": logins.get_login_profile,
            "UpdateLoginProfile": logins.update_login_profile,
            "DeleteLoginProfile": logins.delete_login_profile,
            "ChangePassword": logins.change_password,
            "UpdateAccountPasswordPolicy": password_policy.update_account_password_policy,
            "GetAccountPasswordPolicy": password_policy.get_account_password_policy,
            "DeleteAccountPasswordPolicy": password_policy.delete_account_password_policy,
            # virtual MFA devices
            "CreateVirtualMFADevice": mfa.create_virtual_mfa_device,
            "EnableMFADevice": mfa.enable_mfa_device,
            "ResyncMFADevice": mfa.resync_mfa_device,
            "DeactivateMFADevice": mfa.deactivate_mfa_device,
            "DeleteVirtualMFADevice": mfa.delete_virtual_mfa_device,
            "GetMFADevice": mfa.get_mfa_device,
            "ListMFADevices": mfa.list_mfa_devices,
            "ListVirtualMFADevices": mfa.list_virtual_mfa_devices,
            "TagMFADevice": mfa_tags.tag,
            "UntagMFADevice": mfa_tags.untag,
            "ListMFADeviceTags": mfa_tags.list_tags,
            # users' signing certificates, SSH keys and service-specific credentials
            "UploadSigningCertificate": signing_certificates.upload_signing_certificate,
            "ListSigningCertificates": signing_certificates.list_signing_certificates,
            "UpdateSigningCertificate": signing_certificates.update_signing_certificate,
            "DeleteSigningCertificate": signing_certificates.delete_signing_certificate,
            "UploadSSHPublicKey": ssh_keys.upload_ssh_public_key,
            "GetSSHPublicKey": ssh_keys.get_ssh_public_key,
            "ListSSHPublicKeys": ssh_keys.list_ssh_public_keys,
            "UpdateSSHPublicKey": ssh_keys.update_ssh_public_key,
            "DeleteSSHPublicKey": ssh_keys.delete_ssh_public_key,
            "CreateServiceSpecificCredential": service_credentials.create_service_specific_credential,
            "ListServiceSpecificCredentials": service_credentials.list_service_specific_credentials,
            "ResetServiceSpecificCredential": service_credentials.reset_service_specific_credential,
            "UpdateServiceSpecificCredential": service_credentials.update_service_specific_credential,
            "DeleteServiceSpecificCredential": service_credentials.delete_service_specific_credential,
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
            "TagPolicy": policy_tags.tag,
            "UntagPolicy": policy_tags.untag,
            "ListPolicyTags": policy_tags.list_tags,
            # instance profiles
            "CreateInstanceProfile": profiles.create_instance_profile,
            "GetInstanceProfile": profiles.get_instance_profile,
            "ListInstanceProfiles": profiles.list_instance_profiles,
            "ListInstanceProfilesForRole": profiles.list_instance_profiles_for_role,
            "DeleteInstanceProfile": profiles.delete_instance_profile,
            "AddRoleToInstanceProfile": profiles.add_role_to_instance_profile,
            "RemoveRoleFromInstanceProfile": profiles.remove_role_from_instance_profile,
            "TagInstanceProfile": profile_tags.tag,
            "UntagInstanceProfile": profile_tags.untag,
            "ListInstanceProfileTags": profile_tags.list_tags,
            # identity providers
            "CreateOpenIDConnectProvider": oidc.create_open_id_connect_provider,
            "GetOpenIDConnectProvider": oidc.get_open_id_connect_provider,
            "ListOpenIDConnectProviders": oidc.list_open_id_connect_providers,
            "DeleteOpenIDConnectProvider": oidc.delete_open_id_connect_provider,
            "AddClientIDToOpenIDConnectProvider": oidc.add_client_id,
            "RemoveClientIDFromOpenIDConnectProvider": oidc.remove_client_id,
            "UpdateOpenIDConnectProviderThumbprint": oidc.update_thumbprint,
            "UpdateOpenIDConnectProvider": oidc.update_open_id_connect_provider,
            "TagOpenIDConnectProvider": oidc_tags.tag,
            "UntagOpenIDConnectProvider": oidc_tags.untag,
            "ListOpenIDConnectProviderTags": oidc_tags.list_tags,
            "CreateSAMLProvider": saml.create_saml_provider,
            "GetSAMLProvider": saml.get_saml_provider,
            "UpdateSAMLProvider": saml.update_saml_provider,
            "ListSAMLProviders": saml.list_saml_providers,
            "DeleteSAMLProvider": saml.delete_saml_provider,
            "TagSAMLProvider": saml_tags.tag,
            "UntagSAMLProvider": saml_tags.untag,
            "ListSAMLProviderTags": saml_tags.list_tags,
            # server certificates
            "UploadServerCertificate": server_certificates.upload_server_certificate,
            "GetServerCertificate": server_certificates.get_server_certificate,
            "ListServerCertificates": server_certificates.list_server_certificates,
            "UpdateServerCertificate": server_certificates.update_server_certificate,
            "DeleteServerCertificate": server_certificates.delete_server_certificate,
            "TagServerCertificate": certificate_tags.tag,
            "UntagServerCertificate": certificate_tags.untag,
            "ListServerCertificateTags": certificate_tags.list_tags,
            # the account
            "CreateAccountAlias": account.create_account_alias,
            "DeleteAccountAlias": account.delete_account_alias,
            "ListAccountAliases": account.list_account_aliases,
            "GetAccountSummary": account.get_account_summary,
            "SetSecurityTokenServicePreferences": account.set_security_token_service_preferences,
            "GetAccountProperties": account.get_account_properties,
            "PutAccountProperties": account.put_account_properties,
            "EnableOutboundWebIdentityFederation": account.enable_outbound_web_identity_federation,
            "DisableOutboundWebIdentityFederation": account.disable_outbound_web_identity_federation,
            "GetOutboundWebIdentityFederationInfo": account.get_outbound_web_identity_federation_info,
            # reports
            "GenerateCredentialReport": report.generate_credential_report,
            "GetCredentialReport": report.get_credential_report,
            "GenerateServiceLastAccessedDetails": last_accessed.generate_service_last_accessed_details,
            "GetServiceLastAccessedDetails": last_accessed.get_service_last_accessed_details,
            "GetServiceLastAccessedDetailsWithEntities": last_accessed.get_service_last_accessed_details_with_entities,
            "GetAccountAuthorizationDetails": details.get_account_authorization_details,
            "ListEntitiesForPolicy": details.list_entities_for_policy,
            "ListPoliciesGrantingServiceAccess": details.list_policies_granting_service_access,
            # the policy simulator
            "SimulatePrincipalPolicy": simulation.simulate_principal_policy,
            "SimulateCustomPolicy": simulation.simulate_custom_policy,
            "GetContextKeysForPrincipalPolicy": simulation.get_context_keys_for_principal_policy,
            "GetContextKeysForCustomPolicy": simulation.get_context_keys_for_custom_policy,
        },
        not_implemented=NOT_SERVED,
        api=IamApi(state, principals, key_usage),
        resources=IamResources(state),
        stop=key_usage.flush,
        reset=key_usage.reset,
    )
