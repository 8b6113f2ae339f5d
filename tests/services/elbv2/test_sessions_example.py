"""examples/sessions/run.py against a cloud: sticky sessions lose the users of the server that
died with its AZ, sessions in ElastiCache Redis lose none."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[3] / "examples" / "sessions" / "run.py"


@pytest.mark.skipif(shutil.which("redis-server") is None and shutil.which("valkey-server") is None,
                    reason="Multi-AZ replication needs redis-server or valkey-server")
def test_sticky_sessions_die_with_their_server_and_redis_sessions_survive(cloud):
    env = {**os.environ, "AWS_ENDPOINT_URL": cloud.endpoint, "AWS_ACCESS_KEY_ID": "123456789012",
           "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "ap-northeast-1"}
    run = subprocess.run([sys.executable, str(SCRIPT), "--users", "12", "--json"], env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout.strip().splitlines()[-1])
    sticky, redis = results["sticky"], results["redis"]
    # Round robin placed half the users on each server; the sticky ones on the dead server are gone.
    assert sticky["on_lost_server"] == 6 and sticky["sessions_lost"] == 6
    assert redis["on_lost_server"] == 6 and redis["sessions_lost"] == 0
