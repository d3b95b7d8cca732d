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

# shellcheck source=cached-build.sh
source "$here/cached-build.sh"

[ -n "${HELM_VERSION:-}" ] || { echo "helm build failed: HELM_VERSION is not set in $here/versions.env" >&2; exit 1; }
begin_cached_build "helm $HELM_VERSION" "$cache_root/helm/$HELM_VERSION" "install Go 1.26+ to build helm $HELM_VERSION" helm

build_helm() (
  # Outside any module, so go install resolves helm's dependencies from helm's go.mod alone.
  cd "$build_work" || return 1
  module=helm.sh/helm/v3
  gomod=$(go mod download -json "$module@$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$gomod" ] || { echo "cannot fetch $module@$HELM_VERSION; pick a published version (go list -m -versions $module) for HELM_VERSION in hack/versions.env"; return 1; }
  # Upstream's Makefile: default Kubernetes version = the client-go helm is built with
  # (client-go v0.X.Y is Kubernetes 1.X).
  client_go=$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$gomod")
  [ -n "$client_go" ] || { echo "k8s.io/client-go is not required by $module@$HELM_VERSION"; return 1; }
  k8s_minor=$(echo "$client_go" | cut -d. -f2)
  ldflags="-s -w"
  ldflags+=" -X $module/internal/version.version=$HELM_VERSION"
  ldflags+=" -X $module/internal/version.gitTreeState=clean"
  ldflags+=" -X $module/pkg/lint/rules.k8sVersionMajor=1"
  ldflags+=" -X $module/pkg/lint/rules.k8sVersionMinor=$k8s_minor"
  ldflags+=" -X $module/pkg/chartutil.k8sVersionMajor=1"
  ldflags+=" -X $module/pkg/chartutil.k8sVersionMinor=$k8s_minor"
  GOFLAGS= GOBIN="$build_bin" go install -trimpath -ldflags="$ldflags" "$module/cmd/helm@$HELM_VERSION"
)

build_step "helm $HELM_VERSION did not build" build_helm
reported=$("$build_bin/helm" version --template '{{.Version}}' 2>>"$build_log") ||
  build_fail "the built helm does not run (full log: $build_log)"
[ "$reported" = "$HELM_VERSION" ] ||
  build_fail "the built helm reports version '$reported', expected $HELM_VERSION (full log: $build_log)"
finish_cached_build
