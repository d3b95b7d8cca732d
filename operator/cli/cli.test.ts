import { describe, expect, it } from "vitest";
import yaml from "js-yaml";
import { readFileSync } from "node:fs";
import { runCli, buildProgram } from "./main.js";
import type { CliIo } from "./context.js";
import { useColor } from "./context.js";
import { parseAccessTests } from "./access-tests.js";
import { parseCaller } from "./caller.js";
import { parseManifests } from "./input.js";
import { identityLookupOf } from "../policy/index.js";
import { nextGeneration } from "./generation.js";
import { diffObjects } from "./object-diff.js";
import { parseOperations, examplePath } from "./matrix.js";

function io(stdin = "", env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string; stderr: string } {
  const state = {
    stdout: "",
    stderr: "",
    out: (t: string) => void (state.stdout += t),
    err: (t: string) => void (state.stderr += t),
    readStdin: async () => stdin,
    env,
    stdoutIsTTY: false,
  };
  return state;
}

const examples = ["00-namespaces.yaml", "20-identities.yaml", "30-policies.yaml"].map((f) => readFileSync(new URL(`../../examples/${f}`, import.meta.url), "utf8")).join("\n---\n");

describe("nexus conventions", () => {
  it("exits 2 on usage errors, whatever commander or the command finds wrong", async () => {
    for (const args of [["--bogus"], ["render", "-o", "xml", "-f", "-"], ["render"], ["check", "--from", "a/b"], ["check", "-f", "-", "--from", "a/b", "--to", "c/d", "--port", "0"], ["nosuch"]]) {
      const run = io();
      expect(await runCli(args, run), args.join(" ")).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).not.toBe("");
    }
  });

  it("has --help with an example on every command, exit 0, help on stdout", async () => {
    const program = buildProgram(io());
    expect(program.commands.length).toBeGreaterThanOrEqual(4);
    for (const command of program.commands) {
      const run = io();
      expect(await runCli([command.name(), "--help"], run)).toBe(0);
      expect(run.stdout).toMatch(/Examples?:\n\s+nexus /);
    }
  });

  it("writes machine output alone on stdout and warnings on stderr, reading stdin for -f -", async () => {
    const run = io(readFileSync(new URL("../../examples/30-policies.yaml", import.meta.url), "utf8"));
    expect(await runCli(["render", "-f", "-"], run)).toBe(0);
    expect(run.stderr).toContain("warning: AccessPolicy payments/ledger-callers");
    expect(yaml.loadAll(run.stdout).every((o) => typeof (o as { kind?: string }).kind === "string")).toBe(true);
  });

  it("uses colour only on a terminal and never with NO_COLOR", () => {
    expect(useColor({ ...io(), stdoutIsTTY: true })).toBe(true);
    expect(useColor({ ...io(), stdoutIsTTY: false })).toBe(false);
    expect(useColor({ ...io("", { NO_COLOR: "1" }), stdoutIsTTY: true })).toBe(false);
  });

  it("check exits 0 for ALLOW and 1 for DENY with -o text, json and yaml alike", async () => {
    for (const output of ["text", "json", "yaml"]) {
      const allow = await runCli(["check", "-f", "-", "--from", "payments/checkout", "--to", "payments/ledger", "--method", "POST", "--path", "/v1/entries", "-o", output], io(examples));
      const deny = await runCli(["check", "-f", "-", "--from", "payments/billing", "--to", "payments/ledger", "--method", "POST", "--path", "/v1/entries", "-o", output], io(examples));
      expect([allow, deny]).toEqual([0, 1]);
    }
  });

  it("traces a decision to the AccessPolicy rule and the source that admitted the caller", async () => {
    const run = io(examples);
    await runCli(["check", "-f", "-", "--from", "storefront/web", "--to", "payments/ledger", "--path", "/v1/entries/9", "-o", "json"], run);
    const report = JSON.parse(run.stdout) as { decidedBy: { provenance: { rules: Array<{ rule: number; sources: Array<{ index: number; source: string }> }> } } };
    expect(report.decidedBy.provenance.rules).toEqual([{ rule: 0, sources: [{ index: 1, source: "identity: storefront/web" }] }]);
  });
});

