#!/usr/bin/env bash
# ensure-debian-package.sh COMMAND PACKAGE: puts COMMAND on PATH from the Debian package
# PACKAGE when it is missing. The tests need a few real servers and interpreters
# (redis-server for the credential gate, lua5.4 for the Argo CD health check); CI starts on
# a machine that may have neither, so `make test` and the tests themselves call this.
set -euo pipefail
command_name=${1:?usage: ensure-debian-package.sh COMMAND PACKAGE}
package=${2:?usage: ensure-debian-package.sh COMMAND PACKAGE}
if command -v "$command_name" >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$command_name is not on PATH and apt-get is not available; install the Debian package $package (or its equivalent) and retry" >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
echo "installing $package from the Debian package archive" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing or stale on a new machine: update once and retry.
if ! "${as_root[@]}" apt-get install -y --no-install-recommends "$package" >/dev/null 2>&1; then
  "${as_root[@]}" apt-get update >/dev/null 2>&1
  "${as_root[@]}" apt-get install -y --no-install-recommends "$package" >/dev/null
fi
command -v "$command_name" >/dev/null
