"""IAM's one typed state: roles, users, groups, managed policies, instance profiles, MFA devices,
identity providers, server certificates and the account's settings.

IAM is global: everything lives in the account's global scope ``(account, "")``, so a role
created through any region's endpoint is the same role everywhere. Names are unique per account
regardless of case, as on AWS: documents are keyed by the lower-cased name.
"""

from __future__ import annotations

from typing import Any

from regionbox.core.arns import Arn
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

    def entity_at(self, scope: Scope, arn: str) -> tuple[str, Any]:
        """(kind, entity) for the user, role or group an ARN names: kind is "" for an ARN of
        anything else, entity None unless one exists with exactly that ARN (path included).
        ValueError for what is no ARN at all."""
        parsed = Arn.parse(arn)
        kind, _, rest = parsed.resource.partition("/")
        collection = {"user": self.users, "role": self.roles, "group": self.groups}.get(kind)
        if parsed.service != "iam" or collection is None:
            return "", None
        entity = collection.get(scope, rest.rsplit("/", 1)[-1].lower())
        return kind, (entity if entity is not None and entity.arn == arn else None)

    def policy_holders(self, scope: Scope, kind: str, entity: Any) -> list[tuple[Any, str]]:
        """Whose policies count for an entity: itself and, for a user, its groups."""
        holders = [(entity, kind)]
        if kind == "user":
            holders += [(g, "group") for g in self.groups_of(scope, entity.name)]
        return holders

    def account(self, scope: Scope) -> AccountSettings:
        return self.accounts.get(scope, ACCOUNT_KEY) or AccountSettings()

    def save_account(self, scope: Scope, settings: AccountSettings) -> None:
        self.accounts.put(scope, ACCOUNT_KEY, settings)
