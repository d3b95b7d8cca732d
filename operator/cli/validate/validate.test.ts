// Unit tests of the offline validator: the Go semantics it reproduces (durations, URLs,
// times), admission of single objects, cross-file warnings, output formats and the command.
import { describe, expect, it } from "vitest";
import { runCli } from "../main.js";
import type { CliIo } from "../context.js";
import { admit } from "./admission.js";
import { CrdCatalog, defaultCrdDirectory } from "./crd-catalog.js";
import { formatFieldError } from "./field-error.js";
import { GoDurationError, parseGoDuration } from "./go-duration.js";
import { isOpenApiDateTime, parseGoDateTime } from "./go-time.js";
import { isGoRequestURI } from "./go-url.js";
import { LineFinder, pathSegments } from "./positions.js";
import { formatSarif } from "./report.js";
import { validateDocuments, type InputDocument } from "./validate-documents.js";

const catalog = CrdCatalog.fromDirectory(defaultCrdDirectory()!);
const API = "security.nexus.io/v1alpha1";

function admitSpec(kind: "EngineIdentity" | "AccessPolicy", spec: unknown, name = "ledger") {
  const crd = catalog.lookup(API, kind)!;
  return admit({ apiVersion: API, kind, metadata: { name, namespace: "payments" }, spec }, crd.schema, crd);
}

const messages = (result: ReturnType<typeof admitSpec>) => result.errors.map(formatFieldError);

describe("Go semantics the apiserver's checks rely on", () => {
  it("parses durations as time.ParseDuration does, overflow included", () => {
    expect(parseGoDuration("1h30m")).toBe(5_400_000_000_000n);
    expect(parseGoDuration("1.5h")).toBe(5_400_000_000_000n);
    expect(parseGoDuration("2562047h")).toBe(2562047n * 3_600_000_000_000n);
    expect(() => parseGoDuration("2562048h")).toThrow(GoDurationError);
    expect(() => parseGoDuration("9223372036854775808ns")).toThrow(GoDurationError);
    expect(parseGoDuration("9223372036854775807ns")).toBe(9223372036854775807n);
    expect(() => parseGoDuration("1d")).toThrow(/unknown unit "d"/);
    expect(() => parseGoDuration("24")).toThrow(/missing unit/);
  });

  it("accepts a URL exactly where url.ParseRequestURI does", () => {
    for (const ok of ["https://a.example.com/jwks.json", "https://a:443/x", "https://[::1]/k", "https://u:p@a/x", "https://a/%41"]) expect(isGoRequestURI(ok), ok).toBe(true);
    for (const bad of ["https://a:b/x", "https://a:1:2/x", "https://[127.0.0.1]/k", "https://a%41/x", "https://a/%zz", "https://a|b/x", "https://a\u0001/x", "", "relative/path"]) {
      expect(isGoRequestURI(bad), bad).toBe(false);
    }
  });

  it("reads date-time as kube-openapi's format check and Go's RFC 3339 parser do", () => {
    expect(isOpenApiDateTime("2025-01-01T00:00:00Z")).toBe(true);
    expect(isOpenApiDateTime("2025-01-01t00:00:00z")).toBe(true);
    expect(isOpenApiDateTime("2025-02-30T00:00:00Z")).toBe(false);
    expect(isOpenApiDateTime("2025-01-01T24:00:00Z")).toBe(false);
    expect(parseGoDateTime("2025-01-01t00:00:00z")).toBeUndefined();
    expect(parseGoDateTime("2025-01-01T01:00:00+01:00")).toEqual({ seconds: 1735689600n, nanos: 0 });
  });
});

