"""IAM's one typed state: roles, users, managed policies and instance profiles.

IAM is global: everything lives in the account's global scope ``(account, "")``, so a role
created through any region's endpoint is the same role everywhere. Names are unique per account
regardless of case, as on AWS: documents are keyed by the lower-cased name.
"""

from __future__ import annotations

from regionbox.core.store import Scope, Store
from regionbox.services.iam.models import InstanceProfile, ManagedPolicy, Role, User


def global_scope(account: str) -> Scope:
    return (account, "")


class IamState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.roles = store.collection("iam.roles", Role)
        self.users = store.collection("iam.users", User)
        self.policies = store.collection("iam.policies", ManagedPolicy)
        self.instance_profiles = store.collection("iam.instance_profiles", InstanceProfile)

    def profiles_with_role(self, scope: Scope, role_name: str) -> list[InstanceProfile]:
        return [p for p in self.instance_profiles.values(scope) if role_name in p.role_names]
