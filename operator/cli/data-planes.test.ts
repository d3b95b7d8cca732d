// `nexus render`, `check` and `test` per data plane, offline: detection from the Namespaces,
// Services and waypoint Gateways among the files, the two hops of an ambient call, the
// refusal of an L7 Allow no waypoint can enforce, proxyless gRPC's semantics and --data-plane.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import type { CliIo } from "./context.js";
import type { CheckReport } from "./check-report.js";
import { parseAccessTests } from "./access-tests.js";
import { runCli } from "./main.js";

function io(stdin: string): CliIo & { stdout: string; stderr: string } {
  const state = { stdout: "", stderr: "", out: (t: string) => void (state.stdout += t), err: (t: string) => void (state.stderr += t), readStdin: async () => stdin, env: {}, stdoutIsTTY: false };
  return state;
}

const doc = (object: unknown) => `---\n${yaml.dump(object)}`;
const API = "security.nexus.io/v1alpha1";
const namespace = (name: string, labels: Record<string, string> = {}) => doc({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
const identity = (ns: string, name: string) => doc({ apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace: ns }, spec: { workloadSelector: { matchLabels: { app: name } } } });
const service = (ns: string, name: string) => doc({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ port: 8080 }] } });
const waypoint = doc({
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "Gateway",
  metadata: { name: "waypoint", namespace: "shop" },
  spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] },
});
// web (front, on sidecars) may read the shop's api (ambient); front's lb may open its port 9090 (L4 only).
const apiCallers = doc({
  apiVersion: API,
  kind: "AccessPolicy",
  metadata: { name: "api-callers", namespace: "shop" },
  spec: {
    targetIdentity: "api",
    rules: [
      { from: [{ identity: { name: "web", namespace: "front" } }], to: [{ methods: ["GET"], paths: ["/v1/*"] }] },
      { from: [{ identity: { name: "lb", namespace: "front" } }], to: [{ ports: [9090] }] },
    ],
  },
});
const ambientShop = namespace("shop", { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" });
const world = [ambientShop, namespace("front"), waypoint, service("shop", "api"), identity("shop", "api"), identity("front", "web"), identity("front", "lb"), apiCallers];
const files = (parts: string[]) => parts.join("");

async function check(parts: string[], args: string[]): Promise<{ code: number; report: CheckReport; stderr: string }> {
  const run = io(files(parts));
  const code = await runCli(["check", "-f", "-", ...args, "-o", "json"], run);
  return { code, report: JSON.parse(run.stdout || "{}") as CheckReport, stderr: run.stderr };
}

describe("nexus check on an ambient target", () => {
  it("judges a call through the waypoint on both hops: the waypoint on the caller's request, ztunnel on the waypoint's connection", async () => {
    const { code, report } = await check(world, ["--from", "front/web", "--to", "shop/api", "--path", "/v1/items"]);
    expect(code).toBe(0);
    expect(report.decision).toBe("ALLOW");
    expect(report.dataPlane).toMatchObject({
      name: "ambient",
      waypoint: { gateway: "shop/waypoint", principal: "cluster.local/ns/shop/sa/waypoint", service: "api" },
      hops: { waypoint: { decision: "ALLOW", policy: "shop/nexus-api-callers.waypoint rules[0]" }, ztunnel: { decision: "ALLOW", policy: "shop/nexus-api-callers.ztunnel rules[0]" } },
    });
    expect(report.decidedBy?.from).toBe("AccessPolicy shop/api-callers (<stdin> document 7) rules[0] from [0] identity: front/web");

    // The waypoint decides on the caller: a method the policy does not name stops there.
    const deleted = await check(world, ["--from", "front/web", "--to", "shop/api", "--method", "DELETE", "--path", "/v1/items"]);
    expect(deleted.code).toBe(1);
    expect(deleted.report.dataPlane.hops?.waypoint?.decision).toBe("DENY");
    expect(deleted.report.reason).toMatch(/^At the waypoint: Denied/);
  });

  it("has ztunnel judge the waypoint's identity, not the caller's, for a call through the waypoint", async () => {
    const ztunnelDeny = (name: string, principal: string) =>
      doc({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace: "shop" }, spec: { action: "DENY", selector: { matchLabels: { app: "api" } }, rules: [{ from: [{ source: { principals: [principal] } }] }] } });
    // A Deny of the caller's principal at ztunnel: the waypoint's connection is not the caller's, and the waypoint ignores selector policies.
    const ofCaller = await check([...world, ztunnelDeny("no-web", "cluster.local/ns/front/sa/web")], ["--from", "front/web", "--to", "shop/api", "--path", "/v1/items"]);
    expect(ofCaller.report.decision).toBe("ALLOW");
    // On sidecars the same Deny meets the caller.
    const onSidecar = await check([...world, ztunnelDeny("no-web", "cluster.local/ns/front/sa/web")], ["--from", "front/web", "--to", "shop/api", "--path", "/v1/items", "--data-plane", "sidecar"]);
    expect(onSidecar.report.decision).toBe("DENY");
    // A Deny of the waypoint's principal at ztunnel stops the call the waypoint let through.
    const ofWaypoint = await check([...world, ztunnelDeny("no-waypoint", "cluster.local/ns/shop/sa/waypoint")], ["--from", "front/web", "--to", "shop/api", "--path", "/v1/items"]);
    expect(ofWaypoint.code).toBe(1);
    expect(ofWaypoint.report.dataPlane.hops).toMatchObject({ waypoint: { decision: "ALLOW" }, ztunnel: { decision: "DENY", policy: "shop/no-waypoint rules[0]" } });
  });

  it("says WaypointRequired instead of allowing an L7 rule no waypoint can enforce, and admits nobody", async () => {
    const noWaypoint = world.filter((part) => part !== waypoint);
    const run = io(files(noWaypoint));
    expect(await runCli(["check", "-f", "-", "--from", "front/web", "--to", "shop/api", "--path", "/v1/items"], run)).toBe(1);
    expect(run.stdout).toMatch(/^DENY \(WaypointRequired\): front\/web -> shop\/api GET \/v1\/items port 8080$/m);
    expect(run.stdout).toContain("WaypointRequired: AccessPolicy shop/api-callers: the target runs in ambient mode");
    expect(run.stderr).toContain("warning: AccessPolicy shop/api-callers: WaypointRequired:");
    const { report } = await check(noWaypoint, ["--from", "front/web", "--to", "shop/api", "--path", "/v1/items"]);
    expect(report).toMatchObject({ decision: "DENY", waypointRequired: true, dataPlane: { name: "ambient", hops: { ztunnel: { decision: "DENY" } } } });
    expect(report.dataPlane.noWaypoint).toContain("names waypoint shop/waypoint (label istio.io/use-waypoint), but no Gateway of class istio-waypoint has that name");
    // The same policy on sidecars admits the call: the refusal is the data plane's, not the policy's.
    expect((await check(noWaypoint, ["--from", "front/web", "--to", "shop/api", "--path", "/v1/items", "--data-plane", "sidecar"])).report.decision).toBe("ALLOW");
    // A call the policy as written denies is denied for that, not for want of a waypoint.
    const deleted = await check(noWaypoint, ["--from", "front/web", "--to", "shop/api", "--method", "DELETE", "--path", "/v1/items"]);
    expect(deleted.report).toMatchObject({ decision: "DENY", waypointRequired: false });
    expect(deleted.report.dataPlane.notes.map((note) => note.reason)).toEqual(["WaypointRequired"]);
  });

  it("admits by an L4-only policy without a waypoint, where ztunnel enforces it, while a policy with an L7 rule is refused whole", async () => {
    const noWaypoint = world.filter((part) => part !== waypoint);
    const lbFeed = doc({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "lb-feed", namespace: "shop" }, spec: { targetIdentity: "api", rules: [{ from: [{ identity: { name: "lb", namespace: "front" } }], to: [{ ports: [9090] }] }] } });
    const { code, report } = await check([...noWaypoint, lbFeed], ["--from", "front/lb", "--to", "shop/api", "--port", "9090"]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ decision: "ALLOW", waypointRequired: false, dataPlane: { hops: { ztunnel: { decision: "ALLOW", policy: "shop/nexus-lb-feed.ztunnel rules[0]" } } } });
    // The same L4 rule inside api-callers, which also has an L7 rule, admits nobody: the policy is refused as a whole.
    const mixed = await check(noWaypoint, ["--from", "front/lb", "--to", "shop/api", "--port", "9090"]);
    expect(mixed.report).toMatchObject({ decision: "DENY", waypointRequired: true });
  });
});

