"""What the embedded engines share: an asyncio TCP server that can be stopped or killed, and a
``main`` that runs one as a process taking the real binary's command-line flags.

The embedded engines stand in for redis-server and memcached when those are not installed. They
run as child processes exactly like the real binaries (``python -m regionbox.engines.embedded_redis
--bind 127.16.0.3 --port 6379 ...``), so the supervisor's kill -9 on an AZ outage, pid files and
restarts treat both alike; they can also run inside the current event loop (tests, tools).
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any


class EmbeddedServer:
    """One listening socket; ``handle`` serves one client connection."""

    name = "embedded"

    def __init__(self, address: str = "127.0.0.1", port: int = 0, options: dict[str, Any] | None = None) -> None:
        self.address = address
        self.port = port
        self.options = dict(options or {})
        self._server: asyncio.base_events.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> "EmbeddedServer":
        self._server = await asyncio.start_server(self._serve, self.address, self.port, reuse_address=True, limit=1 << 20)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            await self.handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        """Stop listening and drop every client, as a dying process would."""
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._clients):
            writer.close()
        self._clients.clear()
        await self._server.wait_closed()
        self._server = None
        self.save()

    def save(self) -> None:
        """Persist data on a clean stop (engines that keep data override this)."""


def run_forever(server: EmbeddedServer) -> None:
    """Serve until SIGTERM/SIGINT; a clean stop saves the data, as redis-server does."""

    async def main() -> None:
        await server.start()
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, done.set)
        await done.wait()
        await server.stop()

    asyncio.run(main())
