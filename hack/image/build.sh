#!/usr/bin/env bash
# make image: builds the repository's Dockerfile with buildah (no daemon, chroot isolation)
# on the stand-in base images of hack/image/build-bases.sh, and writes into .cache/image/:
#   nexus-operator.oci.tar        the image, an OCI archive (tag nexus-operator:<version>)
#   nexus-operator.digest         its manifest digest, for the chart: image.digest
#   nexus-operator.cdx.json       its CycloneDX SBOM (hack/image/sbom.sh)
#   inputs.sha256                 the key of every input; the same key skips the build
# Same sources, same digest: fixed timestamps (SOURCE_DATE_EPOCH, the time of the last
# commit that changed a dependency input, unless set), no history, and layers from sorted file trees. Registry traffic during the
# build goes through the host's TLS proxy, so the host's CA bundle is mounted into the
# build steps (never copied into the image).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out="$repo/.cache/image"
name=nexus-operator
version=$(node -p 'require(process.argv[1]).version' "$repo/package.json")

for tool in buildah:buildah podman:podman skopeo:skopeo runc:runc mmdebstrap:mmdebstrap; do
  bash "$repo/hack/ensure-debian-package.sh" "${tool%%:*}" "${tool##*:}"
done

mapfile -t bases < <(bash "$here/build-bases.sh")
build_image=${bases[0]}
runtime_image=${bases[1]}

# The inputs: what the Dockerfile copies, the Dockerfile, these scripts and the bases.
key=$(
  cd "$repo"
  {
    printf '%s\n' "$build_image" "$runtime_image"
    find Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json operator hack/image hack/node.env -type f -print0 \
      | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1
)
# NEXUS_IMAGE_REBUILD=1 builds again from nothing (no layer cache), to check that the same
# sources give the same digest.
cache_args=(--layers)
if [ "${NEXUS_IMAGE_REBUILD:-}" = "1" ]; then
  cache_args=(--layers --no-cache)
elif [ -f "$out/inputs.sha256" ] && [ "$(cat "$out/inputs.sha256")" = "$key" ] \
  && [ -f "$out/$name.oci.tar" ] && [ -f "$out/$name.digest" ] && [ -f "$out/$name.cdx.json" ]; then
  echo "image $name:$version is current ($(cat "$out/$name.digest")): $out/$name.oci.tar" >&2
  exit 0
fi

# The time of the last commit that changed an input, so unrelated commits keep the digest.
# The timestamp follows the dependencies, not the operator's code: buildah's layer cache keys
# on it, so a change of code alone reuses the npm ci layer (minutes on a warm CI run) and
# the digest still depends only on the sources.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct -- Dockerfile .dockerignore package.json package-lock.json hack/image hack/node.env 2>/dev/null || echo 0)}
[ -n "$SOURCE_DATE_EPOCH" ] || SOURCE_DATE_EPOCH=0
ca_bundle=${NEXUS_BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
ca_args=()
if [ -f "$ca_bundle" ]; then
  ca_args=(--volume "$ca_bundle:/run/build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.crt)
fi

mkdir -p "$out"
started=$(date +%s)
echo "building image $name:$version with buildah (log: $out/build.log)" >&2
BUILDAH_ISOLATION=chroot buildah build "${cache_args[@]}" --pull=false \
  --timestamp "$SOURCE_DATE_EPOCH" --omit-history \
  --build-arg BUILD_IMAGE="$build_image" --build-arg RUNTIME_IMAGE="$runtime_image" \
  "${ca_args[@]}" \
  --tag "localhost/$name:$version" --file "$repo/Dockerfile" "$repo" >"$out/build.log" 2>&1 \
  || { echo "image build failed (last lines of $out/build.log):" >&2; tail -n 20 "$out/build.log" >&2; exit 1; }
rm -f "$out/$name.oci.tar.tmp"
buildah push --quiet "localhost/$name:$version" "oci-archive:$out/$name.oci.tar.tmp:$name:$version" >>"$out/build.log" 2>&1
mv "$out/$name.oci.tar.tmp" "$out/$name.oci.tar"
skopeo inspect --format '{{.Digest}}' "oci-archive:$out/$name.oci.tar" >"$out/$name.digest"
bash "$here/sbom.sh" "localhost/$name:$version" "$out/$name.cdx.json"
echo "$key" >"$out/inputs.sha256"
size=$(podman image inspect --format '{{.Size}}' "localhost/$name:$version" 2>/dev/null || echo 0)
echo "image $name:$version built in $(($(date +%s) - started))s, $((size / 1000000)) MB uncompressed: $(cat "$out/$name.digest"), $out/$name.oci.tar" >&2
