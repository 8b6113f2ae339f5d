"""kill -9 of regionbox: the instance's PostgreSQL keeps serving (adopted by the restarted cloud);
and when the server dies too, it comes back from its data directory with every committed row."""

from __future__ import annotations

import os
import signal

import pytest

from regionbox.engines import kinds
from regionbox.testing import CloudProcess
from tests.services.rds.helpers import connect, create, wait_status, wait_until

pytestmark = pytest.mark.skipif(kinds.postgres_bindir() is None, reason="PostgreSQL is not installed")

def test_committed_rows_survive_kill_9_of_regionbox_and_of_the_server(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        rds = process.client("rds")
        instance = create(rds, "durable")
        with connect(instance) as conn:
            conn.execute("CREATE TABLE kept (n int)")
            conn.execute("INSERT INTO kept SELECT generate_series(1, 100)")
            checkpointer = conn.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'").fetchone()[0]
        # regionbox dies; its PostgreSQL does not, and is adopted: the same server process serves.
        process.kill9()
        process.start()
        rds = process.client("rds")
        instance = wait_status(rds, "durable")
        with connect(instance) as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (100,)
            assert conn.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'").fetchone()[0] == checkpointer
            conn.execute("INSERT INTO kept SELECT generate_series(101, 200)")
        # Both die: the server comes back from its data directory (crash recovery) at the next start.
        process.kill9()
        # The postmaster, as a power loss would; its children (each in a session of its own) follow it.
        postmaster = int(open(f"/proc/{checkpointer}/stat").read().rsplit(")", 1)[1].split()[1])
        os.kill(postmaster, signal.SIGKILL)
        wait_until(lambda: not os.path.exists(f"/proc/{checkpointer}"), what="the server gone")
        process.start()
        rds = process.client("rds")
        instance = wait_status(rds, "durable")  # rebooting (crash recovery) until the server takes sessions
        with connect(instance) as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (200,)
        assert "DB instance restarted" in [e["Message"] for e in rds.describe_events(SourceType="db-instance")["Events"]]
    finally:
        process.cleanup()
