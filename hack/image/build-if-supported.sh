#!/usr/bin/env bash
# `make test` builds the image (hack/image/build.sh, a no-op when its inputs did not
# change) where this machine can: Linux on x86_64 (the pinned Node.js binary), and either
# root with apt-get or buildah, podman and mmdebstrap already installed. Elsewhere it says
# why and the tests in test/image/ skip with the same reason.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
skip() { echo "make test: image not built, test/image/ will skip: $1" >&2; exit 0; }
[ "${NEXUS_SKIP_IMAGE:-}" = "1" ] && skip "NEXUS_SKIP_IMAGE=1"
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || skip "needs Linux on x86_64, this is $(uname -s)-$(uname -m)"
if ! { command -v buildah && command -v podman && command -v mmdebstrap; } >/dev/null 2>&1; then
  { [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; } && command -v apt-get >/dev/null 2>&1 \
    || skip "buildah, podman and mmdebstrap are not installed and cannot be installed with apt-get here"
fi
exec bash "$here/build.sh"
