// The demo's data-plane table: the same calls to the ambient warehouse's inventory engine,
// judged side by side on sidecars (`nexus check -f examples/ --data-plane sidecar`: the files
// rendered for sidecars), on ambient as the operator rendered it (`nexus check --live`: the
// waypoint decides the caller's request, ztunnel the waypoint's connection), for a connection
// that skips the waypoint (ztunnel alone, on the caller's identity) and without a waypoint
// (`nexus check -f` on the examples minus the Gateway: the operator refuses the L7 rules,
// WaypointRequired). The CLI is run in-process, as `nexus` runs it.
import yaml from "js-yaml";
import { runCli } from "../operator/cli/main.js";
import type { CheckReport } from "../operator/cli/check-report.js";
import { evaluateRequest, type AuthorizationPolicyObject } from "../operator/evaluate/index.js";
import type { KubernetesObject } from "@kubernetes/client-node";
import { table } from "./demo-output.js";

interface DataPlaneCall {
  label: string;
  /** As `nexus check --from` takes it. */
  from: string;
  /** The caller's peer principal, for the call that skips the waypoint. */
  principal: string;
  method: string;
  path: string;
  port: number;
}

const TARGET = "warehouse/inventory";
const INVENTORY = { namespace: "warehouse", labels: { app: "inventory" } };
const peer = (ns: string, sa: string) => `cluster.local/ns/${ns}/sa/${sa}`;

const CALLS: DataPlaneCall[] = [
  { label: "checkout (acme) -> inventory GET /v1/stock/42", from: "payments/checkout", principal: peer("payments", "checkout"), method: "GET", path: "/v1/stock/42", port: 8080 },
  { label: "checkout (acme) -> inventory POST /v1/reservations", from: "payments/checkout", principal: peer("payments", "checkout"), method: "POST", path: "/v1/reservations", port: 8080 },
  { label: "ledger (acme) -> inventory POST /v1/reservations", from: "payments/ledger", principal: peer("payments", "ledger"), method: "POST", path: "/v1/reservations", port: 8080 },
  { label: "billing (claims globex) -> inventory GET /v1/stock", from: "payments/billing", principal: peer("payments", "billing-engine"), method: "GET", path: "/v1/stock", port: 8080 },
  { label: "web (storefront) -> inventory GET /v1/stock", from: "storefront/web", principal: peer("storefront", "web"), method: "GET", path: "/v1/stock", port: 8080 },
  { label: "web (storefront) -> inventory stock feed, port 9090 (L4 rule)", from: "storefront/web", principal: peer("storefront", "web"), method: "GET", path: "/", port: 9090 },
  { label: "sandbox pod -> inventory GET /v1/stock", from: "namespace:sandbox", principal: peer("sandbox", "nexus-check-any-workload"), method: "GET", path: "/v1/stock", port: 8080 },
];

/** `nexus check ... -o json`, in-process; stdin carries the manifests for `-f -`. */
async function nexusCheck(args: string[], stdin = ""): Promise<CheckReport> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["check", ...args, "-o", "json"], { out: (t) => void (stdout += t), err: (t) => void (stderr += t), readStdin: async () => stdin, env: {}, stdoutIsTTY: false });
  if (code !== 0 && code !== 1) throw new Error(`nexus check ${args.join(" ")} exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as CheckReport;
}

const word = (report: CheckReport) => `${report.decision}${report.waypointRequired ? " (WaypointRequired)" : ""}`;

function hops(report: CheckReport): string {
  const { waypoint, ztunnel } = report.dataPlane.hops ?? {};
  if (!ztunnel) return "";
  // The waypoint decides first; a call it denies never reaches ztunnel.
  if (waypoint && waypoint.decision === "DENY") return "waypoint DENY";
  return `${waypoint ? `waypoint ${waypoint.decision}, ` : ""}ztunnel ${ztunnel.decision}`;
}

export async function printDataPlaneComparison(kubeconfigPath: string, examples: readonly KubernetesObject[], livePolicies: readonly AuthorizationPolicyObject[]): Promise<void> {
  const exampleFiles = examples.map((doc) => `---\n${yaml.dump(doc)}`).join("");
  const withoutWaypoint = examples.filter((doc) => doc.kind !== "Gateway").map((doc) => `---\n${yaml.dump(doc)}`).join("");
  const rows: string[][] = [];
  for (const call of CALLS) {
    const request = ["--from", call.from, "--to", TARGET, "--method", call.method, "--path", call.path, "--port", String(call.port)];
    const sidecar = await nexusCheck(["-f", "-", ...request, "--data-plane", "sidecar"], exampleFiles);
    const ambient = await nexusCheck(["--live", "--kubeconfig", kubeconfigPath, ...request]);
    const noWaypoint = await nexusCheck(["-f", "-", ...request], withoutWaypoint);
    if (ambient.dataPlane.name !== "ambient" || !ambient.dataPlane.waypoint) throw new Error(`${TARGET} is not judged on ambient through a waypoint: ${ambient.dataPlane.because}`);
    // A connection straight to the pod: ztunnel alone, on the caller's identity.
    const podIp = evaluateRequest(livePolicies, { dataPlane: "ambient", source: { principal: call.principal }, workload: INVENTORY, operation: { method: call.method, path: call.path, port: call.port } });
    rows.push([word(sidecar), `${word(ambient)} (${hops(ambient)})`, podIp.allowed ? "ALLOW" : "DENY", word(noWaypoint), call.label]);
  }
  table(["SIDECAR", "AMBIENT: WAYPOINT, ZTUNNEL", "AMBIENT: POD IP", "AMBIENT: NO WAYPOINT", "CALL"], rows);
  console.log("");
  console.log("SIDECAR: nexus check -f examples/ --data-plane sidecar (the files rendered for sidecars)");
  console.log("AMBIENT: nexus check --live (the operator's objects; the waypoint judges the caller, ztunnel the waypoint's connection)");
  console.log("POD IP: the evaluator on the same objects for a connection that skips the waypoint (ztunnel alone, the caller's identity)");
  console.log("NO WAYPOINT: nexus check -f on examples/ without the Gateway (the policy's L7 rules need a waypoint: refused, nothing admitted)");
}
