// `make demo`: a local control plane, cert-manager's real controller, the operator, the
// examples applied, and what came of them: identities with SPIFFE IDs and expiry, policies,
// the rendered Istio objects, the evaluator's verdict on a few sample calls, and the same
// calls to the ambient warehouse judged on sidecars and on ambient side by side.
// DEMO_KEEP=1 keeps everything running (and prints a kubeconfig) until Ctrl-C.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { defaultRenderConfig } from "../operator/config.js";
import { evaluateRequest, type AccessRequest, type AuthorizationPolicyObject } from "../operator/evaluate/index.js";
import { Operator } from "../operator/manager.js";
import { createLogger } from "../operator/runtime/logger.js";
import { resources } from "../operator/runtime/resources.js";
import type { KubeObject } from "../operator/runtime/kube-client.js";
import { startCertManagerController, type CertManagerController } from "../test/certmanager/cert-manager-controller.js";
import { applyManifests, findYamlFiles, readYamlFiles, startControlPlane, waitFor } from "../test/controlplane/index.js";
import { repoRoot } from "../test/controlplane/binaries.js";
import { thirdPartyCrdFiles } from "../test/controlplane/third-party-crds.js";
import { printCalls, printIdentities, printPolicies, printRendered } from "./demo-output.js";
import { printEngineComparison } from "./demo-engine.js";
import { printDataPlaneComparison } from "./demo-data-planes.js";

const say = (text: string) => process.stdout.write(`\n== ${text}\n`);

