"""examples/realtime-chat runs against a cloud as a user runs it: one command, AWS_ENDPOINT_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "realtime-chat" / "run.py"


def test_the_realtime_chat_example_runs(cloud):
    env = {**os.environ, "AWS_ENDPOINT_URL": cloud.endpoint, "AWS_ACCESS_KEY_ID": "123456789012",
           "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "subscriber 1 got" in done.stdout and "subscriber 2 got" in done.stdout
    assert "both subscribers received the relayed message" in done.stdout
    # Everything it made is gone again.
    assert cloud.client("appsync", account="123456789012").list_graphql_apis()["graphqlApis"] == []
