"""The account itself: its alias, GetAccountSummary's counts and quotas, the STS token version of
the global endpoint, account properties, and outbound web identity federation (the issuer of the
JWTs STS's GetWebIdentityToken signs for the account)."""

from __future__ import annotations

from regionbox.core import ids
from regionbox.core.context import RequestContext
from regionbox.core.errors import ServiceError
from regionbox.services.iam import entity_policies, groups, managed_policies, roles, users
from regionbox.services.iam.access_keys import ACCESS_KEYS_PER_USER
from regionbox.services.iam.entities import GROUP, ROLE, USER
from regionbox.services.iam.listing import Listing
from regionbox.services.iam.state import IamState

ALIASES_PER_ACCOUNT = 1
SERVER_CERTIFICATES_QUOTA = 20
SIGNING_CERTIFICATES_PER_USER = 2


class Account:
    def __init__(self, state: IamState, listing: Listing) -> None:
        self.state = state
        self.listing = listing

    # -- aliases ---------------------------------------------------------------------------
    def create_account_alias(self, ctx: RequestContext, params: dict) -> dict:
        alias = params["AccountAlias"]
        settings = self.state.account(ctx.global_scope)
        if alias in settings.aliases:
            return {}
        for (account, _), key, other in self.state.accounts.all():
            if alias in other.aliases and account != ctx.account_id:
                # Aliases are unique across all of AWS: another account holds it.
                raise ServiceError("EntityAlreadyExists", f"The account alias {alias} already exists.", status=409)
        if len(settings.aliases) >= ALIASES_PER_ACCOUNT:
            raise ServiceError("LimitExceeded", f"Cannot exceed quota for AccountAliasesPerAccount: {ALIASES_PER_ACCOUNT}",
                               status=409)
        settings.aliases.append(alias)
        self.state.save_account(ctx.global_scope, settings)
        return {}

    def delete_account_alias(self, ctx: RequestContext, params: dict) -> dict:
        settings = self.state.account(ctx.global_scope)
        if params["AccountAlias"] not in settings.aliases:
            raise ServiceError("NoSuchEntity", f"The account alias {params['AccountAlias']} cannot be found.", status=404)
        settings.aliases.remove(params["AccountAlias"])
        self.state.save_account(ctx.global_scope, settings)
        return {}

    def list_account_aliases(self, ctx: RequestContext, params: dict) -> dict:
        return self.listing.page("AccountAliases", self.state.account(ctx.global_scope).aliases, params)

    # -- summary ---------------------------------------------------------------------------
    def get_account_summary(self, ctx: RequestContext, params: dict) -> dict:
        scope = ctx.global_scope
        all_users = self.state.users.values(scope)
        devices = self.state.mfa_devices.values(scope)
        policies = self.state.policies.values(scope)
        summary = {
            "Users": len(all_users), "UsersQuota": users.USERS_PER_ACCOUNT,
            "Groups": len(self.state.groups.values(scope)), "GroupsQuota": groups.GROUPS_PER_ACCOUNT,
            "Roles": len(self.state.roles.values(scope)), "RolesQuota": roles.ROLES_PER_ACCOUNT,
            "InstanceProfiles": len(self.state.instance_profiles.values(scope)), "InstanceProfilesQuota": 1000,
            "Policies": len(policies), "PoliciesQuota": 1500,
            "PolicySizeQuota": managed_policies.POLICY_SIZE_MAX, "VersionsPerPolicyQuota": managed_policies.VERSIONS_MAX,
            "PolicyVersionsInUse": sum(len(p.versions) for p in policies), "PolicyVersionsInUseQuota": 10000,
            "ServerCertificates": len(self.state.server_certificates.values(scope)),
            "ServerCertificatesQuota": SERVER_CERTIFICATES_QUOTA,
            "UserPolicySizeQuota": USER.inline_max, "GroupPolicySizeQuota": GROUP.inline_max,
            "RolePolicySizeQuota": ROLE.inline_max, "AssumeRolePolicySizeQuota": roles.TRUST_POLICY_MAX,
            "GroupsPerUserQuota": groups.GROUPS_PER_USER, "AccessKeysPerUserQuota": ACCESS_KEYS_PER_USER,
            "SigningCertificatesPerUserQuota": SIGNING_CERTIFICATES_PER_USER,
            "AttachedPoliciesPerUserQuota": entity_policies.ATTACHED_POLICIES_MAX,
            "AttachedPoliciesPerGroupQuota": entity_policies.ATTACHED_POLICIES_MAX,
            "AttachedPoliciesPerRoleQuota": entity_policies.ATTACHED_POLICIES_MAX,
            "MFADevices": len(devices), "MFADevicesInUse": sum(1 for d in devices if d.user_name),
            # The root user has no MFA device, access keys or signing certificates of its own here.
            "AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0,
            "Providers": len(self.state.oidc_providers.values(scope)) + len(self.state.saml_providers.values(scope)),
            "GlobalEndpointTokenVersion": 2 if self.state.account(scope).sts_token_version == "v2Token" else 1,
        }
        return {"SummaryMap": summary}

    # -- STS preferences and account properties --------------------------------------------
    def set_security_token_service_preferences(self, ctx: RequestContext, params: dict) -> dict:
        settings = self.state.account(ctx.global_scope)
        settings.sts_token_version = params["GlobalEndpointTokenVersion"]
        self.state.save_account(ctx.global_scope, settings)
        return {}

    def get_account_properties(self, ctx: RequestContext, params: dict) -> dict:
        return {"Properties": dict(sorted(self.state.account(ctx.global_scope).properties.items()))}

    def put_account_properties(self, ctx: RequestContext, params: dict) -> dict:
        given = params["Properties"]
        if any("/" not in name for name in given):
            raise ServiceError("InvalidInput", "Property names must be in Namespace/PropertyName format.")
        if len({name.split("/", 1)[0] for name in given}) > 1:
            raise ServiceError("InvalidInput", "All properties in a single request must belong to the same namespace.")
        settings = self.state.account(ctx.global_scope)
        settings.properties.update(given)
        self.state.save_account(ctx.global_scope, settings)
        return {}

    # -- outbound web identity federation (STS GetWebIdentityToken) ---------------------------
    def enable_outbound_web_identity_federation(self, ctx: RequestContext, params: dict) -> dict:
        settings = self.state.account(ctx.global_scope)
        if settings.outbound_enabled:
            raise ServiceError("FeatureEnabled", "Outbound web identity federation is already enabled for this account.",
                               status=409)
        # One issuer per account, kept when the feature is turned off and on again.
        settings.outbound_issuer = settings.outbound_issuer or f"https://{ids.lower_alnum(8)}-{ids.lower_alnum(4)}" \
            f"-{ids.lower_alnum(4)}.tokens.sts.global.api.aws"
        settings.outbound_enabled = True
        self.state.save_account(ctx.global_scope, settings)
        return {"IssuerIdentifier": settings.outbound_issuer}

    def disable_outbound_web_identity_federation(self, ctx: RequestContext, params: dict) -> dict:
        settings = self.state.account(ctx.global_scope)
        if not settings.outbound_enabled:
            raise ServiceError("FeatureDisabled", "Outbound web identity federation is already disabled for this account.",
                               status=409)
        settings.outbound_enabled = False
        self.state.save_account(ctx.global_scope, settings)
        return {}

    def get_outbound_web_identity_federation_info(self, ctx: RequestContext, params: dict) -> dict:
        settings = self.state.account(ctx.global_scope)
        if settings.outbound_issuer is None:
            raise ServiceError("FeatureDisabled", "Outbound web identity federation is not enabled for this account.",
                               status=409)
        return {"IssuerIdentifier": settings.outbound_issuer, "JwtVendingEnabled": settings.outbound_enabled}
