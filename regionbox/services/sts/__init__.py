"""STS: who a key is, and temporary credentials: AssumeRole over IAM's roles, the federated ways
into a role (web identity, SAML), federation tokens, session tokens, scoped-down sessions; the
decoding of EC2's authorization failure messages; JWTs for services outside AWS.

The credentials it mints live in the cloud's credential registry (core/credentials.py), which
the gateway reads to know every caller.
"""

from regionbox.core.arns import arn
from regionbox.core.context import RequestContext
from regionbox.core.service import Access, Service
from regionbox.services.sts.authorization_messages import AuthorizationMessages
from regionbox.services.sts.identity import CallerIdentity
from regionbox.services.sts.saml import SamlFederation
from regionbox.services.sts.sessions import Sessions, assume_role_actions, checked_role_arn
from regionbox.services.sts.web_identity import WebIdentity
from regionbox.services.sts.web_identity_tokens import SigningKeys, WebIdentityTokens

DELEGATION = ("exchanges the trade-in token of an IAM partner delegation request, delivered to the partner through an "
              "Amazon SNS topic; regionbox serves neither partner delegation (IAM) nor SNS")


def resources(ctx: RequestContext, operation: str, params: dict) -> list:
    """AssumeRole acts on the role: the caller's identity policy must allow sts:AssumeRole on it
    (and sts:TagSession, sts:SetSourceIdentity when used), except where the trust policy names
    the caller itself in the role's own account. The trust policy's refusals are STS's to answer.
    A malformed RoleArn is a ValidationError before any permission is checked, as on AWS."""
    if operation == "AssumeRole":
        role_arn = checked_role_arn(params["RoleArn"])
        return [Access(role_arn, action, resource_policy_checked_by_service=True) for action in assume_role_actions(params)]
    if operation == "GetFederationToken":
        return [arn("sts", "", ctx.account_id, f"federated-user/{params['Name']}", ctx.partition)]
    return ["*"]


class StsApi:
    """What STS offers others: the gateway's encoded authorization failure messages (EC2)."""

    def __init__(self, messages: AuthorizationMessages, keys: SigningKeys) -> None:
        self._messages = messages
        self._keys = keys

    def encode_authorization_failure(self, ctx: RequestContext, action: str, resource: str, reason: str) -> str:
        return self._messages.encode(ctx, action, resource, reason)

    def web_identity_keys(self) -> dict:
        """The JWKS that verifies GetWebIdentityToken's tokens."""
        return self._keys.public_keys()


def load(cloud) -> Service:
    identity = CallerIdentity(cloud.credentials)
    iam = lambda: cloud.services.api("iam")  # noqa: E731 - IAM loads when a role is first asked for
    sessions = Sessions(cloud.credentials, cloud.audit, iam=iam)
    web_identity = WebIdentity(sessions, iam)
    saml = SamlFederation(sessions, iam)
    messages = AuthorizationMessages(cloud.store)
    keys = SigningKeys(cloud.store)
    tokens = WebIdentityTokens(keys, cloud.credentials, iam)
    return Service(
        name="sts",
        operations={
            "GetCallerIdentity": identity.get_caller_identity,
            "GetAccessKeyInfo": identity.get_access_key_info,
            "AssumeRole": sessions.assume_role,
            "GetSessionToken": sessions.get_session_token,
            "GetFederationToken": sessions.get_federation_token,
            "GetScopedCredentials": sessions.get_scoped_credentials,
            "AssumeRoleWithWebIdentity": web_identity.assume_role_with_web_identity,
            "AssumeRoleWithSAML": saml.assume_role_with_saml,
            "DecodeAuthorizationMessage": messages.decode_authorization_message,
            "GetWebIdentityToken": tokens.get_web_identity_token,
        },
        not_implemented={
            "GetDelegatedAccessToken": DELEGATION,
            "AssumeRoot": "needs AWS Organizations (centralized root access), which regionbox does not serve yet",
        },
        # AWS needs no permission for these: a policy cannot even deny them. The federated ways in
        # are called without AWS credentials at all: the token or assertion is the credential;
        # a scoped-down session can only do less than the session asking for it.
        iam_actions={"GetCallerIdentity": None, "GetSessionToken": None, "AssumeRoleWithWebIdentity": None,
                     "AssumeRoleWithSAML": None, "GetScopedCredentials": None},
        resources=resources,
        resource_policy=lambda arn: cloud.services.api("iam").trust_policy(arn),
        api=StsApi(messages, keys),
    )