describe("admission of one object", () => {
  it("prunes nulls and defaults in their place wherever they stand, the input untouched", () => {
    const spec = {
      targetIdentity: "ledger",
      action: null,
      dryRun: null,
      rules: [{ from: [{ namespace: "web" }], to: null }],
      authentication: { gate: true, apiKeys: { header: null, keys: [{ id: "k1", sha256: "a".repeat(64) }] } },
    };
    const before = JSON.stringify(spec);
    const result = admitSpec("AccessPolicy", spec);
    expect(result.errors).toEqual([]);
    expect(result.object.spec).toMatchObject({ action: "Allow", dryRun: false, rules: [{ from: [{ namespace: "web" }] }], authentication: { apiKeys: { header: "x-api-key" } } });
    expect((result.object.spec as { rules: object[] }).rules[0]).not.toHaveProperty("to");
    expect(JSON.stringify(spec)).toBe(before);
    const crd = catalog.lookup(API, "AccessPolicy")!;
    const inMetadata = admit({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "x", namespace: "payments", labels: null }, spec: { targetIdentity: "ledger" } }, crd.schema, crd);
    expect(inMetadata.object.spec).toMatchObject({ action: "Allow" });
  });

  it("accepts a valid object and fills in the schema's defaults", () => {
    const result = admitSpec("AccessPolicy", { targetIdentity: "ledger", rules: [{ from: [{ namespace: "web" }] }] });
    expect(result.errors).toEqual([]);
    expect(result.object.spec).toMatchObject({ action: "Allow", mtls: "Strict", dryRun: false, allowCrossTenant: false });
  });

  it("finds a repeated item of a set deep in the rules, next to sources without sets", () => {
    const spec = {
      targetIdentity: "ledger",
      authentication: { jwt: [{ issuer: "https://id.example.com", jwksUri: "https://id.example.com/jwks" }] },
      rules: [{ from: [{ identity: { name: "web" } }, { jwt: { issuer: "https://id.example.com", subjects: ["a", "b", "a"] } }] }],
    };
    expect(messages(admitSpec("AccessPolicy", spec))).toEqual(['spec.rules[0].from[1].jwt.subjects[2]: Duplicate value: "a"']);
  });

  it("names the field and says what is allowed, as the apiserver does", () => {
    expect(messages(admitSpec("EngineIdentity", { serviceAccountName: "Ledger_Engine" }))).toEqual([
      `spec.serviceAccountName: Invalid value: "Ledger_Engine": serviceAccountName must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit`,
    ]);
    expect(messages(admitSpec("EngineIdentity", { workloadSelector: { matchLabels: { app: "-x" } } }))[0]).toMatch(/^spec\.workloadSelector\.matchLabels\[app\]: Invalid value: "-x": a label value/);
    expect(messages(admitSpec("EngineIdentity", { certificate: { duration: "2h", renewBefore: "2h" } }))).toEqual([
      "spec.certificate.renewBefore: Invalid value: renewBefore must be strictly less than duration (duration defaults to 24h)",
    ]);
  });

  it("refuses a dotted AccessPolicy or EngineIdentity name, naming metadata.name, as the CRDs' admission rule does", () => {
    const allowed = "metadata.name must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit, no dots";
    const policy = messages(admitSpec("AccessPolicy", { rules: [{ from: [{ namespace: "a" }] }] }, "ledger.1"));
    expect(policy).toHaveLength(1);
    expect(policy[0]).toContain(`metadata.name: Invalid value: ${allowed}`);
    const identity = messages(admitSpec("EngineIdentity", { serviceAccountName: "ledger" }, "ledger.v2"));
    expect(identity).toHaveLength(1);
    expect(identity[0]).toContain(`metadata.name: Invalid value: ${allowed}`);
    expect(messages(admitSpec("AccessPolicy", { rules: [{ from: [{ namespace: "a" }] }] }, "default-deny"))).toEqual([]);
  });

  it("skips CEL rules after an error that blocks them, as the apiserver does", () => {
    const result = admitSpec("EngineIdentity", { serviceAccountName: "A".repeat(64) });
    expect(messages(result)).toContain("spec.serviceAccountName: Too long: may not be more than 63 bytes");
    expect(messages(result).some((m) => m.includes("must be a DNS-1123 label"))).toBe(false);
  });

  it("reports unknown fields alone, as strict field validation does", () => {
    expect(messages(admitSpec("EngineIdentity", { tenant: "Acme", tenantt: "acme" }))).toEqual(['strict decoding error: unknown field "spec.tenantt"']);
  });

  it("reports a rule that fails to evaluate at the rule's own field", () => {
    const result = admitSpec("EngineIdentity", { certificate: { duration: "2562048h" } });
    expect(result.errors.map((e) => e.field)).toEqual(["spec.certificate.duration"]);
    expect(messages(result)[0]).toMatch(/evaluating rule: duration must be a Go duration/);
  });
});

const identity = (name: string, spec: object, namespace = "payments"): InputDocument => ({ file: "f.yaml", index: 0, object: { apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace }, spec } });
const policy = (name: string, spec: object): InputDocument => ({ file: "f.yaml", index: 1, object: { apiVersion: API, kind: "AccessPolicy", metadata: { name, namespace: "payments" }, spec } });

