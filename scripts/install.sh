#!/usr/bin/env bash
# Installs regionbox and the real engines it runs on a Debian/Ubuntu machine.
#   scripts/install.sh          the cloud (then: regionbox up)
#   scripts/install.sh --test   the cloud plus what the test suite needs (then: .venv/bin/python -m pytest)
# regionbox goes into .venv in this checkout, never into the system python3: Debian 12 and
# Ubuntu 24.04 refuse pip there (PEP 668, "externally-managed-environment").
set -euo pipefail
cd "$(dirname "$0")/.."
test_extras=""; [ "${1:-}" = "--test" ] && test_extras=1

# Real engines: without them regionbox falls back to embedded ones (regionbox status says which).
# RDS runs PostgreSQL servers (found under /usr/lib/postgresql/*/bin); it has no embedded fallback.
packages="redis-server memcached postgresql"
# OpenSSH's sftp/scp are the Transfer Family tests' clients; its sshd is bench/transfer.py's baseline;
# curl reaches load balancers in the ELBv2 tests.
[ -n "$test_extras" ] && packages="$packages libmemcached-tools redis-tools openssh-client openssh-server curl"
# Lambda's nodejs runtimes run under node (the tests of nodejs functions need it).
[ -n "$test_extras" ] && ! command -v node >/dev/null && packages="$packages nodejs"
# RDS's tests use psql too.
[ -n "$test_extras" ] && packages="$packages postgresql-client"
# An existing .venv is re-used. To make one, Debian/Ubuntu's python3 needs python3-venv (ensurepip).
venv_ok() { .venv/bin/python -m pip --version >/dev/null 2>&1; }
venv_ok || python3 -c "import ensurepip" 2>/dev/null || packages="$packages python3-venv"
missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
if [ -n "$missing" ] && command -v apt-get >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
  # The packaged services start themselves (on 6379, 11211, 5432 and sshd on 22); regionbox runs its own.
  for service in redis-server memcached postgresql ssh; do $sudo systemctl disable --now "$service" >/dev/null 2>&1 || $sudo service "$service" stop >/dev/null 2>&1 || true; done
fi

if ! venv_ok; then
  rm -rf .venv  # a half-made one, e.g. from a python3 -m venv that lacked ensurepip
  python3 -m venv .venv
fi
# Editable installs from pyproject.toml alone (PEP 660) need pip >= 21.3.
.venv/bin/python -c "import pip, sys; sys.exit(tuple(map(int, pip.__version__.split('.')[:2])) < (21, 3))" ||
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=21.3"

# The install is editable, so code changes need no re-install; pyproject.toml changes do. A stamp
# of what was installed for which pyproject.toml makes a second run skip pip altogether.
hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
extra=""; [ -n "$test_extras" ] && extra="[test]"
stamp=.venv/regionbox-installed
if ! grep -qxF "$hash .$extra" "$stamp" 2>/dev/null; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extra"
  printf '%s\n' "$hash .$extra" "$hash ." >> "$stamp"  # a test install is a plain one too
fi
# Compiled once here, imported from bytecode at every start (even where PYTHONDONTWRITEBYTECODE
# keeps Python from writing it itself): regionbox up is ready sooner, services load faster.
.venv/bin/python -m compileall -q -j 0 regionbox >/dev/null

# regionbox on the PATH: /usr/local/bin for root, ~/.local/bin (the XDG place) for anyone else.
bin_dir="$HOME/.local/bin"; [ "$(id -u)" -eq 0 ] && bin_dir=/usr/local/bin
mkdir -p "$bin_dir"
ln -sfn "$PWD/.venv/bin/regionbox" "$bin_dir/regionbox"
case ":$PATH:" in
  *":$bin_dir:"*)
    # An older regionbox earlier on the PATH (say, pip's in a pyenv interpreter) would win.
    found="$(command -v regionbox || true)"
    [ "$found" = "$bin_dir/regionbox" ] || echo "note: 'regionbox' on your PATH is $found, which comes before $bin_dir/regionbox; remove it or run $bin_dir/regionbox" >&2 ;;
  *)
    echo "regionbox is in $bin_dir, which is not on your PATH; add it with:" >&2
    echo "  export PATH=\"$bin_dir:\$PATH\"" >&2 ;;
esac
