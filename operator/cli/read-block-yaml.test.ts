// The block reader must give js-yaml's documents exactly, or step aside: compared with
// js-yaml's loadAll on generated manifests in the styles tools write, on hand-picked edge
// cases, and on random edits of such text (where js-yaml often refuses the text or reads it
// differently, and the reader must then answer undefined, never a value of its own).
import fc from "fast-check";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { readBlockYaml } from "./read-block-yaml.js";

function jsYaml(text: string): { documents: unknown[] } | { error: string } {
  try {
    return { documents: yaml.loadAll(text) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Keys as manifests have them, and keys js-yaml would read as something else. */
const key = fc.oneof(
  fc.constantFrom("apiVersion", "kind", "metadata", "name", "spec", "app.kubernetes.io/name", "x_y", "a b", "null", "True", "1", "1.0", "<<", "~", "-a", "key:", "a#b", "#a", "'q'", "__proto__", ""),
  fc.string({ unit: fc.constantFrom(..."abZ09-_./: #'\"\\é".split("")), maxLength: 8 }),
);
/** Scalars of every type, with the characters that decide quoting. */
const scalar = fc.oneof(
  fc.constantFrom("engine-1", "/api/*", "GET", "true", "null", "~", "", " ", "---", "...", "- x", "a: b", "a #b", "#x", "[]", "{}", "[a]", "&a", "*a", "!x", "|", ">", "%x", "@x", "'", "\"", "2026-12-01", "2026-12-01T10:00:00Z", "0x1F", "1_000", ".inf", "-.5", "+1", "1e3", "é", "\u0085", "a\nb", "a\tb", "\u{1F600}"),
  fc.string({ unit: fc.constantFrom(..."ab09-_./:# '\"\\\nTé".split("")), maxLength: 10 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(key, tie("node"), { maxKeys: 5 }),
  ),
})).node;
const documents = fc.array(fc.dictionary(key, value, { minKeys: 1, maxKeys: 6 }), { minLength: 1, maxLength: 3 });
const style = fc.record({ indent: fc.constantFrom(2, 4), noArrayIndent: fc.boolean(), explicitFirst: fc.boolean(), comments: fc.boolean() });

/** js-yaml's dump of the documents in a given style; optionally with comment lines and a trailing comment on each `key:` line. */
function write(docs: unknown[], options: { indent: number; noArrayIndent: boolean; explicitFirst: boolean; comments: boolean }): string {
  const body = docs.map((doc) => yaml.dump(doc, { indent: options.indent, noArrayIndent: options.noArrayIndent, lineWidth: -1 }));
  let text = (options.explicitFirst ? "---\n" : "") + body.join("---\n");
  if (options.comments) text = text.replace(/^(\s*)([A-Za-z]\w*:)$/gm, "$1# about $2\n$1$2 # comment");
  return text;
}

/** Whether the reader read the text rather than step aside; when it did, its documents must be js-yaml's. */
function readsAsJsYaml(text: string): boolean {
  const ours = readBlockYaml(text);
  if (ours === undefined) return false;
  expect(jsYaml(text)).toEqual({ documents: ours });
  return true;
}

describe("readBlockYaml", () => {
  it("gives js-yaml's documents for generated manifests in every writer's style, or steps aside", () => {
    let read = 0;
    fc.assert(
      fc.property(documents, style, (docs, options) => {
        if (readsAsJsYaml(write(docs, options))) read++;
      }),
      { numRuns: 3000 },
    );
    // Many generated texts (most hold some odd key or multi-line text) must stay inside the
    // subset, or the comparison above proves little.
    expect(read).toBeGreaterThan(500);
  });

  it("reads manifests made only of names, numbers and booleans without stepping aside", () => {
    const simpleScalar = fc.oneof(fc.constantFrom("engine-1", "/api/*", "GET", "https://issuer.example", "a b"), fc.integer(), fc.boolean(), fc.constant(null));
    const simpleValue = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof({ depthSize: "small" }, simpleScalar, fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(fc.constantFrom("name", "spec", "rules", "from", "to", "a.b/c"), tie("node"), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.constantFrom("kind", "metadata", "spec"), simpleValue, { minKeys: 1 }), { minLength: 1, maxLength: 3 }), style, (docs, options) => {
        const text = write(docs, options);
        const ours = readBlockYaml(text);
        expect(ours).toBeDefined();
        expect(ours).toEqual(yaml.loadAll(text));
      }),
      { numRuns: 1000 },
    );
  });

  it("never reads a value from text js-yaml refuses or reads differently after random edits", () => {
    const edit = fc.record({
      at: fc.nat(),
      remove: fc.nat({ max: 3 }),
      insert: fc.constantFrom("", " ", "  ", "-", "- ", ":", ": ", "#", " #", "'", '"', "\n", "\n---\n", "\n...\n", "&a ", "*a", "|", ">", "[", "{", "}", "\\", "\t", "\r", "?", "%", "!", "\u0000", "\n  ", "\n- "),
    });
    let read = 0;
    fc.assert(
      fc.property(documents, style, fc.array(edit, { minLength: 1, maxLength: 3 }), (docs, options, edits) => {
        let text = write(docs, options);
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
        }
        if (readsAsJsYaml(text)) read++;
      }),
      { numRuns: 5000 },
    );
    expect(read).toBeGreaterThan(150);
  });

  it.each([
    ["kubectl's sequences at the key's indentation", "spec:\n  rules:\n  - from:\n    - namespace: a\n    to: []\n  x: 1\n"],
    ["comments, blank lines and a trailing comment", "# header\n\na: 1 # one\n\n  # indented comment\nb:   # nothing\nc: 'q' # quoted\n"],
    ["text before the first marker that is only comments", "# c\n---\na: 1\n"],
    ["quoted keys and values with escapes", "'a b': \"x\\ty\"\n\"c:d\": 'it''s'\n"],
    ["times, numbers, nulls and booleans", "t: 2026-12-01T10:00:00Z\nn: ~\ni: 0x1F\nf: -1.5e3\nb: False\nd: 2026-12-01\n"],
    ["items that are mappings with more spaces after the dash", "-   a: 1\n    b:\n    - x\n-  y\n"],
    ["a mapping that is indented as a whole", "  a: 1\n  b: 2\n"],
    ["plain scalars with colons, hashes and quotes inside", "u: https://a.example/x#y\nq: it's\nc: a:b\n"],
  ])("reads %s as js-yaml does", (_, text) => {
    const ours = readBlockYaml(text);
    expect(ours).toBeDefined();
    expect(ours).toEqual(yaml.loadAll(text));
  });

  it("reads a text of many thousand lines, and a short one after it, as js-yaml does", () => {
    const long = Array.from({ length: 3000 }, (_, i) => `---\nkind: A\nmetadata:\n  name: n${i}\n  labels:\n    a: b${i}\n`).join("");
    const short = "kind: B\nspec:\n  x: 1\n";
    for (const text of [long, short, long.slice(0, long.indexOf("---", 5000)), short]) expect(readBlockYaml(text)).toEqual(yaml.loadAll(text));
  });

  it("gives every parsed time its own Date, as js-yaml does", () => {
    const [doc] = readBlockYaml("a: 2026-12-01T10:00:00Z\nb: 2026-12-01T10:00:00Z\n") as [{ a: Date; b: Date }];
    expect(doc.a).toBeInstanceOf(Date);
    expect(doc.a).not.toBe(doc.b);
  });

  it.each([
    ["a block scalar", "a: |\n  text\n"],
    ["a folded scalar", "a: >-\n  text\n"],
    ["a plain scalar over two lines", "a: one\n  two\n"],
    ["a flow sequence", "a: [1, 2]\n"],
    ["anchors and aliases", "a: &x 1\nb: *x\n"],
    ["a tag", "a: !!str 1\n"],
    ["a duplicate key", "a: 1\na: 2\n"],
    ["a key js-yaml turns into another string", "1.0: a\n"],
    ["a merge key", "<<: {}\n"],
    ["an explicit key", "? a\n: b\n"],
    ["a directive", "%YAML 1.2\n---\na: 1\n"],
    ["a tab", "a:\t1\n"],
    ["CR LF line ends", "a: 1\r\n"],
    ["a top-level scalar", "just text\n"],
    ["a nested mapping on the value's line", "a: b: c\n"],
    ["bad indentation", "a: 1\n  b: 2\n"],
    ["an empty document", "---\n---\na: 1\n"],
    ["comments alone", "# c\n\n"],
    ["nothing", "\n  \n"],
  ])("steps aside for %s", (_, text) => {
    expect(readBlockYaml(text)).toBeUndefined();
  });
});
