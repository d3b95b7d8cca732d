// Joins the image's SBOM parts into one CycloneDX document on stdout:
//   sbom-merge.ts NPM_CDX_JSON DPKG_STATUS NODE_VERSION
// The npm part (cyclonedx-npm) stays as it is; the image's Debian packages (from its dpkg
// status file) and its Node.js runtime are added as components with the package URLs and
// CPE scanners such as osv-scanner and grype match advisories on. Sorted, and without
// timestamps or serial numbers, so the same image gives the same bytes.
import { readFileSync } from "node:fs";
import { parseDpkgStatus } from "./dpkg-status.js";

interface Component {
  type: string;
  name: string;
  version: string;
  "bom-ref": string;
  purl?: string;
  cpe?: string;
  group?: string;
  properties?: { name: string; value: string }[];
}

const [npmPath, dpkgPath, nodeVersion] = process.argv.slice(2);
if (!npmPath || !dpkgPath || !nodeVersion) {
  console.error("usage: sbom-merge.ts NPM_CDX_JSON DPKG_STATUS NODE_VERSION");
  process.exit(2);
}

const bom = JSON.parse(readFileSync(npmPath, "utf8"));
const debian: Component[] = parseDpkgStatus(readFileSync(dpkgPath, "utf8")).map((pkg) => {
  const purl = `pkg:deb/debian/${pkg.name}@${encodeURIComponent(pkg.version)}?arch=${pkg.architecture}&distro=debian-12`;
  return {
    type: "library",
    name: pkg.name,
    version: pkg.version,
    "bom-ref": purl,
    purl,
    ...(pkg.source ? { properties: [{ name: "debian:source", value: pkg.source }] } : {}),
  };
});
const nodeRef = `pkg:generic/node@${nodeVersion}`;
const runtime: Component = {
  type: "platform",
  name: "node",
  version: nodeVersion,
  "bom-ref": nodeRef,
  purl: nodeRef,
  cpe: `cpe:2.3:a:nodejs:node.js:${nodeVersion}:*:*:*:*:*:*:*`,
  properties: [{ name: "nexus:path", value: "/nodejs/bin/node" }],
};
bom.components = [...(bom.components ?? []), runtime, ...debian].sort((a: Component, b: Component) =>
  a["bom-ref"] < b["bom-ref"] ? -1 : a["bom-ref"] > b["bom-ref"] ? 1 : 0,
);
if (bom.metadata) bom.metadata.component = { ...bom.metadata.component, type: "container" };
process.stdout.write(JSON.stringify(bom, null, 2) + "\n");