describe("data plane of a target", () => {
  it("is detected from the manifests: ambient for a namespace labelled for it, sidecar elsewhere and while a namespace migrates", async () => {
    const migrating = namespace("shop", { "istio.io/dataplane-mode": "ambient", "istio-injection": "enabled", "istio.io/use-waypoint": "waypoint" });
    const ambient = await check(world, ["--from", "front/web", "--to", "shop/api"]);
    expect(ambient.report.dataPlane).toMatchObject({ name: "ambient", because: "namespace shop is labelled istio.io/dataplane-mode=ambient" });
    const sidecar = await check(world, ["--from", "shop/api", "--to", "front/web"]);
    expect(sidecar.report.dataPlane).toMatchObject({ name: "sidecar", because: "namespace front is not labelled istio.io/dataplane-mode=ambient" });
    expect(sidecar.report.dataPlane.hops).toBeUndefined();
    const moving = await check([migrating, ...world.filter((part) => part !== ambientShop)], ["--from", "front/web", "--to", "shop/api", "--path", "/v1/items"]);
    expect(moving.report.dataPlane.name).toBe("sidecar");
    expect(moving.report.dataPlane.because).toContain("migrating");
  });

  it("is the one --data-plane names for every target, rendered for it", async () => {
    const onAmbient = await check(world, ["--from", "shop/api", "--to", "front/web", "--data-plane", "ambient"]);
    expect(onAmbient.report.dataPlane).toMatchObject({ name: "ambient", because: "--data-plane ambient" });
    const onSidecar = await check(world, ["--from", "front/web", "--to", "shop/api", "--path", "/v1/items", "--data-plane", "sidecar", "-o", "json"]);
    expect(onSidecar.report.decidedBy?.policy).toBe("shop/nexus-api-callers");
  });

  it("--data-plane grpc judges as istiod's proxyless gRPC generator: an ALLOW without rules is dropped, the baseline still denies", async () => {
    const allowNothing = doc({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "legacy-deny-all", namespace: "front" }, spec: {} });
    const sidecar = await check([...world, allowNothing], ["--from", "shop/api", "--to", "front/web", "--data-plane", "sidecar"]);
    expect(sidecar.report.reason).toBe("Denied: 2 ALLOW policies apply to the workload (front/legacy-deny-all (no rules: allows nothing), front/nexus.default-deny) and none of their rules matches the request.");
    const grpc = await check([...world, allowNothing], ["--from", "shop/api", "--to", "front/web", "--data-plane", "grpc"]);
    expect(grpc.code).toBe(1);
    expect(grpc.report.dataPlane).toMatchObject({ name: "grpc", because: "--data-plane grpc" });
    expect(grpc.report.reason).toBe("Denied: 1 ALLOW policy applies to the workload (front/nexus.default-deny) and none of their rules matches the request.");
    // What a policy admits on sidecars it admits through the gRPC proxy.
    expect((await check(world, ["--from", "front/web", "--to", "shop/api", "--path", "/v1/items", "--data-plane", "grpc"])).report.decision).toBe("ALLOW");
  });

  it("refuses a --data-plane value it does not know, naming the flag and the allowed values (exit code 2)", async () => {
    for (const command of [["check", "--from", "front/web", "--to", "shop/api"], ["check", "--matrix"], ["test", "--expect", "cases.yaml"]]) {
      const run = io(files(world));
      expect(await runCli([...command, "-f", "-", "--data-plane", "istio"], run), command.join(" ")).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain("option '--data-plane <plane>' argument 'istio' is invalid. Allowed choices are sidecar, ambient, grpc.");
    }
  });
});

