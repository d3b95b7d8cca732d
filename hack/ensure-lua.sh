#!/usr/bin/env bash
# Puts lua5.4 on PATH for the test of the Argo CD health check (hack/argocd/), which runs the
# script with a real Lua interpreter. Installed from the Debian package only when missing.
set -euo pipefail
if command -v lua5.4 >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "lua5.4 is not on PATH and apt-get is not available; install Lua 5.4 (Debian package lua5.4)" >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
echo "installing lua5.4 from the Debian package archive" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get install -y --no-install-recommends lua5.4 >/dev/null 2>&1; then
  "${as_root[@]}" apt-get update >/dev/null 2>&1
  "${as_root[@]}" apt-get install -y --no-install-recommends lua5.4 >/dev/null
fi
command -v lua5.4 >/dev/null
