"""The regionbox command, run as a user would."""

import subprocess
import sys
import time
from pathlib import Path

from regionbox import __version__
from regionbox.testing import CloudProcess


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "regionbox", *args], capture_output=True, text=True, timeout=60)


def test_version():
    result = run("--version")
    assert result.returncode == 0 and __version__ in result.stdout


def banner_of(process: CloudProcess) -> str:
    # The health check can answer a moment before the banner is written.
    deadline = time.time() + 10
    while "use it with" not in (text := process.log_path.read_text()) and time.time() < deadline:
        time.sleep(0.05)
    return text


def test_up_prints_endpoint_state_dir_and_services(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        banner = banner_of(process)
        assert f"ready on http://127.0.0.1:{process.port}" in banner
        assert str(tmp_path / "state") in banner
        assert "sts" in banner and "dynamodb" in banner

        status = run("status", "--endpoint", process.endpoint)
        assert status.returncode == 0, status.stderr
        assert "state directory" in status.stdout and "service sts" in status.stdout

        outage = run("az", "outage", "ap-northeast-1c", "--endpoint", process.endpoint)
        assert outage.returncode == 0 and "apne1-az1" in outage.stdout and "outage" in outage.stdout
        listing = run("az", "list", "--region", "ap-northeast-1", "--endpoint", process.endpoint)
        assert "outage" in listing.stdout and "apne1-az4" in listing.stdout
        zones = process.client("ec2", region="ap-northeast-1").describe_availability_zones()["AvailabilityZones"]
        assert {z["ZoneName"]: z["State"] for z in zones}["ap-northeast-1c"] != "available"
        restore = run("az", "restore", "ap-northeast-1c", "--endpoint", process.endpoint)
        assert restore.returncode == 0 and "available" in restore.stdout

        bad = run("az", "outage", "ap-northeast-1z", "--endpoint", process.endpoint)
        assert bad.returncode == 1
    finally:
        process.cleanup()


def test_sigterm_stops_cleanly(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    proc = process.process
    process.stop()
    assert proc.returncode == 0
    assert "regionbox stopped." in process.log_path.read_text()


def test_status_without_a_cloud_says_how_to_start_one():
    result = run("status", "--endpoint", "http://127.0.0.1:9")
    assert result.returncode == 1 and "regionbox up" in result.stdout


def test_ephemeral_and_default_account(tmp_path):
    """--ephemeral keeps state in a temporary directory that is gone on exit; --default-account
    is the account of access keys that name none."""
    process = CloudProcess(tmp_path / "unused", extra_args=["--ephemeral", "--default-account", "111122223333"]).start()
    try:
        banner = banner_of(process)
        assert "(ephemeral)" in banner
        state_dir = process.get("/_regionbox/status")["state_dir"]
        assert state_dir != str(tmp_path / "unused") and Path(state_dir).is_dir()
        sts = process.client("sts", access_key="AKIDEXAMPLE")
        assert sts.get_caller_identity()["Account"] == "111122223333"
        assert process.client("sts", account="123456789012").get_caller_identity()["Account"] == "123456789012"
    finally:
        process.stop()
    assert not Path(state_dir).exists()
