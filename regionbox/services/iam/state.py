"""IAM's one typed state: roles, users, groups, managed policies, instance profiles, MFA devices,
identity providers, server certificates and the account's settings.

IAM is global: everything lives in the account's global scope ``(account, "")``, so a role
created through any region's endpoint is the same role everywhere. Names are unique per account
regardless of case, as on AWS: documents are keyed by the lower-cased name.
"""

from __future__ import annotations

from regionbox.core.store import Scope, Store
from regionbox.services.iam.models import (AccountSettings, DeletionTask, Group, InstanceProfile, KeyUse,
                                           LastAccessedJob, ManagedPolicy, OidcProvider, Role, SamlProvider,
                                           ServerCertificate, User, VirtualMfaDevice)

ACCOUNT_KEY = "account"


def global_scope(account: str) -> Scope:
    return (account, "")


class IamState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.roles = store.collection("iam.roles", Role)
        self.users = store.collection("iam.users", User)
        self.groups = store.collection("iam.groups", Group)
        self.policies = store.collection("iam.policies", ManagedPolicy)
        self.instance_profiles = store.collection("iam.instance_profiles", InstanceProfile)
        self.mfa_devices = store.collection("iam.mfa_devices", VirtualMfaDevice)
        self.accounts = store.collection("iam.account", AccountSettings)
        self.oidc_providers = store.collection("iam.oidc_providers", OidcProvider)
        self.saml_providers = store.collection("iam.saml_providers", SamlProvider)
        self.server_certificates = store.collection("iam.server_certificates", ServerCertificate)
        self.deletion_tasks = store.collection("iam.deletion_tasks", DeletionTask)
        self.key_uses = store.collection("iam.key_uses", KeyUse)
        self.last_accessed_jobs = store.collection("iam.last_accessed_jobs", LastAccessedJob)

    def profiles_with_role(self, scope: Scope, role_name: str) -> list[InstanceProfile]:
        return [p for p in self.instance_profiles.values(scope) if role_name in p.role_names]

    def groups_of(self, scope: Scope, user_name: str) -> list[Group]:
        return [g for g in self.groups.values(scope) if user_name in g.members]

    def account(self, scope: Scope) -> AccountSettings:
        return self.accounts.get(scope, ACCOUNT_KEY) or AccountSettings()

    def save_account(self, scope: Scope, settings: AccountSettings) -> None:
        self.accounts.put(scope, ACCOUNT_KEY, settings)
