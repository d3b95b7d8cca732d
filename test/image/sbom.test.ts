// The SBOM written next to the image lists everything the image carries: each npm package
// in its node_modules, each Debian package in its dpkg status file and its Node.js, at the
// versions the image has.
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDpkgStatus } from "../../hack/image/dpkg-status.js";
import { imageSkipReason, installedPackages, sbomPath, unpackImage } from "./image-archive.js";

const skipReason = imageSkipReason(false);
if (skipReason) console.warn(`[image sbom] skipped: ${skipReason}`);

interface Component {
  type: string;
  name: string;
  group?: string;
  version: string;
  purl?: string;
  cpe?: string;
}

describe.skipIf(skipReason !== undefined)("image SBOM", () => {
  let root: string;
  let components: Component[];
  beforeAll(() => {
    root = unpackImage();
    components = JSON.parse(readFileSync(sbomPath, "utf8")).components;
  });
  afterAll(() => {
    if (root) rmSync(path.dirname(root), { recursive: true, force: true });
  });

  it("lists every npm package in the image's node_modules at its installed version", () => {
    const installed = installedPackages(path.join(root, "app", "node_modules"));
    expect(installed.length).toBeGreaterThan(50);
    const listed = new Set(components.filter((c) => c.purl?.startsWith("pkg:npm/")).map((c) => `${c.group ? `${c.group}/` : ""}${c.name}@${c.version}`));
    const missing = installed.filter((pkg) => !listed.has(`${pkg.name}@${pkg.version}`)).map((pkg) => `${pkg.name}@${pkg.version} (${pkg.where})`);
    expect(missing).toEqual([]);
  });

  it("lists no npm package the image does not carry (dev dependencies stay out)", () => {
    const installed = new Set(installedPackages(path.join(root, "app", "node_modules")).map((pkg) => `${pkg.name}@${pkg.version}`));
    const extra = components
      .filter((c) => c.purl?.startsWith("pkg:npm/"))
      .map((c) => `${c.group ? `${c.group}/` : ""}${c.name}@${c.version}`)
      .filter((id) => !installed.has(id));
    expect(extra).toEqual([]);
    expect(components.some((c) => c.name === "vitest" || c.name === "typescript")).toBe(false);
  });

  it("lists every Debian package of the image's dpkg status file at its version, with a Debian package URL", () => {
    const packages = parseDpkgStatus(readFileSync(path.join(root, "var", "lib", "dpkg", "status"), "utf8"));
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(["base-files", "libc6", "libstdc++6", "tzdata", "netbase"]));
    const debs = new Map(components.filter((c) => c.purl?.startsWith("pkg:deb/debian/")).map((c) => [c.name, c.version]));
    for (const pkg of packages) expect(debs.get(pkg.name), pkg.name).toBe(pkg.version);
    expect(debs.size).toBe(packages.length);
  });

  it("lists the image's Node.js at the version of the binary the chart runs (/nodejs/bin/node)", async () => {
    const { execFileSync } = await import("node:child_process");
    const version = execFileSync(path.join(root, "nodejs", "bin", "node"), ["--version"], { encoding: "utf8" }).trim().replace(/^v/, "");
    const node = components.find((c) => c.type === "platform" && c.name === "node");
    expect(node?.version).toBe(version);
    expect(node?.cpe).toContain(`:nodejs:node.js:${version}:`);
  });
});
