"""A cloud running in this process on a free port, and boto3 clients pointed at it."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.request
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from regionbox.config import Config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ClientFactory:
    """boto3 clients for an endpoint. ``account`` becomes the access key id, which names the account."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint

    def session(self, account: str | None = None, region: str = "us-east-1", access_key: str | None = None,
                secret_key: str = "test", session_token: str | None = None) -> boto3.Session:
        return boto3.Session(aws_access_key_id=access_key or account or "test", aws_secret_access_key=secret_key,
                             aws_session_token=session_token, region_name=region)

    def client(self, service: str, region: str = "us-east-1", account: str | None = None, **kwargs: Any):
        credentials = {k: kwargs.pop(k) for k in ("access_key", "secret_key", "session_token") if k in kwargs}
        config = kwargs.pop("config", BotoConfig(retries={"max_attempts": 1}))
        return self.session(account, region, **credentials).client(service, endpoint_url=self.endpoint, config=config, **kwargs)

    def resource(self, service: str, region: str = "us-east-1", account: str | None = None, **kwargs: Any):
        credentials = {k: kwargs.pop(k) for k in ("access_key", "secret_key", "session_token") if k in kwargs}
        return self.session(account, region, **credentials).resource(service, endpoint_url=self.endpoint, **kwargs)

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.endpoint + path, timeout=60) as response:
            return json.loads(response.read())

    def post(self, path: str, payload: Any = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else b""
        request = urllib.request.Request(self.endpoint + path, data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        self.post("/_regionbox/reset")


class RunningCloud(ClientFactory):
    """Starts a cloud with uvicorn in a background thread (its own event loop) on a free port."""

    def __init__(self, config: Config | None = None, services: dict | None = None):
        from regionbox.server import Cloud

        config = config or Config(ephemeral=True)
        config.host = "127.0.0.1"
        config.port = config.port if config.port not in (0, 4566) else free_port()
        config.warm_up = False  # the test process compiles modules itself (config.py says why)
        self.config = config
        self.cloud = Cloud(config, services)
        super().__init__(f"http://127.0.0.1:{config.port}")
        self._server = None
        self._thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self, timeout: float = 30) -> "RunningCloud":
        import uvicorn

        from regionbox.server import uvicorn_config

        self._server = uvicorn.Server(uvicorn_config(self.cloud))
        # uvicorn installs signal handlers only in the main thread; here it must not.
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]

        def run() -> None:
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self._server.serve())

        self._thread = threading.Thread(target=run, name="regionbox", daemon=True)
        self._thread.start()
        deadline = time.time() + timeout
        while not self._server.started:
            if time.time() > deadline or not self._thread.is_alive():
                raise RuntimeError("regionbox did not start")
            time.sleep(0.01)
        return self

    def run(self, coroutine, timeout: float = 60) -> Any:
        """Run a coroutine on the cloud's event loop (e.g. ``cloud.topology.outage(az)``)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(60)
            self._server = None
