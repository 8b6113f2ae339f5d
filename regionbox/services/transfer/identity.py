"""Who a login is: service-managed users (SSH keys stored here) or a custom identity provider
(AWS's contract: a Lambda function or an API Gateway method answers the login with the user's
Role, Policy, home directory or logical mappings, POSIX profile and public keys), and the session
that follows: the user acts in S3 as their role's session, narrowed by their session policy.

The two custom providers are asked the same question and their answers read the same way:

- AWS_LAMBDA: ``cloud.services.api("lambda").invoke`` as the service principal
  ``transfer.amazonaws.com`` with the server's ARN as source, so the function's policy must let
  Transfer in (AddPermission), as on AWS.
- API_GATEWAY: ``GET {Url}/servers/{serverId}/users/{username}/config?protocol=..&sourceIp=..``
  with the ``Password`` and ``PasswordBase64`` headers for a password login (none for a key
  login), signed with SigV4 for ``execute-api`` as a session of the server's InvocationRole
  (which must trust transfer.amazonaws.com; the method is AWS_IAM, so IAM checks
  ``execute-api:Invoke``), through ``cloud.services.api("apigateway").call``. Only a 200 answer
  counts.

AWS Directory Service is not served; its logins fail as AWS's do for a provider that cannot be
reached, naming what is missing.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from regionbox.core import clock, ids
from regionbox.core.arns import Arn
from regionbox.core.context import Caller, RequestContext
from regionbox.core.credentials import CredentialRegistry, IssuedCredentials
from regionbox.core.errors import ServiceError
from regionbox.core.service import Access
from regionbox.services.transfer.models import Server
from regionbox.services.transfer.paths import View, substitute
from regionbox.services.transfer.filesystem import Session
from regionbox.services.transfer.state import TransferState, bad_request, user_key


class AuthFailed(Exception):
    """The login is refused; the message is what the server's logs say about it."""


@dataclass
class Answer:
    """What a custom identity provider answered: where it was asked (the function, or the API's
    config URL), its HTTP status and its response as sent (TestIdentityProvider shows all three)."""

    url: str
    status: int
    text: str

    def document(self) -> dict:
        if self.status != 200:
            raise AuthFailed(f"Unable to call identity provider: {self.url} answered HTTP {self.status}: {self.text[:200]}")
        try:
            response = json.loads(self.text) if self.text else None
        except ValueError:
            response = None
        if not isinstance(response, dict):
            raise AuthFailed("The identity provider's response is not a JSON object")
        return response


@dataclass
class Login:
    """What a successful authentication says about the user."""

    user_name: str
    role: str
    home_type: str = "PATH"
    home: str = ""
    mappings: list[dict] = field(default_factory=list)
    policy: str = ""
    posix_profile: dict | None = None
    public_keys: list[str] = field(default_factory=list)


def login_from_response(user_name: str, response: dict) -> Login:
    """A custom identity provider's answer, read as AWS reads it: no Role means no login."""
    if not isinstance(response, dict) or not response.get("Role"):
        raise AuthFailed("The identity provider did not return a role: access denied")
    home_type = response.get("HomeDirectoryType") or "PATH"
    mappings: list[dict] = []
    if home_type == "LOGICAL":
        details = response.get("HomeDirectoryDetails")
        try:
            mappings = json.loads(details) if isinstance(details, str) else list(details or [])
        except ValueError:
            raise AuthFailed("HomeDirectoryDetails is not valid JSON") from None
        if not mappings or not all(isinstance(m, dict) and "Entry" in m and "Target" in m for m in mappings):
            raise AuthFailed("HomeDirectoryDetails must be a list of {Entry, Target} mappings for a LOGICAL home")
    keys = response.get("PublicKeys") or []
    return Login(user_name=user_name, role=response["Role"], home_type=home_type, home=response.get("HomeDirectory") or "",
                 mappings=mappings, policy=response.get("Policy") or "", posix_profile=response.get("PosixProfile"),
                 public_keys=[keys] if isinstance(keys, str) else list(keys))


def policy_variables(policy: str, login: Login) -> str:
    """Transfer's policy variables, filled in before IAM sees the session policy."""
    home = substitute(login.home, login.user_name).strip("/")
    bucket, _, folder = home.partition("/")
    for name, value in (("UserName", login.user_name), ("HomeDirectory", home), ("HomeBucket", bucket),
                        ("HomeFolder", folder)):
        policy = policy.replace("${transfer:%s}" % name, value).replace("${Transfer:%s}" % name, value)
    return policy


PRINCIPAL = "transfer.amazonaws.com"  # who invokes an identity provider's function or assumes its invocation role
SESSION_SECONDS = 3600
RENEW_BEFORE = 300  # a new session of the invocation role once less than this is left


