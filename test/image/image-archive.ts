// The image `make image` built (.cache/image/), and why a test of it must skip when there
// is none or podman cannot run it here.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../controlplane/binaries.js";

export const imageDir = path.join(repoRoot, ".cache", "image");
export const archivePath = path.join(imageDir, "nexus-operator.oci.tar");
export const digestPath = path.join(imageDir, "nexus-operator.digest");
export const sbomPath = path.join(imageDir, "nexus-operator.cdx.json");

/** Why the image cannot be tested here, or undefined when it can. */
export function imageSkipReason(needPodman: boolean): string | undefined {
  if (!existsSync(archivePath) || !existsSync(sbomPath)) return `no image at ${archivePath}: run make image (make test builds it where buildah and podman can run)`;
  if (!needPodman) return undefined;
  try {
    execFileSync("podman", ["--version"], { stdio: "ignore" });
    execFileSync("runc", ["--version"], { stdio: "ignore" });
  } catch {
    return "podman or runc is not installed (make image installs both from Debian)";
  }
  return undefined;
}

/**
 * Unpacks the OCI archive's layers, in order, into a fresh folder: the image's root file
 * system as a container would see it (whiteouts applied).
 */
export function unpackImage(): string {
  const work = mkdtempSync(path.join(os.tmpdir(), "nexus-image-"));
  const oci = path.join(work, "oci");
  const root = path.join(work, "rootfs");
  execFileSync("mkdir", ["-p", oci, root]);
  execFileSync("tar", ["-xf", archivePath, "-C", oci]);
  const index = JSON.parse(readFileSync(path.join(oci, "index.json"), "utf8"));
  const blob = (digest: string) => path.join(oci, "blobs", ...digest.split(":"));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), "utf8"));
  for (const layer of manifest.layers as { digest: string; mediaType: string }[]) {
    const listing = execFileSync("tar", ["-tf", blob(layer.digest)], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }).split("\n");
    for (const entry of listing.filter((name) => path.basename(name).startsWith(".wh."))) {
      const target = path.join(root, path.dirname(entry), path.basename(entry).slice(4));
      execFileSync("rm", ["-rf", target]);
    }
    execFileSync("tar", ["-xf", blob(layer.digest), "-C", root, "--no-same-owner", "--exclude=.wh.*"]);
  }
  return root;
}

/** Every package.json of an installed package under node_modules (nested ones included). */
export function installedPackages(nodeModules: string): { name: string; version: string; where: string }[] {
  const found: { name: string; version: string; where: string }[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      const folder = path.join(dir, entry.name);
      if (entry.name.startsWith("@")) {
        visit(folder);
        continue;
      }
      const manifest = path.join(folder, "package.json");
      if (existsSync(manifest)) {
        const pkg = JSON.parse(readFileSync(manifest, "utf8"));
        found.push({ name: pkg.name, version: pkg.version, where: path.relative(nodeModules, folder) });
      }
      const nested = path.join(folder, "node_modules");
      if (existsSync(nested)) visit(nested);
    }
  };
  visit(nodeModules);
  return found;
}
