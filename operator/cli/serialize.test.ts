// `nexus render` writes YAML with its own block writer for speed; these properties hold it
// to the bytes js-yaml's dump writes for the same sorted objects.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import yaml from "js-yaml";
import { BlockYaml, formatObjects, isPlainAsWritten, objectToYaml, objectToYamlWithJsYaml } from "./serialize.js";

// Strings that js-yaml must quote, escape or write as block scalars, next to plain ones.
const trickyString = fc.oneof(
  fc.constantFrom("", "yes", "No", "on", "~", "null", "true", "1", "0x1F", "1e3", "-.inf", ".nan", "12:30", "2026-12-01", "2026-12-01T10:00:00Z", "<<", "- a", "a: b", "a #b", "#c", "'q'", '"d"', "x\ny", "trail\n", " lead", "tail ", "@at", "`tick", "|", ">", "*", "&a", "!t", "%p", "[", "{}", "a,b", "\u0007bell", "\u00e9t\u00e9", "\ud83d\ude00", "\u2028", "\t"),
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.stringMatching(/^[a-z0-9./*:-]{0,20}$/),
);
const key = fc.oneof(trickyString, fc.constantFrom("0", "10", "2", "01", "4294967294", "4294967295", "apiVersion", "kind", "a".repeat(1100)));
const scalar = fc.oneof(trickyString, fc.integer(), fc.double(), fc.constantFrom(0, -0, 1e21, Number.MAX_SAFE_INTEGER), fc.boolean(), fc.constant(null), fc.constant(undefined));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, scalar, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(key, tie("value"), { maxKeys: 5 }),
}));

describe("YAML output", () => {
  it("is byte for byte js-yaml's dump of the sorted object, for any JSON-shaped value", () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (object) => {
        expect(objectToYaml(object)).toBe(objectToYamlWithJsYaml(object));
      }),
      // An own "__proto__" key, as JSON.parse makes it: once lost by the sorted copy.
      { numRuns: 3000, examples: [[JSON.parse('{"":{"__proto__":0}}') as Record<string, unknown>]] },
    );
  });

  it("writes a string as it is only where js-yaml writes it so", () => {
    const nameLike = fc.stringMatching(/^[A-Za-z][A-Za-z0-9._/:-]{0,12}$/);
    const words = fc.constantFrom("null", "Null", "NULL", "nULL", "true", "True", "TRUE", "tRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "yES", "oN", "inf", "nan", "e5", "E1", "x1");
    fc.assert(
      fc.property(fc.oneof(nameLike, words, trickyString), (text) => {
        if (isPlainAsWritten(text)) expect(yaml.dump(text, { lineWidth: -1 })).toBe(`${text}\n`);
      }),
      { numRuns: 5000 },
    );
    expect(["cluster.local/ns/a/sa/b", "security.nexus.io/policy-hash", "nexus-allow-x"].every(isPlainAsWritten)).toBe(true);
    expect(["true", "NULL", "1e3", "-a", "a:", "a b", ""].some(isPlainAsWritten)).toBe(false);
  });

  it("falls back to js-yaml for values it does not write itself", () => {
    const multiLine = { spec: { note: "line one\nline two\n", list: ["a\nb"] } };
    expect(new BlockYaml().document(multiLine)).toBeUndefined();
    expect(objectToYaml(multiLine)).toBe(objectToYamlWithJsYaml(multiLine));
    const dated = { metadata: { creationTimestamp: new Date(0) } };
    expect(objectToYaml(dated)).toBe(objectToYamlWithJsYaml(dated));
  });

  it("writes a long list shared by many objects, at any depth, as js-yaml writes each copy", () => {
    const tenant = Array.from({ length: 70 }, (_, i) => `cluster.local/ns/team-${i % 3}/sa/engine-${String(i).padStart(3, "0")}`);
    const mixed = [...tenant.slice(0, 69), 7];
    const objects = [
      { kind: "A", spec: { rules: [{ from: [{ source: { principals: tenant } }] }] } },
      { kind: "B", spec: { principals: tenant, nested: [tenant, mixed] } },
      { kind: "C", spec: { principals: tenant.slice(0, 64), again: mixed } },
    ];
    const writer = new BlockYaml();
    for (let pass = 0; pass < 2; pass++) {
      for (const object of objects) expect(objectToYaml(object, writer)).toBe(objectToYamlWithJsYaml(object));
    }
    // Lists long enough to be handed on as pieces of their own, between the documents' other text.
    const large = Array.from({ length: 300 }, (_, i) => `cluster.local/ns/team/sa/engine-${String(i).padStart(4, "0")}`);
    const listOfLists = Array.from({ length: 70 }, (_, i) => (i % 10 === 0 ? large : [`x${i}`]));
    const documents = [{ kind: "X", a: large, b: { c: large, d: 1 } }, { kind: "Y", e: [large] }, { kind: "Z", f: listOfLists, g: large }, ...objects];
    expect(formatObjects(documents, "yaml")).toBe(documents.map((o) => `---\n${objectToYamlWithJsYaml(o)}`).join(""));
    // A list that grew after it was written is written anew.
    tenant.push("cluster.local/ns/team-9/sa/late");
    expect(objectToYaml(objects[1], writer)).toBe(objectToYamlWithJsYaml(objects[1]));
  });

  it("writes a list of objects as documents, reusing the scalars it has formatted", () => {
    const objects = [{ kind: "A", metadata: { name: "x", labels: { "1": "yes" } } }, { kind: "B", spec: { ports: [8080, "8080"], empty: {}, none: [] } }];
    expect(formatObjects(objects, "yaml")).toBe(objects.map((o) => `---\n${objectToYamlWithJsYaml(o)}`).join(""));
  });
});
