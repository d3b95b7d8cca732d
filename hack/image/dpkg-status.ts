// Reads a dpkg status file (/var/lib/dpkg/status): the installed packages, one per stanza.
export interface DpkgPackage {
  name: string;
  version: string;
  architecture: string;
  /** The source package, when it differs from the binary package's name. */
  source?: string;
}

export function parseDpkgStatus(text: string): DpkgPackage[] {
  const packages: DpkgPackage[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split("\n")) {
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match?.[1] && match[2] !== undefined) fields.set(match[1], match[2]);
    }
    const name = fields.get("Package");
    if (!name) continue;
    if (!/\binstalled$/.test(fields.get("Status") ?? "")) continue;
    const version = fields.get("Version");
    if (!version) throw new Error(`dpkg status: package ${name} has no Version`);
    const source = fields.get("Source")?.split(" ")[0];
    packages.push({ name, version, architecture: fields.get("Architecture") ?? "all", ...(source && source !== name ? { source } : {}) });
  }
  return packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
