#!/usr/bin/env bash
# Builds istiod itself (pilot-discovery, istio.io/istio/pilot/cmd/pilot-discovery) from
# istio.io/istio at ISTIO_JUDGE_VERSION (hack/versions.env), the same module the Istio judge
# is built from, and prints the folder holding the binary pilot-discovery. The tests run it
# against their control plane so that real Istio writes its status conditions
# (ZtunnelAccepted, WaypointAccepted) on what the operator renders (test/support/istiod.ts).
#
# hack/istiod is a Go module whose only content is go.mod (a `tool` directive naming
# pilot-discovery) and go.sum, committed, so every build resolves the same module graph; the
# build refuses to run when go.mod names another istio.io/istio than the pin. The binary is
# cached outside the repository, keyed by the pin and a hash of the module files. The Go
# build cache is the Istio judge's (same module graph, same package versions), so after a
# judge build only pilot-discovery's own packages compile. Progress goes to stderr; stdout
# carries only the folder: dir=$(hack/build-istiod.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

# shellcheck source=cached-build.sh
source "$here/cached-build.sh"

[ -n "${ISTIO_JUDGE_VERSION:-}" ] || { echo "istiod build failed: ISTIO_JUDGE_VERSION is not set in $here/versions.env" >&2; exit 1; }
module_dir="$here/istiod"
sources_hash=$(cd "$module_dir" && find . -type f \( -name go.mod -o -name go.sum \) -print | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
begin_cached_build "istiod (pilot-discovery of istio.io/istio $ISTIO_JUDGE_VERSION)" \
  "$cache_root/istiod/$ISTIO_JUDGE_VERSION-$sources_hash" \
  "install Go 1.26+ to build istiod" \
  pilot-discovery

build_istiod() (
  cd "$module_dir" || return 1
  pinned=$(awk '$1 == "istio.io/istio" { print $2; exit }' go.mod)
  [ "$pinned" = "$ISTIO_JUDGE_VERSION" ] ||
    { echo "hack/istiod/go.mod requires istio.io/istio $pinned, but ISTIO_JUDGE_VERSION is $ISTIO_JUDGE_VERSION; run go get istio.io/istio@$ISTIO_JUDGE_VERSION there"; return 1; }
  # -mod=readonly: the committed go.sum decides; a build never rewrites the module files.
  GOFLAGS=-mod=readonly GOCACHE="$cache_root/istio-judge/gocache" \
    go build -trimpath -ldflags="-s -w" -o "$build_bin/pilot-discovery" istio.io/istio/pilot/cmd/pilot-discovery
)

build_step "istiod did not build" build_istiod
"$build_bin/pilot-discovery" version --short >>"$build_log" 2>&1 ||
  build_fail "the built pilot-discovery does not run (full log: $build_log)"
finish_cached_build