describe("cross-file warnings", () => {
  const codesOf = (docs: InputDocument[], now = new Date("2026-12-01T00:00:00Z")) =>
    validateDocuments(docs, catalog, { defaultNamespace: "default", now }).findings.map((f) => `${f.code} ${f.field}`);

  it("is silent for a consistent set", () => {
    expect(codesOf([identity("ledger", { tenant: "acme", workloadSelector: { matchLabels: { app: "ledger" } } }), identity("web", { tenant: "acme" }), policy("p", { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "web" } }, { tenant: "acme" }] }] })])).toEqual([]);
  });

  it("names each problem with its stable code", () => {
    const docs = [
      identity("ledger", {}),
      policy("p", { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "ghost" } }, { tenant: "nobody" }] }] }),
      policy("q", { targetIdentity: "missing", action: "Deny", rules: [{ from: [{ tenant: "nobody" }] }] }),
      policy("k", {
        rules: [{ from: [{ apiKey: { id: "old" } }] }],
        authentication: { apiKeys: { keys: [{ id: "old", sha256: "0".repeat(64), notAfter: "2026-01-01T00:00:00Z" }] } },
      }),
    ];
    expect(codesOf(docs)).toEqual([
      "NX005 spec.targetIdentity",
      "NX001 spec.rules[0].from[0].identity",
      "NX002 spec.rules[0].from[1].tenant",
      "NX001 spec.targetIdentity",
      "NX002 spec.rules[0].from[0].tenant",
      "NX004 spec.rules",
      "NX006 spec.authentication.apiKeys.keys[0].notAfter",
    ]);
  });

  it("flags an object defined twice and a kind the CRDs do not have", () => {
    const docs = [identity("ledger", {}), identity("ledger", {}), { file: "f.yaml", index: 2, object: { apiVersion: API, kind: "EngineIdentities", metadata: { name: "x" } } }];
    expect(codesOf(docs)).toEqual(["Duplicate metadata.name", "UnknownKind kind"]);
  });
});

describe("locations and formats", () => {
  it("finds the line of a field in its document", () => {
    const text = "a: 1\n---\napiVersion: v\nspec:\n  rules:\n    - from:\n        - tenant: x\n          namespace: y\n";
    const lines = new LineFinder(() => text);
    expect(pathSegments("spec.matchLabels[app.kubernetes.io/name]")).toEqual(["spec", "matchLabels", "app.kubernetes.io/name"]);
    expect(lines.lineOf("f", 1, "spec.rules[0].from[0].namespace")).toBe(8);
    expect(lines.lineOf("f", 1, "spec.rules[0].from[0]")).toBe(7);
  });

  it("writes SARIF 2.1.0 with the codes as rule ids", () => {
    const sarif = JSON.parse(
      formatSarif([{ severity: "warning", code: "NX001", file: "a/b.yaml", index: 0, line: 3, kind: "AccessPolicy", namespace: "n", name: "p", field: "spec.targetIdentity", message: "m" }], "0.1.0"),
    );
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(["NX001"]);
    expect(sarif.runs[0].results[0]).toMatchObject({ ruleId: "NX001", level: "warning", locations: [{ physicalLocation: { artifactLocation: { uri: "a/b.yaml" }, region: { startLine: 3 } } }] });
  });
});

function io(stdin: string): CliIo & { stdout: string; stderr: string } {
  const run = { stdout: "", stderr: "", out: (t: string) => void (run.stdout += t), err: (t: string) => void (run.stderr += t), readStdin: async () => stdin, env: {}, stdoutIsTTY: false };
  return run;
}

describe("nexus validate", () => {
  const valid = `apiVersion: ${API}\nkind: EngineIdentity\nmetadata: {name: ledger}\nspec: {workloadSelector: {matchLabels: {app: ledger}}}\n`;
  const invalid = `apiVersion: ${API}\nkind: EngineIdentity\nmetadata: {name: ledger}\nspec: {tenant: Acme}\n`;

  it("exits 0, 1 and 2 for clean, findings and unreadable input, whatever the format", async () => {
    for (const output of ["text", "json", "sarif"]) {
      expect(await runCli(["validate", "-f", "-", "-o", output], io(valid))).toBe(0);
      expect(await runCli(["validate", "-f", "-", "-o", output], io(invalid))).toBe(1);
      expect(await runCli(["validate", "-f", "-", "-o", output], io("a: [\n"))).toBe(2);
    }
    expect(await runCli(["validate", "-f", "-", "--ignore", "NX999"], io(valid))).toBe(2);
  });

  it("writes only the report on stdout and names the field and line", async () => {
    const run = io(invalid);
    await runCli(["validate", "-f", "-", "-o", "json"], run);
    const report = JSON.parse(run.stdout);
    expect(report.findings).toEqual([expect.objectContaining({ field: "spec.tenant", line: 4, code: "FieldValueInvalid" })]);
    expect(run.stderr).toMatch(/1 error\(s\)/);
  });
});
