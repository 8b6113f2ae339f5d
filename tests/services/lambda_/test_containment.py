"""Bad functions are contained: each gets AWS's error for what it did, and neither the cloud nor
another function notices."""

from __future__ import annotations

import threading
import time

from tests.services.lambda_.helpers import client, create, eventually, invoke, log_messages

WELL = "def handler(event, context):\n    return 'fine'\n"


def test_a_zip_without_the_handlers_module(cloud):
    create(cloud, "empty", {"other.py": WELL})
    answer = invoke(cloud, "empty", {}, LogType="Tail")
    assert answer["error"] == "Unhandled"
    assert answer["payload"]["errorType"] == "Runtime.ImportModuleError"
    assert answer["payload"]["errorMessage"] == "Unable to import module 'app': No module named 'app'"
    assert "INIT_REPORT Init Duration:" in answer["log"] and "Error Type: Runtime.ImportModuleError" in answer["log"]
    missing = invoke(cloud, "empty", {}, Qualifier="$LATEST")  # every invocation tries again, as AWS's do
    assert missing["payload"]["errorType"] == "Runtime.ImportModuleError"
    create(cloud, "nohandler", WELL, handler="app.main")
    assert invoke(cloud, "nohandler", {})["payload"]["errorType"] == "Runtime.HandlerNotFound"
    create(cloud, "syntax", "def handler(:\n")
    assert invoke(cloud, "syntax", {})["payload"]["errorType"] == "Runtime.UserCodeSyntaxError"


def test_a_handler_module_that_raises_on_import(cloud):
    create(cloud, "boom", "raise RuntimeError('cannot start: no config')\ndef handler(e, c):\n    return 1\n")
    answer = invoke(cloud, "boom", {})
    assert answer["error"] == "Unhandled"
    assert (answer["payload"]["errorType"], answer["payload"]["errorMessage"]) == ("RuntimeError", "cannot start: no config")
    assert any("line 1" in line for line in answer["payload"]["stackTrace"])


def test_a_function_that_never_returns_times_out_and_is_replaced(cloud):
    create(cloud, "stuck", "import time\ncalls = 0\ndef handler(e, c):\n    global calls\n    calls += 1\n"
                           "    if e.get('hang'):\n        while True: time.sleep(1)\n    return calls\n", Timeout=1)
    assert invoke(cloud, "stuck", {})["payload"] == 1
    started = time.time()
    answer = invoke(cloud, "stuck", {"hang": True}, LogType="Tail")
    assert time.time() - started >= 1.0
    assert (answer["error"], answer["payload"]["errorType"]) == ("Unhandled", "Sandbox.Timedout")
    assert answer["payload"]["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in answer["log"] and "Status: timeout" in answer["log"]
    assert invoke(cloud, "stuck", {})["payload"] == 1  # a new environment: the stuck one was killed


def test_a_function_that_exits_the_process(cloud):
    create(cloud, "quits", "import sys, os\ndef handler(e, c):\n    if e.get('hard'):\n        os._exit(7)\n    sys.exit(3)\n")
    answer = invoke(cloud, "quits", {})
    assert (answer["error"], answer["payload"]["errorType"]) == ("Unhandled", "Runtime.ExitError")
    assert answer["payload"]["errorMessage"].endswith("Error: Runtime exited with error: exit status 3")
    assert invoke(cloud, "quits", {"hard": True})["payload"]["errorMessage"].endswith("exit status 7")


def test_a_function_that_prints_10_mb(cloud):
    create(cloud, "chatty", "def handler(e, c):\n    for i in range(100_000):\n        print(f'{i:08d} ' + 'x' * 91)\n"
                            "    return 'said it all'\n", Timeout=60)
    answer = invoke(cloud, "chatty", {}, LogType="Tail")
    assert (answer["error"], answer["payload"]) == (None, "said it all")
    tail = answer["log"]
    assert len(tail.encode()) <= 4096 and "00099999 " in tail and tail.rstrip().splitlines()[-1].startswith("REPORT")
    messages = eventually(lambda: (m := log_messages(cloud, "chatty")) and len(m) > 100_000 and m, timeout=60)
    assert sum(1 for m in messages if m.endswith("x" * 91)) == 100_000


def test_a_response_over_6_mb(cloud):
    create(cloud, "huge", "def handler(e, c):\n    return 'x' * 7_000_000\n")
    answer = invoke(cloud, "huge", {})
    assert answer["error"] == "Unhandled"
    assert answer["payload"] == {"errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
                                 "errorType": "Function.ResponseSizeTooLarge"}


def test_others_are_served_while_a_function_is_stuck(cloud, tmp_path):
    """A function that does not return holds its own environment only: the cloud and other
    functions answer meanwhile (the stuck one is released by the test, not by a clock)."""
    create(cloud, "well", WELL)
    create(cloud, "stuck", "import os, time\ndef handler(e, c):\n    open(e['started'], 'w').close()\n"
                           "    while not os.path.exists(e['until']):\n        time.sleep(0.01)\n    return 'released'\n",
           Timeout=900)
    started, until = tmp_path / "started", tmp_path / "until"
    results: list = []
    stuck = threading.Thread(target=lambda: results.append(invoke(cloud, "stuck", {"started": str(started),
                                                                                   "until": str(until)})))
    stuck.start()
    eventually(started.exists, timeout=60)
    for _ in range(20):
        assert invoke(cloud, "well", {})["payload"] == "fine"
    assert client(cloud, "sts").get_caller_identity()["Account"]
    assert stuck.is_alive() and not results  # all of that while the stuck invocation still runs
    until.touch()
    stuck.join()
    assert results[0]["payload"] == "released"


def test_node_function_errors_and_context(cloud):
    import shutil

    import pytest
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    create(cloud, "js", {"index.mjs": "export const handler = async (event, context) => {\n"
                                      "  console.log('node says', event.n);\n"
                                      "  if (event.fail) throw new TypeError('nope');\n"
                                      "  return {n: event.n * 2, name: context.functionName, left: context.getRemainingTimeInMillis() > 0};\n"
                                      "};\n"}, handler="index.handler", runtime="nodejs20.x")
    answer = invoke(cloud, "js", {"n": 21}, LogType="Tail")
    assert answer["payload"] == {"n": 42, "name": "js", "left": True}
    assert "\tINFO\tnode says 21" in answer["log"]
    failed = invoke(cloud, "js", {"fail": True})
    assert failed["error"] == "Unhandled"
    assert (failed["payload"]["errorType"], failed["payload"]["errorMessage"]) == ("TypeError", "nope")
    assert failed["payload"]["trace"][0] == "TypeError: nope"
    create(cloud, "cjs", {"index.js": "exports.handler = (event, context, callback) => callback(null, 'called back');\n"},
           handler="index.handler", runtime="nodejs20.x")
    assert invoke(cloud, "cjs", {})["payload"] == "called back"
    create(cloud, "nojs", {"other.js": ""}, handler="index.handler", runtime="nodejs20.x")
    assert invoke(cloud, "nojs", {})["payload"]["errorType"] == "Runtime.ImportModuleError"
