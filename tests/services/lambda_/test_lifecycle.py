"""Lambda across the cloud's life: functions and event source mappings survive kill -9 of
regionbox (a mapping resumes after the last batch it delivered), and execution environments never
outlive the cloud, the function they run, or a crash of regionbox."""

from __future__ import annotations

import os
import shutil

from regionbox.config import Config
from regionbox.testing import CloudProcess, RunningCloud
from tests.services.lambda_.helpers import client, create, eventually, invoke
from tests.services.lambda_.test_event_source_mappings import RECORDER, records, table

PID = "import os\ndef handler(event, context):\n    return os.getpid()\n"


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1].startswith("Z")  # a zombie has ended; its parent is gone too
    except OSError:
        return True


def test_functions_and_mappings_survive_kill_9(tmp_path):
    state = tmp_path / "state"
    out = tmp_path / "rec.jsonl"
    process = CloudProcess(state).start()
    try:
        create(process, "pid", PID)
        create(process, "rec", RECORDER, Timeout=30, Environment={"Variables": {"OUT": str(out)}})
        stream = table(process)
        lam = client(process)
        uuid = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="rec",
                                               StartingPosition="LATEST")["UUID"]
        eventually(lambda: lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled", timeout=30)
        ddb = client(process, "dynamodb")
        ddb.put_item(TableName="notes", Item={"id": {"S": "before"}})
        eventually(lambda: records(out), timeout=60)
        lam.publish_version(FunctionName="pid")
        lam.create_alias(FunctionName="pid", Name="live", FunctionVersion="1")
        before = lam.get_function_configuration(FunctionName="pid")
        worker = invoke(process, "pid", {})["payload"]
        process.kill9()
        eventually(lambda: gone(worker), timeout=30)  # the environment died with regionbox

        process = CloudProcess(state).start()
        lam = client(process)
        after = lam.get_function_configuration(FunctionName="pid")
        assert (after["State"], after["CodeSha256"], after["RevisionId"]) == ("Active", before["CodeSha256"],
                                                                             before["RevisionId"])
        assert lam.get_alias(FunctionName="pid", Name="live")["FunctionVersion"] == "1"
        again = invoke(process, "pid", {}, Qualifier="live")
        assert again["error"] is None and again["payload"] != worker and again["version"] == "1"
        assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
        client(process, "dynamodb").put_item(TableName="notes", Item={"id": {"S": "after"}})
        eventually(lambda: len(records(out)) >= 2, timeout=60)
        assert [r["dynamodb"]["Keys"]["id"]["S"] for r in records(out)] == ["before", "after"]  # none twice
    finally:
        process.cleanup()


def test_environments_stop_with_the_cloud_and_with_their_function():
    running = RunningCloud(Config(ephemeral=True)).start()
    try:
        engines = running.get("/_regionbox/status")["engines"]  # before Lambda is loaded: is node installed?
        assert engines["lambda-python"].startswith("Python 3.")
        assert engines["lambda-nodejs"].startswith("node " if shutil.which("node") else "not available: install Node.js")
        create(running, "a", PID)
        create(running, "b", PID)
        first = invoke(running, "a", {})["payload"]
        assert invoke(running, "a", {})["payload"] == first  # warm: the same process
        client(running).delete_function(FunctionName="a")
        eventually(lambda: gone(first), timeout=30)
        kept = invoke(running, "b", {})["payload"]
        assert running.get("/_regionbox/status")["engines"]["lambda-environments"] == "1 running or warm"
    finally:
        running.stop()
    eventually(lambda: gone(kept), timeout=30)
    assert os.getpid() != kept
