"""What Transfer Family offers others (``cloud.services.api("transfer")``): where a server's
endpoints listen, for tools and tests that connect to them (AWS gives a DNS name instead)."""

from __future__ import annotations

from dataclasses import dataclass

from regionbox.services.transfer.state import TransferState


@dataclass(frozen=True)
class EndpointInfo:
    zone: str
    address: str
    sftp_port: int
    ftp_port: int


class TransferApi:
    def __init__(self, state: TransferState) -> None:
        self._state = state

    def endpoints(self, account: str, region: str, server_id: str) -> list[EndpointInfo]:
        server = self._state.servers.get((account, region), server_id)
        if server is None:
            return []
        return [EndpointInfo(e.zone, e.address, e.sftp_port, e.ftp_port) for e in server.endpoints]
