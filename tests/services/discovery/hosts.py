"""Real agents and real traffic for the discovery tests: agents as subprocesses (``python -m regionbox
discovery-agent``) in shared-host mode, each claiming a loopback address of its own as its host's
(documented override; network namespaces need privileges the tests do not have), and small TCP
servers and clients between those addresses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from regionbox.testing.waiting import eventually as wait_for  # noqa: F401 - tests import it from here
from tests.services.discovery.helpers import ACCOUNT, HOME

FAST = ["--heartbeat-interval", "0.5", "--sample-interval", "0.5", "--upload-interval", "1"]

SERVER = """
import socket, sys, threading
listener = socket.socket(); listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((sys.argv[1], 0)); listener.listen(64)
print(listener.getsockname()[1], flush=True)
held = []
while True:
    conn, _ = listener.accept(); held.append(conn)
    held[:] = held[-50:]
"""

CLIENT = """
import socket, sys, time
source, targets = sys.argv[1], [(t.split(':')[0], int(t.split(':')[1])) for t in sys.argv[2:]]
held = []
while True:
    for target in targets:
        s = socket.socket(); s.bind((source, 0)); s.connect(target); held.append(s)
    held[:] = held[-20:]
    time.sleep(0.3)
"""


def agent(endpoint: str, state_dir: Path, name: str, address: str, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCOUNT, AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION=HOME)
    env.pop("AWS_PROFILE", None)
    return subprocess.Popen([sys.executable, "-m", "regionbox", "discovery-agent", "--endpoint", endpoint,
                             "--state-dir", str(state_dir), "--hostname", name, "--ip-address", address, *FAST, *extra],
                            env=env, stdout=subprocess.DEVNULL, stderr=open(state_dir.parent / f"{name}.log", "ab"))


def tcp_server(address: str) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen([sys.executable, "-c", SERVER, address], stdout=subprocess.PIPE, text=True)
    return process, int(process.stdout.readline())


def tcp_client(address: str, *targets: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CLIENT, address, *targets])


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def loopback_works(address: str) -> bool:
    try:
        with socket.socket() as probe:
            probe.bind((address, 0))
        return True
    except OSError:
        return False
