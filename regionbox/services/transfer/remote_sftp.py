"""An SFTP connector's way to its remote server: its login from Secrets Manager (read as the
connector's access role, which IAM must let do ``secretsmanager:GetSecretValue``: AWS's rule), the
server's host key checked against the connector's trusted host keys before the login is sent, and
an asyncssh SFTP session.

The secret is AWS's: a JSON object with ``Username`` and a ``Password`` or a ``PrivateKey`` (or
both). A trusted host key is a public key line ("ssh-ed25519 AAAA... comment") or a known_hosts
line that starts with host names ("[host]:port ssh-ed25519 AAAA...").
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator
from urllib.parse import urlsplit

from regionbox.core.errors import ServiceError
from regionbox.services.transfer.models import Connector

CONNECT_TIMEOUT = 15
KEY_TYPES = ("ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")


class RemoteError(Exception):
    """The remote server could not be reached or refused: ``code`` for results, the message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "sftp" or not parts.hostname:
        raise ValueError(url)
    return parts.hostname, parts.port or 22


def public_key(line: str):
    """The asyncssh key of a trusted host key entry; ValueError when it is none."""
    import asyncssh

    words = line.split()
    for at, word in enumerate(words):
        if word in KEY_TYPES and at + 1 < len(words):
            try:
                return asyncssh.import_public_key(f"{word} {words[at + 1]}")
            except (asyncssh.KeyImportError, ValueError):
                break
    raise ValueError(line)


def openssh_line(key) -> str:
    return key.export_public_key("openssh").decode().strip()


@dataclass
class Login:
    user: str
    password: str | None
    private_key: object | None  # asyncssh SSHKey


class Remote:
    def __init__(self, identity, secrets) -> None:
        self.identity = identity  # IdentityProviders: the access role's session
        self.secrets = secrets  # () -> SecretsManagerApi

    def login(self, scope, connector: Connector) -> Login:
        import asyncssh

        secret_id = connector.sftp_config.get("UserSecretId")
        if not secret_id:
            raise RemoteError("MISSING_CREDENTIALS", "The connector has no UserSecretId")
        api = self.secrets()
        arn = api.arn(*scope, secret_id)
        _, authorize = self.identity.role_session(scope, connector.access_role, connector.connector_id, None, "")
        if arn is None:
            raise RemoteError("SECRET_NOT_FOUND", f"Secrets Manager can't find the specified secret: {secret_id}")
        if not authorize("secretsmanager:GetSecretValue", arn, {}):
            raise RemoteError("ACCESS_DENIED", f"The access role {connector.access_role} is not authorized to perform "
                                               f"secretsmanager:GetSecretValue on {arn}")
        try:
            value = api.value(*scope, secret_id)
            document = json.loads(value.string or "")
        except ServiceError as error:
            raise RemoteError("SECRET_NOT_FOUND", error.message or error.code) from None
        except ValueError:
            raise RemoteError("INVALID_CREDENTIALS", "The secret is not a JSON object with Username and "
                                                     "Password or PrivateKey") from None
        if not isinstance(document, dict) or not document.get("Username") or not (
                document.get("Password") or document.get("PrivateKey")):
            raise RemoteError("INVALID_CREDENTIALS", "The secret must hold Username and Password or PrivateKey")
        key = None
        if document.get("PrivateKey"):
            try:
                key = asyncssh.import_private_key(document["PrivateKey"].strip() + "\n")
            except (asyncssh.KeyImportError, ValueError) as error:
                raise RemoteError("INVALID_CREDENTIALS", f"The secret's PrivateKey cannot be read: {error}") from None
        return Login(document["Username"], document.get("Password"), key)

    @staticmethod
    async def host_key(connector: Connector):
        """The key the remote server presents (no login)."""
        import asyncssh

        host, port = host_and_port(connector.url)
        try:
            key = await asyncssh.get_server_host_key(host, port)
        except (OSError, asyncssh.Error) as error:
            raise RemoteError("CONNECTION_ERROR", f"Unable to connect to {host}:{port}: {error}") from None
        if key is None:
            raise RemoteError("CONNECTION_ERROR", f"{host}:{port} presented no host key")
        return key

    @asynccontextmanager
    async def sftp(self, scope, connector: Connector) -> AsyncIterator[object]:
        """An SFTP client logged in to the remote server; only a trusted host key is accepted."""
        import asyncio

        import asyncssh

        trusted = [public_key(line) for line in connector.sftp_config.get("TrustedHostKeys") or []]
        if not trusted:
            raise RemoteError("HOST_KEY_NOT_TRUSTED", "The connector has no trusted host keys: add the server's host key "
                                                      "(TestConnection returns it) to TrustedHostKeys")
        login = self.login(scope, connector)
        host, port = host_and_port(connector.url)
        try:
            connection = await asyncssh.connect(
                host, port, username=login.user, password=login.password,
                client_keys=[login.private_key] if login.private_key else None, known_hosts=(trusted, [], []),
                # Offer every host key algorithm (not only the trusted keys' types), so that a server
                # with another key fails verification as such rather than as a failed negotiation.
                server_host_key_algs="default",
                agent_path=None, config=None, preferred_auth="publickey,password,keyboard-interactive",
                connect_timeout=CONNECT_TIMEOUT)
        except asyncssh.HostKeyNotVerifiable as error:
            raise RemoteError("HOST_KEY_NOT_TRUSTED", f"Host key verification failed: {error}") from None
        except asyncssh.PermissionDenied:
            raise RemoteError("AUTHENTICATION_FAILED", f"Authentication to {host}:{port} failed for user "
                                                       f"{login.user}") from None
        except (OSError, asyncssh.Error, asyncio.TimeoutError) as error:
            raise RemoteError("CONNECTION_ERROR", f"Unable to connect to {host}:{port}: {error}") from None
        async with connection:
            try:
                client = await connection.start_sftp_client()
            except asyncssh.Error as error:
                raise RemoteError("CONNECTION_ERROR", f"The server refused an SFTP session: {error}") from None
            async with client:
                yield client  # what the caller does may raise asyncssh.SFTPError: its own step failed


def sftp_failure(error) -> RemoteError:
    """An SFTP status as a result's failure code (AWS's codes for connector results)."""
    import asyncssh

    codes = {asyncssh.sftp.FX_NO_SUCH_FILE: "FILE_NOT_FOUND", asyncssh.sftp.FX_PERMISSION_DENIED: "ACCESS_DENIED"}
    return RemoteError(codes.get(getattr(error, "code", None), "REMOTE_ERROR"), getattr(error, "reason", None) or str(error))
