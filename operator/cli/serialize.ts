// Objects as text: multi-document YAML or a JSON List, keys sorted at every depth so the
// same objects always print the same bytes, however they were built or read.
import yaml from "js-yaml";

export type ObjectFormat = "yaml" | "json";

export function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) {
    if (record[key] !== undefined) out[key] = sortedDeep(record[key]);
  }
  return out;
}

export function objectToYaml(object: unknown): string {
  // sortedDeep already inserted the keys in order, which js-yaml keeps.
  return yaml.dump(sortedDeep(object), { lineWidth: -1, noRefs: true });
}

export function formatObjects(objects: readonly unknown[], format: ObjectFormat): string {
  if (format === "json") return `${JSON.stringify(sortedDeep({ apiVersion: "v1", kind: "List", items: objects }), null, 2)}\n`;
  return objects.map((object) => `---\n${objectToYaml(object)}`).join("");
}
