"""STS: who a key is, and session credentials (AssumeRole over IAM's roles, GetSessionToken).

The credentials it mints live in the cloud's credential registry (core/credentials.py), which
the gateway reads to know every caller.
"""

from regionbox.core.context import RequestContext
from regionbox.core.service import Access, Service
from regionbox.services.sts.identity import CallerIdentity
from regionbox.services.sts.sessions import Sessions, assume_role_actions

ISSUE_9 = "not built yet (issue #9)"


def resources(ctx: RequestContext, operation: str, params: dict) -> list:
    """AssumeRole acts on the role: the caller's identity policy must allow sts:AssumeRole on it
    (and sts:TagSession, sts:SetSourceIdentity when used), except where the trust policy names
    the caller itself in the role's own account. The trust policy's refusals are STS's to answer."""
    if operation == "AssumeRole":
        return [Access(params["RoleArn"], action, resource_policy_checked_by_service=True)
                for action in assume_role_actions(params)]
    return ["*"]


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
        # AWS needs no permission for these: a policy cannot even deny them.
        iam_actions={"GetCallerIdentity": None, "GetSessionToken": None},
        resources=resources,
        resource_policy=lambda arn: cloud.services.api("iam").trust_policy(arn),
    )
