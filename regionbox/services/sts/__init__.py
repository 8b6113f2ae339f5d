"""STS: who a key is, and session credentials (AssumeRole over IAM's roles, GetSessionToken).

The credentials it mints live in the cloud's credential registry (core/credentials.py), which
the gateway reads to know every caller.
"""

from regionbox.core.service import Service
from regionbox.services.sts.identity import CallerIdentity
from regionbox.services.sts.sessions import Sessions

ISSUE_9 = "not built yet (issue #9)"


def load(cloud) -> Service:
    identity = CallerIdentity(cloud.credentials)
    sessions = Sessions(cloud.credentials, cloud.audit, iam=lambda: cloud.services.api("iam"))
    return Service(
        name="sts",
        operations={
            "GetCallerIdentity": identity.get_caller_identity,
            "GetAccessKeyInfo": identity.get_access_key_info,
            "AssumeRole": sessions.assume_role,
            "GetSessionToken": sessions.get_session_token,
        },
        not_implemented={
            "AssumeRoleWithSAML": ISSUE_9,
            "AssumeRoleWithWebIdentity": ISSUE_9,
            "GetFederationToken": ISSUE_9,
            "DecodeAuthorizationMessage": ISSUE_9,
            "GetWebIdentityToken": ISSUE_9,
            "GetDelegatedAccessToken": ISSUE_9,
            "GetScopedCredentials": ISSUE_9,
            "AssumeRoot": "needs AWS Organizations (centralized root access), which regionbox does not serve yet",
        },
    )