describe("tenancy offline: Namespace objects in the files carry the administrators' tenant labels", () => {
  const namespace = (name: string, tenant?: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n${tenant ? `  labels:\n    security.nexus.io/tenant: ${tenant}\n` : ""}`;
  const eid = (ns: string, name: string, tenant?: string) =>
    `apiVersion: security.nexus.io/v1alpha1\nkind: EngineIdentity\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${tenant ? `  tenant: ${tenant}\n` : ""}  workloadSelector:\n    matchLabels:\n      app: ${name}\n`;
  const allowTenant = `apiVersion: security.nexus.io/v1alpha1\nkind: AccessPolicy\nmetadata:\n  name: ledger-callers\n  namespace: acme\nspec:\n  targetIdentity: ledger\n  rules:\n    - from:\n        - tenant: acme\n`;
  const check = (from: string, files: string[]) => {
    const run = io(files.join("---\n"));
    return runCli(["check", "-f", "-", "--from", from, "--to", "acme/ledger", "--method", "GET", "--path", "/"], run).then((code) => ({ code, stderr: run.stderr }));
  };

  it("denies an identity that claims a tenant its namespace is not labelled with, and says why", async () => {
    const files = [namespace("acme", "acme"), namespace("mallory"), eid("acme", "ledger", "acme"), eid("acme", "cart"), eid("mallory", "spy", "acme"), allowTenant];
    expect((await check("acme/cart", files)).code).toBe(0);
    const spy = await check("mallory/spy", files);
    expect(spy.code).toBe(1);
    expect(spy.stderr).toContain("EngineIdentity mallory/spy: NamespaceHasNoTenant");
    expect(spy.stderr).toContain("source left out (TenantNotVerified)");
    // Labelled by the administrators (here: in the files), the same identity is admitted.
    expect((await check("mallory/spy", [namespace("acme", "acme"), namespace("mallory", "acme"), eid("acme", "ledger", "acme"), eid("mallory", "spy", "acme"), allowTenant])).code).toBe(0);
  });

  it("warns that an identity whose Namespace is not among the files is a member of no tenant", async () => {
    const result = await check("acme/cart", [eid("acme", "ledger", "acme"), eid("acme", "cart"), allowTenant]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("namespace acme: no Namespace object among the inputs, so its 2 EngineIdentities are a member of no tenant here");
  });

  it("reads the tenant from the label --tenant-label names", async () => {
    const capsule = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: acme\n  labels:\n    capsule.clastix.io/tenant: acme\n`;
    const run = io([capsule, eid("acme", "ledger", "acme"), eid("acme", "cart"), allowTenant].join("---\n"));
    expect(await runCli(["check", "-f", "-", "--tenant-label", "capsule.clastix.io/tenant", "--from", "acme/cart", "--to", "acme/ledger", "--method", "GET", "--path", "/"], run)).toBe(0);
  });

  it("renders no Certificate the operator would refuse, and says so", async () => {
    const run = io(`${namespace("acme", "acme")}---\napiVersion: security.nexus.io/v1alpha1\nkind: EngineIdentity\nmetadata:\n  name: ledger\n  namespace: acme\nspec:\n  certificate:\n    dnsNames: [kubernetes.default.svc]\n`);
    expect(await runCli(["render", "-f", "-"], run)).toBe(0);
    expect(run.stdout).not.toContain("kind: Certificate");
    expect(run.stderr).toContain("EngineIdentity acme/ledger: no Certificate (DNSNameNotAllowed)");
  });
});

