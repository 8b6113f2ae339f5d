"""scripts/install.sh's decisions, run for real against stand-ins for apt, dpkg and Python.

The stand-ins log how they were called, so each test reads what the script would have done on a
machine: a second run re-uses .venv without pip, a changed pyproject.toml installs again, a python3
without ensurepip brings python3-venv from apt, and a user whose ~/.local/bin is not on PATH is
told the one line that puts it there. No network, no real install, a fraction of a second each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

STUBS = {
    # A user, not root: root's link would go into the real /usr/local/bin.
    "id": 'echo 1000',
    # dpkg-query: every package installed but those in NOT_INSTALLED.
    "dpkg-query": 'for p; do last=$p; done; case " ${NOT_INSTALLED:-} " in *" $last "*) exit 1 ;; esac; echo "install ok installed"',
    "apt-get": 'echo "apt-get $*" >> "$LOG"',
    "sudo": 'echo "sudo $*" >> "$LOG"; exec "$@"',
    "systemctl": 'exit 0',
    "service": 'exit 0',
    # python3: ensurepip importable unless NO_ENSUREPIP is set; -m venv makes a stand-in .venv.
    "python3": '''echo "python3 $*" >> "$LOG"
case "$*" in
  "-c import ensurepip") [ -z "${NO_ENSUREPIP:-}" ] ;;
  "-m venv .venv") mkdir -p .venv/bin && cp "$STUBS/venv-python" .venv/bin/python && cp "$STUBS/venv-python" .venv/bin/regionbox ;;
  *) exit 1 ;;
esac''',
    "venv-python": 'echo "venv-python $*" >> "$LOG"',
}


def make_checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "install.sh", checkout / "scripts" / "install.sh")
    shutil.copy(REPO / "pyproject.toml", checkout / "pyproject.toml")
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name, body in STUBS.items():
        (stubs / name).write_text(f"#!/bin/sh\n{body}\n")
        (stubs / name).chmod(0o755)
    (tmp_path / "home").mkdir()
    return checkout


def install(checkout: Path, *args: str, on_path: bool = False, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    tmp = checkout.parent
    log = tmp / "calls.log"
    log.write_text("")
    path = f"{tmp / 'stubs'}:/usr/bin:/bin"
    if on_path:
        path = f"{tmp / 'home' / '.local' / 'bin'}:{path}"
    result = subprocess.run(["bash", str(checkout / "scripts" / "install.sh"), *args], capture_output=True, text=True,
                            timeout=60, env={"PATH": path, "HOME": str(tmp / "home"), "LOG": str(log),
                                             "STUBS": str(tmp / "stubs"), **env})
    assert result.returncode == 0, result.stderr
    return result, log.read_text().splitlines()


def pip_installs(calls: list[str]) -> list[str]:
    return [call for call in calls if call.startswith("venv-python -m pip install")]


def test_first_run_makes_the_venv_and_installs_then_a_second_run_reuses_it(tmp_path):
    checkout = make_checkout(tmp_path)
    _, calls = install(checkout, "--test")
    assert "python3 -m venv .venv" in calls and not any(call.startswith("apt-get") for call in calls)
    assert pip_installs(calls) == ["venv-python -m pip install -q --disable-pip-version-check -e .[test]"]

    _, calls = install(checkout, "--test")
    assert "python3 -m venv .venv" not in calls and pip_installs(calls) == []
    _, calls = install(checkout)  # the test install included the plain one
    assert pip_installs(calls) == []


def test_a_changed_pyproject_installs_again(tmp_path):
    checkout = make_checkout(tmp_path)
    install(checkout)
    with open(checkout / "pyproject.toml", "a") as pyproject:
        pyproject.write("\n# a new dependency\n")
    _, calls = install(checkout)
    assert pip_installs(calls) == ["venv-python -m pip install -q --disable-pip-version-check -e ."]
    _, calls = install(checkout, "--test")  # the plain install did not bring the test extras
    assert pip_installs(calls) == ["venv-python -m pip install -q --disable-pip-version-check -e .[test]"]


def test_python_without_ensurepip_gets_python3_venv_from_apt(tmp_path):
    checkout = make_checkout(tmp_path)
    _, calls = install(checkout, NO_ENSUREPIP="1", NOT_INSTALLED="python3-venv")
    apt = [call for call in calls if call.startswith("apt-get install")]
    assert apt == ["apt-get install -y -qq --no-install-recommends python3-venv"]
    assert calls.index(apt[0]) < calls.index("python3 -m venv .venv")


def test_a_user_is_told_how_to_put_local_bin_on_path(tmp_path):
    checkout = make_checkout(tmp_path)
    result, _ = install(checkout)
    link = tmp_path / "home" / ".local" / "bin" / "regionbox"
    assert os.readlink(link) == str(checkout / ".venv" / "bin" / "regionbox")
    bin_dir = tmp_path / "home" / ".local" / "bin"
    assert result.stderr.splitlines() == [f"regionbox is in {bin_dir}, which is not on your PATH; add it with:",
                                          f'  export PATH="{bin_dir}:$PATH"']

    result, _ = install(checkout, on_path=True)
    assert result.stderr == ""
