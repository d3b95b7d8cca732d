#!/usr/bin/env bash
# Makes sure redis-server is on PATH for the credential gate's shared rate-limit tests and
# benchmark. It comes from the Debian package; installed only when missing.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing and apt-get is not available; install Redis (package redis-server) and retry" >&2
  exit 1
fi
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "installing redis-server (Debian package) for the credential gate tests" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends redis-server >/dev/null 2>&1 \
  || { "${sudo_cmd[@]}" apt-get update >/dev/null 2>&1 && "${sudo_cmd[@]}" apt-get install -y --no-install-recommends redis-server >/dev/null; }
command -v redis-server >/dev/null
