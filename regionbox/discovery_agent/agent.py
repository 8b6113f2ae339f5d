"""The agent's loop: register, heartbeat, collect while told to, buffer on disk, upload, retry.

Intervals: AWS's agent pings Application Discovery Service every 15 minutes (its documented
interval), which is when it learns that collection was started or stopped; regionbox's agent does
the same (``heartbeat``) and uploads what it buffered at the same pace (``upload``). It samples
utilisation, processes and connections every 15 seconds (``sample``: AWS documents no figure for
this; polling is how an unprivileged agent sees short-lived connections at all), reporting the
processes and connections that are new since the last sample, and sends its configuration and
every process again every hour. Every interval is a flag, for tests.

Identity: the host's id is a random id kept in ``<state dir>/host-id`` (or ``--host-id``): the
same host registers again as the same agent and server after a restart. The state directory also
holds the agent id and the spool (spool.py).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from regionbox.discovery_agent.host import Host
from regionbox.discovery_agent.spool import Spool
from regionbox.discovery_agent.transport import IngestError, Transport, Unreachable

log = logging.getLogger("regionbox.discovery_agent")
VERSION = "regionbox-1"


@dataclass
class Intervals:
    heartbeat: float = 900.0
    sample: float = 15.0
    upload: float = 900.0
    configuration: float = 3600.0
    retry_max: float = 60.0  # the longest wait between attempts when the cloud is away


class Agent:
    def __init__(self, transport: Transport, state_dir: Path, host: Host, intervals: Intervals,
                 host_id: str | None = None) -> None:
        self.transport = transport
        self.state_dir = state_dir
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.intervals = intervals
        self.spool = Spool(state_dir / "spool")
        self.host_id = host_id or self._kept("host-id", lambda: uuid.uuid4().hex)
        self.agent_id = self._read("agent-id")
        # Whether to collect, as last heard: it goes on while the cloud is away.
        self.collecting = self._read("collecting") == "1"
        self.stopping = threading.Event()
        self._configuration_due = 0.0

    # -- small files in the state directory ----------------------------------------------------------
    def _read(self, name: str) -> str:
        path = self.state_dir / name
        return path.read_text().strip() if path.exists() else ""

    def _write(self, name: str, value: str) -> None:
        temporary = self.state_dir / f".{name}.tmp"
        temporary.write_text(value)
        temporary.replace(self.state_dir / name)

    def _kept(self, name: str, make) -> str:
        value = self._read(name)
        if not value:
            value = make()
            self._write(name, value)
        return value

    # -- talking to the service -----------------------------------------------------------------------
    def register(self) -> None:
        answer = self.transport.call("register", {
            "hostKey": self.host_id, "hostName": self.host.host_name, "version": VERSION,
            "pingInterval": self.intervals.heartbeat, "configuration": self.host.configuration()})
        if answer["agentId"] != self.agent_id:
            log.info("registered as agent %s", answer["agentId"])
        self.agent_id = answer["agentId"]
        self._write("agent-id", self.agent_id)
        self._collect(answer.get("collectionStatus") == "STARTED")

    def _collect(self, collecting: bool) -> None:
        if collecting and not self.collecting:
            self._configuration_due = 0.0  # collection (re)starts with the host's configuration
            log.info("data collection started")
        elif self.collecting and not collecting:
            log.info("data collection stopped")
        if collecting != self.collecting:
            self._write("collecting", "1" if collecting else "0")
        self.collecting = collecting

    def _call(self, action: str, document: dict) -> dict:
        """A call as the registered agent; registers (again) first if needed (deleted agents too)."""
        if not self.agent_id:
            self.register()
        try:
            return self.transport.call(action, {"agentId": self.agent_id, **document})
        except IngestError as error:
            if error.status != 404:
                raise
            log.info("agent %s is not registered any more: registering again", self.agent_id)
            self.register()
            return self.transport.call(action, {"agentId": self.agent_id, **document})

    def heartbeat(self) -> None:
        answer = self._call("heartbeat", {"pingInterval": self.intervals.heartbeat})
        self._collect(answer.get("collectionStatus") in ("STARTED", "START_SCHEDULED"))

    def collect(self) -> None:
        now = time.time()
        records = [self.host.sample()]
        full = now >= self._configuration_due  # the configuration and every process, hourly
        if full:
            records.append(self.host.configuration())
            self._configuration_due = now + self.intervals.configuration
        records.extend(self.host.activity(every_process=full))
        self.spool.seal(records)

    def upload(self) -> None:
        """Send everything buffered, oldest first; stop at the first failure (tried again later).
        A batch the service refuses as malformed would block every later one: it is set aside in
        ``spool/rejected`` (kept for a look, never sent again) and the upload goes on."""
        most = 200
        while True:
            batch, files, records = self.spool.pending(most)
            if not files:
                return
            try:
                self._call("report", {"batch": batch, "records": records})
            except IngestError as error:
                if error.status != 400 or error.code not in ("InvalidParameterValueException", "SerializationException"):
                    raise
                if len(files) > 1:
                    most = 1  # one collection at a time, to set aside only the one refused
                    continue
                log.error("the service refused batch %s (%s): set aside in %s", batch, error, self.spool.rejected)
                self.spool.reject(files)
                continue
            self.spool.done(files)

    # -- the loop -------------------------------------------------------------------------------------
    def run(self) -> None:
        intervals = self.intervals
        now = time.time()
        due = {"heartbeat": now, "sample": now, "upload": now + intervals.upload}
        failures = 0
        while not self.stopping.is_set():
            now = time.time()
            try:
                if now >= due["heartbeat"]:
                    due["heartbeat"] = now + intervals.heartbeat
                    self.heartbeat()
                if self.collecting and now >= due["sample"]:
                    due["sample"] = now + intervals.sample
                    self.collect()
                if now >= due["upload"]:
                    due["upload"] = now + intervals.upload
                    self.upload()
                failures = 0
            except (Unreachable, IngestError) as error:
                # The cloud is away or refuses (no home Region yet ...): keep collecting, try again soon.
                failures += 1
                wait = min(intervals.retry_max, min(intervals.heartbeat, intervals.upload, 2.0 ** failures))
                log.warning("the discovery service did not take the call (%s); trying again in %.0f s", error, wait)
                due["heartbeat"] = min(due["heartbeat"], now + wait)
                if self.spool.files():
                    due["upload"] = min(due["upload"], now + wait)
            waits = [due["heartbeat"], due["upload"]] + ([due["sample"]] if self.collecting else [])
            self.stopping.wait(max(0.0, min(waits) - time.time()))
        self._finish()

    def _finish(self) -> None:
        """Stopping: upload what is buffered if the cloud is there, and say goodbye (SHUTDOWN)."""
        try:
            self.upload()
            if self.agent_id:
                self.transport.call("shutdown", {"agentId": self.agent_id})
        except (Unreachable, IngestError) as error:
            log.warning("stopping with data buffered for later (%s)", error)
        self.transport.close()

    def stop_on_signals(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
