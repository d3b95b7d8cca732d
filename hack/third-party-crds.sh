#!/usr/bin/env bash
# Prints, one absolute path per line, the YAML files holding the third-party CRDs the
# operator works with, taken from their upstream Go modules at the versions pinned in
# hack/versions.env (never hand-written copies):
#   - cert-manager: deploy/crds/*.yaml of github.com/cert-manager/cert-manager
#   - Istio:        kubernetes/customresourcedefinitions.gen.yaml of istio.io/api
#   - Gateway API:  config/crd/standard/*.yaml of sigs.k8s.io/gateway-api (waypoints are Gateways)
#
# Modules come from the Go module cache (fetched through the module proxy on first use,
# offline afterwards). Should the cert-manager files ever carry Helm templating, rendered
# copies (template-only lines dropped) are written to the cache dir and printed instead.
# Every file is checked to parse as apiextensions.k8s.io/v1 CustomResourceDefinitions.
# Progress goes to stderr; stdout carries only the paths: mapfile -t f < <(hack/third-party-crds.sh)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

fail() {
  echo "third-party CRDs: $1" >&2
  exit 1
}

command -v go >/dev/null 2>&1 || fail "Go is not installed; install Go 1.26+ (it fetches the pinned CRD modules)"
command -v node >/dev/null 2>&1 || fail "node is not installed"
[ -d "$repo/node_modules/js-yaml" ] || fail "js-yaml is missing; run 'npm ci' first"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

cache_root=${NEXUS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nexus-operator}

# The extracted module folder in the module cache (downloaded if missing).
module_dir() {
  local json dir
  json=$(cd "${TMPDIR:-/tmp}" && go mod download -json "$1@$2" 2>&1) ||
    fail "cannot fetch Go module $1@$2: $(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",*$/\1/p' | sed 's/\\n.*//' | head -n 1)"
  dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [ -d "$dir" ] || fail "go mod download gave no folder for $1@$2"
  echo "$dir"
}

echo "resolving third-party CRDs (cert-manager $CERT_MANAGER_VERSION, istio.io/api $ISTIO_API_VERSION, gateway-api $GATEWAY_API_VERSION)" >&2
cert_manager=$(module_dir github.com/cert-manager/cert-manager "$CERT_MANAGER_VERSION")
istio=$(module_dir istio.io/api "$ISTIO_API_VERSION")
gateway_api=$(module_dir sigs.k8s.io/gateway-api "$GATEWAY_API_VERSION")

files=()
shopt -s nullglob
cm_sources=("$cert_manager"/deploy/crds/*.yaml)
shopt -u nullglob
[ ${#cm_sources[@]} -gt 0 ] || fail "no CRD files in $cert_manager/deploy/crds"

if grep -q '{{' "${cm_sources[@]}"; then
  # Deterministic rendering: drop lines that are nothing but template actions (the
  # if/end wrappers and label includes); anything templated inside a value is refused.
  rendered="$cache_root/third-party-crds/cert-manager-$CERT_MANAGER_VERSION"
  rm -rf "$rendered.tmp" && mkdir -p "$rendered.tmp"
  for src in "${cm_sources[@]}"; do
    out="$rendered.tmp/$(basename "$src")"
    grep -Ev '^[[:space:]]*\{\{[^}]*\}\}[[:space:]]*$' "$src" >"$out" || true
    if grep -q '{{' "$out"; then
      fail "$src has Helm templating inside a value ($(grep -n -m 1 '{{' "$out")); extend the rendering in $0"
    fi
  done
  rm -rf "$rendered" && mv "$rendered.tmp" "$rendered"
  for src in "${cm_sources[@]}"; do files+=("$rendered/$(basename "$src")"); done
else
  files+=("${cm_sources[@]}")
fi
files+=("$istio/kubernetes/customresourcedefinitions.gen.yaml")
# The standard channel's CRDs (not its upgrade-guard admission policy), at the version Istio itself builds against.
shopt -s nullglob
gateway_sources=()
for src in "$gateway_api"/config/crd/standard/*.yaml; do
  [[ $(basename "$src") == *_vap_* ]] || gateway_sources+=("$src")
done
shopt -u nullglob
[ ${#gateway_sources[@]} -gt 0 ] || fail "no CRD files in $gateway_api/config/crd/standard"
files+=("${gateway_sources[@]}")

# Every document must be a v1 CRD with a name, and every file must hold at least one.
(cd "$repo" && node -e '
  const fs = require("fs");
  const yaml = require("js-yaml");
  for (const file of process.argv.slice(1)) {
    let docs;
    try {
      docs = yaml.loadAll(fs.readFileSync(file, "utf8")).filter((d) => d != null);
    } catch (err) {
      console.error(`${file}: not valid YAML: ${err.message.split("\n")[0]}`);
      process.exit(1);
    }
    if (docs.length === 0) { console.error(`${file}: no documents`); process.exit(1); }
    for (const d of docs) {
      if (d.apiVersion !== "apiextensions.k8s.io/v1" || d.kind !== "CustomResourceDefinition" || !d.metadata?.name || !d.spec?.group) {
        console.error(`${file}: a document is not an apiextensions.k8s.io/v1 CustomResourceDefinition (${d.apiVersion}/${d.kind} ${d.metadata?.name ?? ""})`);
        process.exit(1);
      }
    }
  }
' "${files[@]}") || fail "a CRD file failed validation (see above)"

printf '%s\n' "${files[@]}"