describe("nexus render per data plane", () => {
  it("renders the ambient form for an ambient namespace and the sidecar form elsewhere; Namespaces, Services and Gateways are facts, never output", async () => {
    const webCallers = doc({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "web-callers", namespace: "front" }, spec: { targetIdentity: "web", rules: [{ from: [{ namespace: "shop" }] }] } });
    const run = io(files([...world, webCallers]));
    expect(await runCli(["render", "-f", "-"], run)).toBe(0);
    const objects = yaml.loadAll(run.stdout) as Array<{ kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> }>;
    const policies = objects.filter((o) => o.kind === "AuthorizationPolicy").map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(policies).toEqual(["front/nexus-web-callers", "front/nexus.default-deny", "shop/nexus-api-callers.waypoint", "shop/nexus-api-callers.ztunnel", "shop/nexus.default-deny"]);
    const at = (name: string) => objects.find((o) => o.metadata.name === name)!.spec;
    expect(at("nexus-api-callers.waypoint").targetRefs).toEqual([{ group: "", kind: "Service", name: "api" }]);
    expect(at("nexus-api-callers.ztunnel")).toMatchObject({ selector: { matchLabels: { app: "api" } }, rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/waypoint"] } }] }, { from: [{ source: { principals: ["cluster.local/ns/front/sa/lb"] } }] }] });
    expect(objects.map((o) => o.kind)).not.toContain("Service");
    expect(objects.map((o) => o.kind)).not.toContain("Gateway");
    expect(objects.map((o) => o.kind)).not.toContain("Namespace");
  });

  it("reads Services and Gateways strictly, naming the document and field of a mistake", async () => {
    const bad = async (part: string) => {
      const run = io(files([...world, part]));
      expect(await runCli(["render", "-f", "-"], run)).toBe(2);
      return run.stderr;
    };
    expect(await bad(doc({ apiVersion: "v1", kind: "Service", metadata: { name: "odd", namespace: "shop" }, spec: { selector: { app: 7 } } }))).toContain("<stdin> document 8: Service shop/odd: spec.selector: app must be a string");
    expect(await bad(doc({ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "nameless-class", namespace: "shop" }, spec: {} }))).toContain("Gateway shop/nameless-class: spec.gatewayClassName is required");
    expect(await bad(service("shop", "api"))).toContain("<stdin> document 8: Service shop/api is also defined in <stdin> document 3");
  });
});

