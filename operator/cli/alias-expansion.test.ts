import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { excessiveAliasing, expansionOf, MAX_EXPANDED_NODES } from "./alias-expansion.js";
import { parseManifests } from "./input.js";
import { UsageError } from "./exit-codes.js";

/** The "billion laughs" shape: each level lists the level below `width` times. */
function aliasBomb(depth: number, width = 9): string {
  const lines = ["apiVersion: security.nexus.io/v1alpha1", "kind: EngineIdentity", "metadata: {name: bomb, namespace: ns}", `x0: &a0 ["lol"]`];
  for (let level = 1; level <= depth; level++) lines.push(`x${level}: &a${level} [${Array(width).fill(`*a${level - 1}`).join(",")}]`);
  return `${lines.join("\n")}\n`;
}

describe("alias expansion", () => {
  it("counts what aliases expand to without expanding them", () => {
    const started = performance.now();
    const { expanded } = expansionOf(yaml.load(aliasBomb(12)));
    expect(expanded).toBeGreaterThan(9 ** 12);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("refuses a 1 KB alias bomb at once, naming the file, the document and the limit", () => {
    const text = aliasBomb(10);
    expect(text.length).toBeLessThan(1_024);
    const started = performance.now();
    expect(() => parseManifests(text, "bomb.yaml")).toThrow(UsageError);
    expect(() => parseManifests(text, "bomb.yaml")).toThrow(new RegExp(`bomb\\.yaml document 0: YAML aliases expand .* more than ${MAX_EXPANDED_NODES}`));
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("accepts manifests that use a few anchors as people write them", () => {
    const text = [
      "apiVersion: security.nexus.io/v1alpha1",
      "kind: AccessPolicy",
      "metadata: {name: p, namespace: ns}",
      "spec:",
      "  rules:",
      "  - from: &callers [{identity: {name: web}}, {identity: {name: api}}]",
      "    to: [{methods: [GET]}]",
      "  - from: *callers",
      "    to: [{methods: [POST]}]",
    ].join("\n");
    const [document] = parseManifests(text, "anchors.yaml");
    expect((document!.object.spec as { rules: unknown[] }).rules).toHaveLength(2);
  });

  it("accepts large files with no aliases at all", () => {
    const big = { items: Array.from({ length: 60_000 }, (_, i) => ({ name: `n${i}`, value: i })) };
    expect(expansionOf(big).expanded).toBeGreaterThan(MAX_EXPANDED_NODES);
    expect(excessiveAliasing(big)).toBeUndefined();
  });

  it("refuses an alias that refers to a node containing it", () => {
    const node: Record<string, unknown> = { a: 1 };
    node.self = node;
    expect(excessiveAliasing(node)).toMatch(/cycle/);
  });
});
