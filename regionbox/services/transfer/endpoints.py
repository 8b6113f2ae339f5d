"""A server's endpoints: in each of its AZs, one loopback address with SFTP on port 22 and FTP/FTPS
on 21 (as the server's protocols say), through the cloud's listeners, so that an outage of an AZ
drops that AZ's endpoint and leaves the others serving. Addresses are recorded in the server's
document and taken again after a restart of regionbox.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from regionbox.services.transfer.models import Endpoint

if TYPE_CHECKING:
    from regionbox.core.listeners import Listener, Listeners
    from regionbox.services.transfer.dataplane import DataPlane
    from regionbox.services.transfer.state import TransferState

log = logging.getLogger("regionbox.transfer")
SFTP_PORT, FTP_PORT = 22, 21


def usual_port(port: int) -> int:
    """The protocol's port, or port + 8000 where this process may not bind ports below 1024."""
    if os.geteuid() == 0:
        return port
    try:
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as file:
            if int(file.read().strip()) <= port:
                return port
    except (OSError, ValueError):
        pass
    return port + 8000


class Endpoints:
    def __init__(self, state: "TransferState", listeners: "Listeners", plane: "DataPlane", ca, tls_root) -> None:
        self.state = state
        self.listeners = listeners
        self.plane = plane
        self.ca = ca
        self.tls_root = tls_root  # where FTPS certificates of servers are kept
        self.open: dict[str, list["Listener"]] = {}

    def _serve_sftp(self, scope, server_id: str):
        from regionbox.services.transfer.sftp import SftpListener

        async def serve(address: str, port: int):
            server = self.state.server(scope, server_id)
            return await SftpListener.start(self.plane, scope, server, address, port)
        return serve

    def _serve_ftp(self, scope, server_id: str):
        from regionbox.services.transfer.ftp import FtpListener

        async def serve(address: str, port: int):
            server = self.state.server(scope, server_id)
            tls = self._tls(server, address) if "FTPS" in server.protocols else None
            return await FtpListener.start(self.plane, scope, server, address, port, tls)
        return serve

    def _tls(self, server, address: str):
        import ssl

        directory = self.tls_root / server.server_id
        cert, key = self.ca.issue(directory, [address, f"{server.server_id}.server.transfer.localhost"])
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        return context

    async def start(self, scope, server_id: str, zones: list[str] | None) -> None:
        """Listen in every AZ of the server (its recorded endpoints, or new ones in ``zones``)."""
        if self.open.get(server_id):
            return
        server = self.state.server(scope, server_id)
        endpoints = server.endpoints or [Endpoint(zone=zone, address="") for zone in zones or []]
        opened: list["Listener"] = []
        try:
            for endpoint in endpoints:
                if "SFTP" in server.protocols:
                    listener = await self.listeners.open(
                        owner="transfer", zone=endpoint.zone, port=endpoint.sftp_port or usual_port(SFTP_PORT),
                        address=endpoint.address or None, serve=self._serve_sftp(scope, server_id))
                    opened.append(listener)
                    endpoint.address, endpoint.sftp_port = listener.address, listener.port
                if {"FTP", "FTPS"} & set(server.protocols):
                    shared = endpoint.address if endpoint.address and endpoint.address != "127.0.0.1" else None
                    listener = await self.listeners.open(
                        owner="transfer", zone=endpoint.zone, port=endpoint.ftp_port or usual_port(FTP_PORT),
                        address=shared if not endpoint.ftp_port else endpoint.address,
                        serve=self._serve_ftp(scope, server_id))
                    opened.append(listener)
                    endpoint.address, endpoint.ftp_port = listener.address, listener.port
        except BaseException:
            for listener in opened:
                await self.listeners.close(listener)
            raise
        self.open[server_id] = opened
        current = self.state.servers.get(scope, server_id)
        if current is not None:
            current.endpoints = endpoints
            self.state.servers.put(scope, server_id, current)

    async def stop(self, scope, server_id: str, forget: bool = False) -> None:
        """Close the server's listeners (their connections drop); ``forget`` its addresses too."""
        for listener in self.open.pop(server_id, []):
            await self.listeners.close(listener)
        if forget:
            current = self.state.servers.get(scope, server_id)
            if current is not None and current.endpoints:
                current.endpoints = []
                self.state.servers.put(scope, server_id, current)

    async def restart(self, scope, server_id: str) -> None:
        """Listen again with the server's current settings (protocols, keys, policy) on the same addresses."""
        server = self.state.servers.get(scope, server_id)
        if server is None or server_id not in self.open:
            return
        await self.stop(scope, server_id)
        kept = [e for e in server.endpoints]
        for endpoint in kept:  # a protocol turned off gives its port back
            if "SFTP" not in server.protocols:
                endpoint.sftp_port = 0
            if not {"FTP", "FTPS"} & set(server.protocols):
                endpoint.ftp_port = 0
        await self.start(scope, server_id, [e.zone for e in kept])

    def where(self, server_id: str) -> list[tuple[str, str, int]]:
        """(zone, address, port) of each listener of a server, open or not."""
        return [(listener.zone, listener.address, listener.port) for listener in self.open.get(server_id, [])]

    def forget_all(self) -> None:
        self.open.clear()
