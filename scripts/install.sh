#!/usr/bin/env bash
# Installs regionbox and the real engines it runs on a Debian/Ubuntu machine.
#   scripts/install.sh          the cloud (then: regionbox up)
#   scripts/install.sh --test   the cloud plus what the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."

# Real engines: without them regionbox falls back to embedded ones (regionbox status says which).
packages="redis-server memcached"
[ "${1:-}" = "--test" ] && packages="$packages libmemcached-tools redis-tools"
missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
if [ -n "$missing" ] && command -v apt-get >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
  # The packaged services start themselves on 127.0.0.1:6379/11211; regionbox runs its own nodes.
  for service in redis-server memcached; do $sudo systemctl disable --now "$service" >/dev/null 2>&1 || $sudo service "$service" stop >/dev/null 2>&1 || true; done
fi

extra=""; [ "${1:-}" = "--test" ] && extra="[test]"
python3 -m pip install -q --disable-pip-version-check -e ".${extra}"
command -v pyenv >/dev/null && pyenv rehash || true
