#!/usr/bin/env bash
# Builds the helm CLI from the helm.sh/helm/v3 Go module at HELM_VERSION (hack/versions.env)
# and prints the folder holding the binary helm.
#
# The module's own go.mod decides every dependency (go install pkg@version), and the
# ldflags are the ones upstream's Makefile sets, so `helm version` reports HELM_VERSION and
# the default Kubernetes version matches the client-go helm was built with. Callers still
# pass --kube-version to `helm template` / `helm lint` to render for the pinned cluster.
#
# The binary is cached outside the repository, keyed by version, so a rebuild only happens
# when the pin changes. Progress goes to stderr; stdout carries only the folder:
# dir=$(hack/build-helm.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

fail() {
  echo "helm build failed: $1" >&2
  exit 1
}

[ -n "${HELM_VERSION:-}" ] || fail "HELM_VERSION is not set in $here/versions.env"
cache_root=${NEXUS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nexus-operator}
dest="$cache_root/helm/$HELM_VERSION"
binary=helm

if [ -x "$dest/$binary" ]; then
  echo "$dest"
  exit 0
fi

# Two cold runs at once would build twice into one folder; the second waits for the first.
mkdir -p "$cache_root/helm"
exec 9>"$cache_root/helm/.build.lock"
flock 9
if [ -x "$dest/$binary" ]; then
  echo "$dest"
  exit 0
fi

command -v go >/dev/null 2>&1 || fail "Go is not installed; install Go 1.26+ to build helm $HELM_VERSION"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
work="$cache_root/helm/.work-$HELM_VERSION"
log="$cache_root/helm/build-$HELM_VERSION.log"
mkdir -p "$cache_root/helm"
rm -rf "$work"
mkdir -p "$work/bin"
: >"$log"
started=$(date +%s)
echo "building helm $HELM_VERSION into $dest; first build takes a few minutes, log: $log" >&2

(
  # Outside any module, so go install resolves helm's dependencies from helm's go.mod alone.
  cd "$work"
  module=helm.sh/helm/v3
  gomod=$(go mod download -json "$module@$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$gomod" ] || { echo "cannot fetch $module@$HELM_VERSION; pick a published version (go list -m -versions $module) for HELM_VERSION in hack/versions.env" >&2; exit 1; }
  # Upstream's Makefile: default Kubernetes version = the client-go helm is built with
  # (client-go v0.X.Y is Kubernetes 1.X).
  client_go=$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$gomod")
  [ -n "$client_go" ] || { echo "k8s.io/client-go is not required by $module@$HELM_VERSION" >&2; exit 1; }
  k8s_minor=$(echo "$client_go" | cut -d. -f2)
  ldflags="-s -w"
  ldflags+=" -X $module/internal/version.version=$HELM_VERSION"
  ldflags+=" -X $module/internal/version.gitTreeState=clean"
  ldflags+=" -X $module/pkg/lint/rules.k8sVersionMajor=1"
  ldflags+=" -X $module/pkg/lint/rules.k8sVersionMinor=$k8s_minor"
  ldflags+=" -X $module/pkg/chartutil.k8sVersionMajor=1"
  ldflags+=" -X $module/pkg/chartutil.k8sVersionMinor=$k8s_minor"
  GOFLAGS= GOBIN="$work/bin" go install -trimpath -ldflags="$ldflags" "$module/cmd/helm@$HELM_VERSION"
) >>"$log" 2>&1 ||
  fail "helm $HELM_VERSION did not build (last log line: $(tail -n 1 "$log"); full log: $log)"

reported=$("$work/bin/$binary" version --template '{{.Version}}' 2>>"$log") ||
  fail "the built helm does not run (full log: $log)"
[ "$reported" = "$HELM_VERSION" ] ||
  fail "the built helm reports version '$reported', expected $HELM_VERSION (full log: $log)"

rm -rf "$dest"
mv "$work/bin" "$dest"
rm -rf "$work"
echo "helm $HELM_VERSION built in $(($(date +%s) - started))s" >&2
echo "$dest"
