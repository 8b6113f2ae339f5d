"""What the SFTP and FTP servers share: logging a user in (service-managed keys or a custom
identity provider), the session that follows (their view of S3 and their role), the structured
log of what they do, and the workflows that run after an upload."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from regionbox.services.transfer.activity import Activity
from regionbox.services.transfer.filesystem import Files
from regionbox.services.transfer.identity import AuthFailed, IdentityProviders, Login
from regionbox.services.transfer.models import Server
from regionbox.services.transfer.state import TransferState


@dataclass
class Connection:
    """One client connection to one server, from CONNECTED to DISCONNECTED."""

    scope: tuple[str, str]
    server_id: str
    protocol: str  # SFTP, FTP, FTPS
    source_ip: str
    session_id: str = field(default_factory=lambda: secrets.token_hex(8))
    login: Login | None = None
    files: Files | None = None

    @property
    def stream(self) -> str:
        return f"{self.login.user_name}.{self.session_id}" if self.login else "ERRORS"


class DataPlane:
    def __init__(self, state: TransferState, identity: IdentityProviders, activity: Activity, s3, workflows) -> None:
        self.state = state
        self.identity = identity
        self.activity = activity
        self.s3 = s3  # () -> S3Api
        self.workflows = workflows  # WorkflowRunner: after uploads

    def server(self, connection: Connection) -> Server | None:
        return self.state.servers.get(connection.scope, connection.server_id)

    def log(self, connection: Connection, activity: str, **fields) -> None:
        server = self.server(connection)
        if server is None:
            return
        session = {} if activity == "AUTH_FAILURE" and connection.login is None else {"session_id": connection.session_id}
        self.activity.record(connection.scope, server, connection.stream, activity, **session, **fields)

    def auth_failure(self, connection: Connection, user: str, method: str, message: str) -> None:
        self.log(connection, "AUTH_FAILURE", user=user, method=method, source_ip=connection.source_ip, message=message)

    async def login(self, connection: Connection, user: str, *, password: str | None = None,
                    public_key: bytes | None = None) -> Login | None:
        """The login, or None (logged as AUTH_FAILURE) when the server refuses it."""
        server = self.server(connection)
        if server is None or server.state != "ONLINE":
            return None
        method = "password" if password is not None else "publickey"
        try:
            if server.identity_provider_type == "SERVICE_MANAGED":
                login = self.identity.service_managed(connection.scope, server, user)
                if login is None:
                    raise AuthFailed("Unknown user")
                if password is not None:
                    raise AuthFailed("Password authentication is not available for service-managed users")
            else:
                login = await self.identity.custom(connection.scope, server, user, password, connection.protocol,
                                                   connection.source_ip)
            if public_key is not None and not _key_matches(public_key, login.public_keys):
                raise AuthFailed("Public key does not match any key of the user")
        except AuthFailed as failure:
            self.auth_failure(connection, user, method, str(failure))
            return None
        return login

    def begin(self, connection: Connection, login: Login, method: str, **connected) -> Files:
        """The session of a user who logged in: AUTH_SUCCESSFUL and CONNECTED logged."""
        server = self.server(connection)
        connection.login = login
        session = self.identity.session(connection.scope, server, login, connection.session_id, connection.source_ip)
        connection.files = Files(session, self.s3())
        self.log(connection, "AUTH_SUCCESSFUL", user=login.user_name, method=method, source_ip=connection.source_ip)
        self.log(connection, "CONNECTED", user=login.user_name, role=login.role, source_ip=connection.source_ip,
                 home_dir=session.view.home, **connected)
        return connection.files

    def uploaded(self, connection: Connection, path: str, upload) -> None:
        """A complete upload: CLOSE logged, the server's OnUpload workflows started."""
        self.log(connection, "CLOSE", path=path, bytes_in=str(upload.received))
        server = self.server(connection)
        if server is not None and upload.info is not None:
            self.workflows.after_upload(connection, server, upload, partial=False)

    def partial(self, connection: Connection, path: str, upload) -> None:
        """An upload that ended before the client closed it: nothing appears; PARTIAL_CLOSE."""
        self.log(connection, "PARTIAL_CLOSE", path=path, bytes_in=str(upload.received))
        server = self.server(connection)
        if server is not None:
            self.workflows.after_upload(connection, server, upload, partial=True)


def _key_matches(public_key: bytes, bodies: list[str]) -> bool:
    import asyncssh

    for body in bodies:
        try:
            if asyncssh.import_public_key(body.strip()).public_data == public_key:
                return True
        except (asyncssh.KeyImportError, ValueError):
            continue
    return False
