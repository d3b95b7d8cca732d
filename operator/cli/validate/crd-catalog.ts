// The kinds `nexus validate` knows, read from the CRDs in crds/ (the API's one source of
// truth) when the command runs, so a CRD edit is validated by the next run without a
// rebuild. Schemas are compiled once per catalog.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import { compileSchema } from "./compile-schema.js";
import type { JsonSchema, SchemaNode } from "./schema-node.js";

export interface CrdKind {
  group: string;
  version: string;
  kind: string;
  apiVersion: string;
  namespaced: boolean;
  hasStatusSubresource: boolean;
  schema: SchemaNode;
}

interface CrdDocument {
  kind?: string;
  spec?: {
    group: string;
    scope: string;
    names: { kind: string };
    versions: { name: string; served: boolean; subresources?: { status?: object }; schema?: { openAPIV3Schema?: JsonSchema } }[];
  };
}

export class CrdCatalog {
  private readonly kinds = new Map<string, CrdKind>();
  private readonly groups = new Set<string>();

  constructor(crds: readonly CrdDocument[]) {
    for (const crd of crds) {
      if (crd.kind !== "CustomResourceDefinition" || !crd.spec) continue;
      const { group, names, scope, versions } = crd.spec;
      this.groups.add(group);
      for (const version of versions) {
        if (!version.served || !version.schema?.openAPIV3Schema) continue;
        const apiVersion = `${group}/${version.name}`;
        this.kinds.set(`${apiVersion}/${names.kind}`, {
          group,
          version: version.name,
          kind: names.kind,
          apiVersion,
          namespaced: scope === "Namespaced",
          hasStatusSubresource: version.subresources?.status !== undefined,
          schema: compileSchema(version.schema.openAPIV3Schema),
        });
      }
    }
  }

  lookup(apiVersion: unknown, kind: unknown): CrdKind | undefined {
    return this.kinds.get(`${String(apiVersion)}/${String(kind)}`);
  }

  /** Whether the apiVersion belongs to one of the catalog's groups (so an unknown version or kind is an error, not a foreign object). */
  ownsGroup(apiVersion: unknown): boolean {
    return typeof apiVersion === "string" && this.groups.has(apiVersion.split("/")[0] ?? "");
  }

  knownKinds(): string[] {
    return [...this.kinds.values()].map((k) => `${k.kind} (${k.apiVersion})`);
  }

  static fromTexts(texts: readonly string[]): CrdCatalog {
    return new CrdCatalog(texts.flatMap((text) => yaml.loadAll(text) as CrdDocument[]));
  }

  /** Reads every *.yaml CRD in `dir`. */
  static fromDirectory(dir: string): CrdCatalog {
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
    return CrdCatalog.fromTexts(files.map((f) => readFileSync(path.join(dir, f), "utf8")));
  }
}

/** The repository's crds/ folder, found upward from this module (sources or compiled dist/). */
export function defaultCrdDirectory(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "crds");
    if (existsSync(path.join(candidate, "security.nexus.io_accesspolicies.yaml"))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