describe("inputs", () => {
  const lookup = identityLookupOf([{ namespace: "payments", name: "ledger", serviceAccount: "ledger" }]);
  const options = { trustDomain: "cluster.local", identities: lookup, defaultNamespace: "payments" };

  it("parses every caller form and refuses what is none of them, naming the flag", () => {
    expect(parseCaller("payments/ledger", options).source).toEqual({ principal: "cluster.local/ns/payments/sa/ledger" });
    expect(parseCaller("ledger", options).source.principal).toBe("cluster.local/ns/payments/sa/ledger");
    expect(parseCaller("spiffe://td/ns/a/sa/b", options).source).toEqual({ principal: "td/ns/a/sa/b" });
    expect(parseCaller("namespace:sandbox", options).source.namespace).toBe("sandbox");
    expect(parseCaller("jwt:https://idp", { ...options, sub: "alice", claims: ["groups=a", "groups=b"] }).source).toMatchObject({ requestPrincipal: "https://idp/alice", claims: { groups: ["a", "b"] } });
    expect(parseCaller("anonymous", options).source).toEqual({});
    expect(parseCaller("apikey:ci-bot", options).source).toEqual({});
    expect(() => parseCaller("payments/ghost", options)).toThrow(/--from payments\/ghost: no EngineIdentity/);
    expect(() => parseCaller("payments/ledger", { ...options, sub: "x" })).toThrow(/--sub and --claim apply to --from jwt/);
    expect(() => parseCaller("jwt:https://idp", { ...options, claims: ["novalue"] })).toThrow(/--claim novalue/);
  });

  it("reads JSON, block YAML and YAML in flow style alike, and names the file of text that is neither", () => {
    const object = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } };
    expect(parseManifests(JSON.stringify(object), "a.json").map((d) => d.object)).toEqual([object]);
    expect(parseManifests(yaml.dump(object), "a.yaml").map((d) => d.object)).toEqual([object]);
    expect(parseManifests("{apiVersion: v1, kind: ConfigMap, metadata: {name: x}}\n", "flow.yaml").map((d) => d.object)).toEqual([object]);
    expect(() => parseManifests("{apiVersion: [", "bad.yaml")).toThrow(/^bad.yaml: not valid YAML or JSON/);
  });

  it("tells which documents may hold a YAML time read as a Date, so validation looks only there", () => {
    const timed = parseManifests("kind: A\nmetadata:\n  name: x\nnotAfter: 2026-01-01T00:00:00Z\n", "t.yaml");
    expect(timed[0]!.object.notAfter).toBeInstanceOf(Date);
    expect(timed[0]!.mayHoldDates).toBe(true);
    expect(parseManifests("kind: A\nnotAfter: '2026-01-01T00:00:00Z'\n", "q.yaml")[0]!.mayHoldDates).toBe(false);
    expect(parseManifests('{"kind": "A", "notAfter": "2026-01-01T00:00:00Z"}', "j.json")[0]!.mayHoldDates).toBe(false);
    expect(parseManifests("{kind: A, notAfter: 2026-01-01}\n", "flow.yaml")[0]!.mayHoldDates).toBe(true);
  });

  it("rejects access-test files with the case and field named", () => {
    const parse = (value: unknown) => () => parseAccessTests(yaml.dump(value), "t.yaml", 8080);
    expect(parse({ cases: [{ from: "a", to: "b", expect: "maybe" }] })).toThrow('t.yaml cases[0].expect: must be one of allow, deny, allow-if-gate; got "maybe"');
    expect(parse({ cases: [{ from: "a", to: "b", expect: "allow", reqest: {} }] })).toThrow('t.yaml cases[0]: unknown field "reqest"');
    expect(parse({ cases: [{ from: "a", to: "b", expect: "deny", request: { port: 70000 } }] })).toThrow("cases[0].request.port");
    expect(parse({ cases: [] })).toThrow("non-empty list");
    expect(parseAccessTests(yaml.dump([{ from: "a", to: "b", expect: "deny", claims: { g: ["x", "y"] } }]), "t", 8080)[0]).toMatchObject({ name: "case 0", claims: ["g=x", "g=y"], request: { method: "GET", path: "/", port: 8080 } });
  });

  it("parses --operations and picks a path each Istio pattern matches", () => {
    expect(parseOperations("GET /a, post /b 8443", 8080)).toEqual([{ method: "GET", path: "/a", port: 8080 }, { method: "POST", path: "/b", port: 8443 }]);
    expect(() => parseOperations("GET", 8080)).toThrow(/METHOD \/path/);
    expect(["*", "/v1/*", "*.json", "/x"].map(examplePath)).toEqual(["/", "/v1/any", "/any.json", "/x"]);
  });
});

describe("diff pieces", () => {
  it("predicts the generation the apiserver gives once the file is applied", () => {
    expect(nextGeneration({ a: 1 }, undefined)).toBe(1);
    expect(nextGeneration({ a: 1 }, { spec: { a: 1, defaulted: "x" }, metadata: { generation: 4 } })).toBe(4);
    expect(nextGeneration({ a: 2 }, { spec: { a: 1 }, metadata: { generation: 4 } })).toBe(5);
    expect(nextGeneration({ list: [1] }, { spec: { list: [1, 2] }, metadata: { generation: 4 } })).toBe(5);
  });

  it("ignores server fields, owner references and the applied hash, and labels each change", () => {
    const rendered = { apiVersion: "v1", kind: "X", metadata: { name: "a", namespace: "n", labels: { k: "v" } }, spec: { b: 1 } };
    const live = { ...rendered, metadata: { ...rendered.metadata, uid: "u", resourceVersion: "9", managedFields: [], ownerReferences: [{ apiVersion: "v1", kind: "Y", name: "y", uid: "u" }], annotations: { "security.nexus.io/applied-hash": "h" } }, status: {} };
    expect(diffObjects([rendered], [live])).toEqual([]);
    const changes = diffObjects([{ ...rendered, spec: { b: 2 } }, { ...rendered, metadata: { ...rendered.metadata, name: "new" } }], [live, { ...live, metadata: { ...live.metadata, name: "old" } }]);
    expect(changes.map((c) => [c.kind, c.id])).toEqual([["changed", "v1/X/n/a"], ["added", "v1/X/n/new"], ["removed", "v1/X/n/old"]]);
    expect(changes[0]!.patch).toMatch(/^-\s+b: 1$/m);
    expect(changes[0]!.patch).toMatch(/^\+\s+b: 2$/m);
  });
});

describe("nexus check --matrix output", () => {
  it("ends every stderr line with a newline and gives each left-out-source warning once", async () => {
    const run = io(examples);
    expect(await runCli(["check", "-f", "-", "--matrix"], run)).toBe(0);
    expect(run.stderr.endsWith("\n")).toBe(true);
    const lines = run.stderr.split("\n").filter((line) => line !== "");
    expect(lines.every((line) => line.startsWith("nexus: "))).toBe(true);
    const warnings = lines.filter((line) => line.includes("source left out"));
    expect(warnings.length).toBeGreaterThan(0);
    expect(new Set(warnings).size).toBe(warnings.length);
    expect(lines.at(-1)).toMatch(/^nexus: \d+ identities, \d+ of \d+ caller\/target pairs allow at least one request$/);
  });
});