class IdentityProviders:
    def __init__(self, state: TransferState, services, iam, credentials: CredentialRegistry) -> None:
        self.state = state
        self.services = services  # the cloud's registry: Lambda and API Gateway, when there are
        self.iam = iam  # () -> IamApi
        self.credentials = credentials  # where the invocation role's sessions are registered
        self._invocation_sessions: dict[tuple[str, str], IssuedCredentials] = {}

    # -- logins ----------------------------------------------------------------------------------
    def service_managed(self, scope, server: Server, user_name: str) -> Login | None:
        user = self.state.users.get(scope, user_key(server.server_id, user_name))
        if user is None:
            return None
        return Login(user_name=user.user_name, role=user.role, home_type=user.home_directory_type,
                     home=user.home_directory, mappings=user.mappings, policy=user.policy,
                     posix_profile=user.posix_profile, public_keys=[k.body for k in user.ssh_keys])

    async def custom(self, scope, server: Server, user_name: str, password: str | None, protocol: str,
                     source_ip: str) -> Login:
        answer = await self.ask(scope, server, user_name, password, protocol, source_ip)
        return login_from_response(user_name, answer.document())

    async def ask(self, scope, server: Server, user_name: str, password: str | None, protocol: str,
                  source_ip: str) -> Answer:
        """The custom identity provider's answer to a login (AuthFailed when it cannot be asked)."""
        kind = server.identity_provider_type
        if kind == "AWS_DIRECTORY_SERVICE":
            raise AuthFailed(f"Unable to call identity provider: directory {server.identity_provider_details.get('DirectoryId')} "
                             "does not exist (AWS Directory Service is not served by regionbox)")
        if kind == "API_GATEWAY":
            return await self._call_api(scope, server, user_name, password, protocol, source_ip)
        return await self._invoke_function(scope, server, user_name, password, protocol, source_ip)

    async def _invoke_function(self, scope, server: Server, user_name: str, password: str | None, protocol: str,
                               source_ip: str) -> Answer:
        function = server.identity_provider_details.get("Function", "")
        event = {"username": user_name, "protocol": protocol, "serverId": server.server_id, "sourceIp": source_ip}
        if password is not None:
            event["password"] = password
        lambda_api = self._api("lambda")
        if lambda_api is None:
            raise AuthFailed(f"Unable to call identity provider: Function not found: {function}")
        try:
            invocation = await lambda_api.invoke(scope[0], scope[1], function, event, principal=PRINCIPAL,
                                                 source_arn=server.arn, source_account=scope[0])
        except ServiceError as error:
            raise AuthFailed(f"Unable to call identity provider: {error.message or error.code}") from None
        text = invocation.payload.decode("utf-8", "replace")
        if invocation.function_error is not None:
            try:
                response = invocation.json()
            except ValueError:
                response = None
            message = response.get("errorMessage", "") if isinstance(response, dict) else ""
            raise AuthFailed(f"Unable to call identity provider: the function failed: {invocation.error_type}: {message}")
        return Answer(function, invocation.status_code, text)

    async def _call_api(self, scope, server: Server, user_name: str, password: str | None, protocol: str,
                        source_ip: str) -> Answer:
        details = server.identity_provider_details
        url = (f"{details.get('Url', '').rstrip('/')}/servers/{server.server_id}/users/{quote(user_name, safe='')}/config"
               f"?{urlencode({'protocol': protocol, 'sourceIp': source_ip})}")
        api = self._api("apigateway")
        if api is None:
            raise AuthFailed(f"Unable to call identity provider: {url} is not an API Gateway invoke URL")
        session = self._invocation_session(scope, server, details.get("InvocationRole", ""))
        headers = {"Host": urlsplit(url).netloc}
        if password is not None:
            # AWS sends the password as it is and base64-encoded (for passwords beyond US-ASCII).
            headers["Password"] = password
            headers["PasswordBase64"] = base64.b64encode(password.encode()).decode()
        request = AWSRequest(method="GET", url=url, headers=headers)
        SigV4Auth(Credentials(session.access_key_id, session.secret_access_key, session.session_token), "execute-api",
                  scope[1]).add_auth(request)
        response = await api.call(url, "GET", dict(request.headers.items()))
        if response is None:
            raise AuthFailed(f"Unable to call identity provider: {url} is not an API Gateway invoke URL")
        return Answer(url, response.status, response.body.decode("utf-8", "replace"))

    def _invocation_session(self, scope, server: Server, role_arn: str) -> IssuedCredentials:
        """A session of the server's invocation role, as Transfer assumes it to call the API: the
        role must exist and trust transfer.amazonaws.com. Reused until it nears its expiration."""
        cached = self._invocation_sessions.get((role_arn, server.server_id))
        if cached is not None and cached.expiration - clock.epoch() > RENEW_BEFORE \
                and self.credentials.issued(cached.access_key_id) is not None:  # (a reset forgets sessions)
            return cached
        iam = self.iam()
        role = iam.role_by_arn(role_arn)
        if role is None or not iam.service_allowed(iam.trust_policy(role_arn), PRINCIPAL, "sts:AssumeRole", role_arn, {}):
            raise AuthFailed(f"Unable to call identity provider: transfer.amazonaws.com cannot assume the invocation role "
                             f"{role_arn}")
        caller = Caller.assumed_role(role_arn, role.role_id, server.server_id, Arn.parse(role_arn).account or scope[0])
        issued = IssuedCredentials.session(caller, SESSION_SECONDS)
        self.credentials.register(issued)
        iam.mark_role_used(role, scope[1])
        self._invocation_sessions[(role_arn, server.server_id)] = issued
        return issued

    def _api(self, name: str):
        try:
            return self.services.api(name)
        except (KeyError, ServiceError):
            return None

    # -- sessions --------------------------------------------------------------------------------
    def role_session(self, scope, role_arn: str, session_name: str, policy: str | None, source_ip: str):
        """(the Caller of a session of ``role_arn``, authorize(action, resource, context) -> bool):
        what Transfer does in S3 for a user or a workflow, it does as that session."""
        iam = self.iam()
        role = iam.role_by_arn(role_arn)
        try:
            account = Arn.parse(role_arn).account or scope[0]
        except ValueError:
            account = scope[0]
        # A role that is gone has no policies: its session may do nothing.
        # The session's own access key: S3 takes a caller without one for an anonymous one.
        role_id = role.role_id if role else "AROA" + role_arn.rsplit("/", 1)[-1].upper()
        caller = Caller.assumed_role(role_arn, role_id, session_name, account, access_key_id=ids.access_key_id("ASIA"))
        credentials = IssuedCredentials(access_key_id="", secret_access_key="", session_token=session_name,
                                        expiration=0.0, caller={}, session_policy=policy or None)
        if role is not None:
            iam.mark_role_used(role, scope[1])

        def authorize(action: str, resource: str, context: dict) -> bool:
            ctx = RequestContext(caller=caller, region=scope[1], request_id=ids.request_id(), service="s3",
                                 operation=action, source_ip=source_ip)
            return iam.authorize(ctx, credentials, action, [Access(resource, action, context)]) is None

        return caller, authorize

    def session(self, scope, server: Server, login: Login, session_id: str, source_ip: str) -> Session:
        # AWS names the role session "<user>.<session id>@<server id>" (S3 events show it in principalId).
        session_name = f"{login.user_name}.{session_id}@{server.server_id}"[:64]
        policy = policy_variables(login.policy, login) if login.policy else None
        caller, authorize = self.role_session(scope, login.role, session_name, policy, source_ip)
        view = View(login.home_type, login.home, login.mappings, login.user_name)
        return Session(account=caller.account_id, region=scope[1], user_name=login.user_name, server_id=server.server_id,
                       session_id=session_id, view=view, caller=caller, authorize=authorize,
                       set_stat_no_op=server.protocol_details.get("SetStatOption") == "ENABLE_NO_OP")

    # -- TestIdentityProvider --------------------------------------------------------------------
    async def test_identity_provider(self, ctx: RequestContext, params: dict) -> dict:
        server = self.state.server(ctx.scope, params["ServerId"])
        if server.identity_provider_type == "SERVICE_MANAGED":
            # TestIdentityProvider is for custom identity providers only, as AWS documents.
            raise bad_request(f"{server.server_id} not configured for external auth")
        protocol = params.get("ServerProtocol") or "SFTP"
        if protocol not in server.protocols:
            raise bad_request(f"Protocol {protocol} is not enabled on server {server.server_id}")
        where = server.identity_provider_details.get("Url") or server.identity_provider_details.get("Function") or ""
        try:
            answer = await self.ask(ctx.scope, server, params["UserName"], params.get("UserPassword"), protocol,
                                    params.get("SourceIp") or ctx.source_ip)
        except AuthFailed as failure:
            return {"Response": "", "StatusCode": 500, "Message": str(failure), "Url": where}
        message = ""
        try:
            login_from_response(params["UserName"], answer.document())
        except AuthFailed as failure:
            message = str(failure)
        return {"Response": answer.text, "StatusCode": answer.status, "Message": message, "Url": answer.url}