describe("nexus test per data plane", () => {
  it("judges each case on the data plane its file names: the case's, else the file's, else --data-plane, else the detected one", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "nexus-dataplane-"));
    const file = path.join(dir, "cases.yaml");
    const cases = (value: unknown) => yaml.dump(value);
    const call = { from: "front/web", to: "shop/api", request: { path: "/v1/items" }, expect: "allow" };
    await writeFile(file, cases({ dataPlane: "grpc", cases: [{ name: "file's", ...call }, { name: "case's", dataPlane: "ambient", ...call }] }));
    const run = io(files(world));
    expect(await runCli(["test", "-f", "-", "--expect", file, "--data-plane", "sidecar", "-o", "json"], run)).toBe(0);
    const results = JSON.parse(run.stdout) as Array<{ name: string; report: CheckReport }>;
    expect(results.map((r) => [r.name, r.report.dataPlane.name, r.report.dataPlane.because])).toEqual([
      ["file's", "grpc", `dataPlane of ${file}`],
      ["case's", "ambient", `dataPlane of case "case's"`],
    ]);

    await writeFile(file, cases({ cases: [{ name: "flag's", ...call }] }));
    const flagged = io(files(world));
    expect(await runCli(["test", "-f", "-", "--expect", file, "--data-plane", "sidecar", "-o", "json"], flagged)).toBe(0);
    expect((JSON.parse(flagged.stdout) as Array<{ report: CheckReport }>)[0]!.report.dataPlane.name).toBe("sidecar");
    const detected = io(files(world));
    expect(await runCli(["test", "-f", "-", "--expect", file, "-o", "json"], detected)).toBe(0);
    expect((JSON.parse(detected.stdout) as Array<{ report: CheckReport }>)[0]!.report.dataPlane.name).toBe("ambient");
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a data plane it does not know in the file, naming the field and the allowed values", () => {
    const call = { from: "a", to: "b", expect: "deny" };
    expect(() => parseAccessTests(yaml.dump({ cases: [{ ...call, dataPlane: "istio" }] }), "t.yaml", 8080)).toThrow('t.yaml cases[0].dataPlane: must be one of sidecar, ambient, grpc; got "istio"');
    expect(() => parseAccessTests(yaml.dump({ dataPlane: "mesh", cases: [call] }), "t.yaml", 8080)).toThrow('t.yaml: dataPlane: must be one of sidecar, ambient, grpc; got "mesh"');
    expect(() => parseAccessTests(yaml.dump({ dataplane: "ambient", cases: [call] }), "t.yaml", 8080)).toThrow('t.yaml: unknown field "dataplane"; allowed: cases, dataPlane');
  });
});
