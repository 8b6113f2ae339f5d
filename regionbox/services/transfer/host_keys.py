"""Host keys: the keys a server proves itself with to SFTP clients (ImportHostKey, DescribeHostKey,
ListHostKeys, UpdateHostKey, DeleteHostKey, and CreateServer/UpdateServer's HostKey).

A server presents, of each key type, the oldest key it holds (AWS's rule, so that a new key can be
imported before an old one is retired). A server given no key gets an RSA key of its own.
"""

from __future__ import annotations

import asyncio
import secrets

from regionbox.core import clock
from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.transfer.models import HostKey, Server
from regionbox.services.transfer.state import TransferState, bad_request, exists, not_found

RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [1, 1000]"), default=1000, maximum=1000)


def parse_private(body: str):
    """The asyncssh key of a private key in OpenSSH or PEM form; InvalidRequestException otherwise."""
    import asyncssh

    try:
        key = asyncssh.import_private_key(body.strip().encode() + b"\n")
    except (asyncssh.KeyImportError, ValueError) as error:
        raise bad_request(f"Invalid host key: {error}") from None
    if key.get_algorithm() not in ("ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                                   "ecdsa-sha2-nistp521"):
        raise bad_request(f"Unsupported host key type {key.get_algorithm()}")
    if key.get_algorithm() == "ssh-rsa" and key.pyca_key.key_size < 2048:
        raise bad_request("RSA host keys must be at least 2048 bits")
    return key


def host_key(body: str, description: str = "", tags: list | None = None) -> HostKey:
    key = parse_private(body)
    return HostKey(host_key_id=f"hostkey-{secrets.token_hex(9)[:17]}", body=body.strip(), type=key.get_algorithm(),
                   fingerprint=key.get_fingerprint("sha256"), imported=clock.epoch(), description=description,
                   tags=list(tags or []))


async def generated_key() -> HostKey:
    import asyncssh

    key = await asyncio.to_thread(asyncssh.generate_private_key, "ssh-rsa", key_size=2048)
    return host_key(key.export_private_key().decode())


def presented(server: Server) -> list[HostKey]:
    """The oldest key of each type: what the server shows clients."""
    chosen: dict[str, HostKey] = {}
    for key in sorted(server.host_keys, key=lambda k: k.imported):
        chosen.setdefault(key.type, key)
    return list(chosen.values())


def fingerprint(server: Server) -> str | None:
    keys = sorted(server.host_keys, key=lambda k: k.imported)
    return keys[0].fingerprint if keys else None


def add(server: Server, key: HostKey) -> None:
    if any(k.fingerprint == key.fingerprint for k in server.host_keys):
        raise exists("The host key already exists on this server", key.fingerprint, "HostKey")
    server.host_keys.append(key)


class HostKeys:
    def __init__(self, state: TransferState, paginator: Paginator, restart) -> None:
        self.state = state
        self.paginator = paginator
        self.restart = restart  # (scope, server id) -> awaitable: the listeners take the new keys

    def _arn(self, server: Server, key: HostKey) -> str:
        return server.arn.replace(":server/", ":host-key/") + f"/{key.host_key_id}"

    def _find(self, server: Server, host_key_id: str) -> HostKey:
        found = next((k for k in server.host_keys if k.host_key_id == host_key_id), None)
        if found is None:
            raise not_found("Unknown host key", host_key_id, "HostKey")
        return found

    async def import_host_key(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("StorageType") == "SECRETS_MANAGER":
            raise bad_request("Host keys stored in AWS Secrets Manager need Secrets Manager, which regionbox does not serve")
        server = self.state.server(ctx.scope, params["ServerId"])
        key = host_key(params["HostKeyBody"], params.get("Description") or "", params.get("Tags"))
        add(server, key)
        self.state.servers.put(ctx.scope, server.server_id, server)
        await self.restart(ctx.scope, server.server_id)
        return {"ServerId": server.server_id, "HostKeyId": key.host_key_id}

    def _described(self, server: Server, key: HostKey) -> dict:
        return {"Arn": self._arn(server, key), "HostKeyId": key.host_key_id, "HostKeyFingerprint": key.fingerprint,
                "Description": key.description, "Type": key.type, "DateImported": key.imported, "Tags": key.tags,
                "StorageType": "SERVICE_MANAGED"}

    def describe_host_key(self, ctx: RequestContext, params: dict) -> dict:
        server = self.state.server(ctx.scope, params["ServerId"])
        return {"HostKey": self._described(server, self._find(server, params["HostKeyId"]))}

    def list_host_keys(self, ctx: RequestContext, params: dict) -> dict:
        server = self.state.server(ctx.scope, params["ServerId"])
        page, token = self.paginator.paginate(server.host_keys, params, RULE, query=server.server_id)
        keys = [{"Arn": self._arn(server, k), "HostKeyId": k.host_key_id, "Fingerprint": k.fingerprint,
                 "Description": k.description, "Type": k.type, "DateImported": k.imported, "StorageType": "SERVICE_MANAGED"}
                for k in page]
        return {"ServerId": server.server_id, "HostKeys": keys, **({"NextToken": token} if token else {})}

    def update_host_key(self, ctx: RequestContext, params: dict) -> dict:
        server = self.state.server(ctx.scope, params["ServerId"])
        key = self._find(server, params["HostKeyId"])
        if params.get("StorageType") == "SECRETS_MANAGER":
            raise bad_request("Host keys stored in AWS Secrets Manager need Secrets Manager, which regionbox does not serve")
        if "Description" in params:
            key.description = params["Description"]
        self.state.servers.put(ctx.scope, server.server_id, server)
        return {"ServerId": server.server_id, "HostKeyId": key.host_key_id}

    async def delete_host_key(self, ctx: RequestContext, params: dict) -> dict:
        server = self.state.server(ctx.scope, params["ServerId"])
        key = self._find(server, params["HostKeyId"])
        if len(server.host_keys) == 1:
            raise bad_request("A server must keep at least one host key: import another before deleting this one")
        server.host_keys.remove(key)
        self.state.servers.put(ctx.scope, server.server_id, server)
        await self.restart(ctx.scope, server.server_id)
        return {}

