#!/usr/bin/env bash
# sbom.sh IMAGE OUT: the image's CycloneDX SBOM. The npm production dependencies come from
# @cyclonedx/cyclonedx-npm (npm's own tree of this repository, dev dependencies omitted:
# exactly what `npm prune --omit=dev` leaves in the image); the Debian packages from the
# image's own dpkg status file and the Node.js runtime from the image's own binary, read
# from the built image mounted read-only. hack/image/sbom-merge.ts joins them.
set -euo pipefail
image=${1:?usage: sbom.sh IMAGE OUT}
out=${2:?usage: sbom.sh IMAGE OUT}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
ctr=""
cleanup() {
  if [ -n "$ctr" ]; then buildah umount "$ctr" >/dev/null 2>&1 || true; buildah rm "$ctr" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

ctr=$(buildah from --pull=false --quiet "$image")
root=$(buildah mount "$ctr")
cp "$root/var/lib/dpkg/status" "$work/dpkg-status"
"$root/nodejs/bin/node" --version | sed 's/^v//' >"$work/node-version"

(cd "$repo" && npx --no-install cyclonedx-npm --omit dev --flatten-components --output-reproducible \
  --spec-version 1.6 --output-format JSON --output-file "$work/npm.cdx.json" >"$work/cyclonedx.log" 2>&1) \
  || { cat "$work/cyclonedx.log" >&2; exit 1; }
(cd "$repo" && npx --no-install tsx hack/image/sbom-merge.ts "$work/npm.cdx.json" "$work/dpkg-status" "$(cat "$work/node-version")") >"$out.tmp"
mv "$out.tmp" "$out"