async function main(): Promise<void> {
  say("starting a local control plane (etcd, kube-apiserver, kube-controller-manager)");
  const controlPlane = await startControlPlane();
  let certManager: CertManagerController | undefined;
  let operator: Operator | undefined;
  const stopAll = async () => {
    await operator?.stop();
    await certManager?.stop();
    await controlPlane.stop();
  };
  try {
    // Gateway API's CRDs too: the warehouse's waypoint is a Gateway (without them the operator fails its ambient policy closed).
    say("installing the NEXUS CRDs and cert-manager's, Istio's and Gateway API's CRDs from their pinned modules");
    const thirdParty = await thirdPartyCrdFiles();
    if (!thirdParty) throw new Error("hack/third-party-crds.sh is missing: the demo needs cert-manager's, Istio's and Gateway API's CRDs");
    const crds = [...(await findYamlFiles(path.join(repoRoot, "crds"))), ...thirdParty];
    await applyManifests(controlPlane.kubeconfigPath, await readYamlFiles(crds));
    await controlPlane.restartControllerManager();

    say("starting cert-manager's controller and the NEXUS operator");
    const logDir = path.join(controlPlane.tempDir, "logs");
    await mkdir(logDir, { recursive: true });
    certManager = await startCertManagerController({ kubeconfigPath: controlPlane.kubeconfigPath, tempDir: controlPlane.tempDir });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(controlPlane.kubeconfigPath);
    const { createWriteStream } = await import("node:fs");
    const operatorLog = path.join(logDir, "nexus-operator.log");
    operator = new Operator({ kubeConfig, render: defaultRenderConfig, log: createLogger("info", createWriteStream(operatorLog)) });
    await operator.start();
    console.log(`operator log: ${operatorLog}`);

    say("applying examples/");
    // examples/tests/ holds access tests for `nexus test`, not manifests.
    const exampleFiles = (await findYamlFiles(path.join(repoRoot, "examples"))).filter((file) => !file.includes(`${path.sep}tests${path.sep}`));
    const examples = await readYamlFiles(exampleFiles);
    await applyManifests(controlPlane.kubeconfigPath, examples);
    for (const doc of examples) console.log(`  ${doc.kind} ${doc.metadata?.namespace ? `${doc.metadata.namespace}/` : ""}${doc.metadata?.name}`);

    say("waiting for every identity and policy to be reconciled");
    const client = operator.client;
    const wanted = examples.filter((d) => d.kind === "EngineIdentity" || d.kind === "AccessPolicy");
    await waitFor(
      async () => {
        for (const doc of wanted) {
          const type = doc.kind === "EngineIdentity" ? resources.engineIdentity : resources.accessPolicy;
          const live = await client.get<KubeObject>(type, doc.metadata!.name!, doc.metadata!.namespace);
          const ready = (live.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.find((c) => c.type === "Ready");
          if (ready?.status !== "True") return undefined;
        }
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 250, description: "all examples Ready" },
    );

    const identities = (await client.list<KubeObject>(resources.engineIdentity)).items;
    const policies = (await client.list<KubeObject>(resources.accessPolicy)).items;
    const authorizationPolicies = (await client.list<KubeObject>(resources.authorizationPolicy)).items;
    const peerAuthentications = (await client.list<KubeObject>(resources.peerAuthentication)).items;
    const requestAuthentications = (await client.list<KubeObject>(resources.requestAuthentication)).items;

    say("EngineIdentities");
    printIdentities(identities);
    say("AccessPolicies");
    printPolicies(policies);
    say("rendered Istio objects");
    printRendered([...authorizationPolicies, ...peerAuthentications, ...requestAuthentications]);
    say("sample calls, judged by the evaluator on the rendered AuthorizationPolicies");
    printCalls(sampleCalls(), (request) => evaluateRequest(authorizationPolicies as unknown as AuthorizationPolicyObject[], request));
    say("the same calls: the evaluator next to a real RBAC engine (grpc-go enforcing istiod's proxyless gRPC output over mTLS)");
    // The engine is proxyless gRPC: it takes the policies of the sample calls' namespaces (the
    // warehouse's ambient form is for ztunnel and a waypoint, compared in the next section).
    const sampleNamespaces = new Set(sampleCalls().map((call) => call.request.workload.namespace));
    const enginePolicies = (authorizationPolicies as unknown as AuthorizationPolicyObject[]).filter((p) => sampleNamespaces.has(p.metadata.namespace));
    await printEngineComparison(sampleCalls(), enginePolicies, (request) => evaluateRequest(authorizationPolicies as unknown as AuthorizationPolicyObject[], request));

    say("data planes: the same calls to the ambient warehouse on sidecars and on ambient (waypoint + ztunnel), side by side");
    await printDataPlaneComparison(controlPlane.kubeconfigPath, examples, authorizationPolicies as unknown as AuthorizationPolicyObject[]);

    if (process.env.DEMO_KEEP) {
      say(`running until Ctrl-C; kubectl --kubeconfig ${controlPlane.kubeconfigPath} get nexus -A`);
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
    }
  } finally {
    await stopAll();
  }
}

function sampleCalls(): Array<{ label: string; request: AccessRequest }> {
  const td = defaultRenderConfig.trustDomain;
  const ledger = { namespace: "payments", labels: { app: "ledger" } };
  const peer = (ns: string, sa: string) => ({ principal: `${td}/ns/${ns}/sa/${sa}` });
  return [
    { label: "checkout (acme) -> ledger GET /v1/entries", request: { source: peer("payments", "checkout"), workload: ledger, operation: { method: "GET", path: "/v1/entries", port: 8080 } } },
    { label: "web (storefront) -> ledger POST /v1/entries/42", request: { source: peer("storefront", "web"), workload: ledger, operation: { method: "POST", path: "/v1/entries/42", port: 8080 } } },
    { label: "billing (claims globex) -> ledger GET /v1/entries", request: { source: peer("payments", "billing-engine"), workload: ledger, operation: { method: "GET", path: "/v1/entries", port: 8080 } } },
    { label: "checkout (acme) -> ledger DELETE /v1/entries/42", request: { source: peer("payments", "checkout"), workload: ledger, operation: { method: "DELETE", path: "/v1/entries/42", port: 8080 } } },
    {
      label: "finance operator (JWT) -> ledger GET /reports/q3",
      request: {
        source: { requestPrincipal: "https://login.example.com/alice", claims: { groups: ["finance-operators"] }, audiences: ["ledger"] },
        workload: ledger,
        operation: { method: "GET", path: "/reports/q3", port: 8080 },
      },
    },
    { label: "sandbox pod -> ledger POST /v1/entries", request: { source: peer("sandbox", "default"), workload: ledger, operation: { method: "POST", path: "/v1/entries", port: 8080 } } },
    { label: "checkout (acme) -> ledger POST /v1/entries", request: { source: peer("payments", "checkout"), workload: ledger, operation: { method: "POST", path: "/v1/entries", port: 8080 } } },
    { label: "web (storefront) -> ledger POST /v1/entries", request: { source: peer("storefront", "web"), workload: ledger, operation: { method: "POST", path: "/v1/entries", port: 8080 } } },
    { label: "billing (claims globex) -> ledger POST /v1/entries", request: { source: peer("payments", "billing-engine"), workload: ledger, operation: { method: "POST", path: "/v1/entries", port: 8080 } } },
    { label: "checkout (acme) -> ledger POST /admin/purge", request: { source: peer("payments", "checkout"), workload: ledger, operation: { method: "POST", path: "/admin/purge", port: 8080 } } },
    { label: "web (storefront) -> checkout POST /cart/add (no policy, baseline)", request: { source: peer("storefront", "web"), workload: { namespace: "payments", labels: { app: "checkout" } }, operation: { method: "POST", path: "/cart/add", port: 8080 } } },
    { label: "anyone -> checkout GET / (no policy, baseline)", request: { source: peer("storefront", "web"), workload: { namespace: "payments", labels: { app: "checkout" } }, operation: { method: "GET", path: "/", port: 8080 } } },
    { label: "gateway -> web GET / (dry-run policy)", request: { source: peer("istio-system", "istio-ingressgateway-service-account"), workload: { namespace: "storefront", labels: { app: "web" } }, operation: { method: "GET", path: "/", port: 8080 } } },
  ];
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exit(1);
});
