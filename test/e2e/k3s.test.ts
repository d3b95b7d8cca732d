// End to end on a real cluster: k3s in Docker (testcontainers), cert-manager's and Istio's
// CRDs from their pinned modules, the chart installed with helm, and an identity that
// becomes Ready. Where no Docker engine is reachable the whole suite is skipped, with the
// reason printed, within a second.
//
// The operator runs either in the cluster, from an image k3s can pull (set
// NEXUS_E2E_IMAGE=registry/repo:tag, built from the Dockerfile), or, by default, out of
// the cluster against k3s as the chart's ServiceAccount: the chart is installed with its
// CRDs, RBAC and ServiceAccount and replicas=0, and the operator runs in this process with
// a token of that ServiceAccount, so the chart's RBAC is exercised on a real distribution.
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { K3sContainer, type StartedK3sContainer } from "@testcontainers/k3s";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { applyManifests, readYamlFiles } from "../controlplane/crds.js";
import { thirdPartyCrdFiles } from "../controlplane/third-party-crds.js";
import { waitFor } from "../controlplane/wait.js";
import { chartDir, helm, helmBinary, HELM_BUILD_TIMEOUT_MS } from "../support/helm.js";
import { adminClient, createNamespace, hasCondition, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { DEFAULT_DENY_NAME } from "../../operator/render/names.js";

const K3S_IMAGE = process.env.NEXUS_E2E_K3S_IMAGE ?? "rancher/k3s:v1.32.1-k3s1";
const OPERATOR_IMAGE = process.env.NEXUS_E2E_IMAGE;
const RELEASE = "nexus-operator";
const RELEASE_NAMESPACE = "nexus-system";

type Engine = { reachable: true; where: string } | { reachable: false; reason: string };

/** Answers GET /_ping within the timeout, on a unix socket or host:port. */
function ping(target: { socketPath: string } | { host: string; port: number }, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ ...target, path: "/_ping", method: "GET", timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

function tcpOpen(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Where testcontainers would find a Docker engine, checked quickly and without testcontainers. */
async function findDockerEngine(): Promise<Engine> {
  const dockerHost = process.env.DOCKER_HOST;
  if (dockerHost) {
    if (dockerHost.startsWith("unix://")) {
      const socketPath = dockerHost.slice("unix://".length);
      return (await ping({ socketPath })) ? { reachable: true, where: dockerHost } : { reachable: false, reason: `DOCKER_HOST=${dockerHost} does not answer` };
    }
    const url = new URL(dockerHost.replace(/^tcp:/, "http:"));
    const port = Number(url.port || (process.env.DOCKER_TLS_VERIFY ? 2376 : 2375));
    // A TLS engine would need its client certificates for /_ping; an open port is enough here.
    return (await tcpOpen(url.hostname, port)) ? { reachable: true, where: dockerHost } : { reachable: false, reason: `DOCKER_HOST=${dockerHost} is not reachable` };
  }
  const sockets = [
    process.env.TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE,
    "/var/run/docker.sock",
    path.join(os.homedir(), ".docker", "run", "docker.sock"),
    path.join(os.homedir(), ".docker", "desktop", "docker.sock"),
    process.env.XDG_RUNTIME_DIR ? path.join(process.env.XDG_RUNTIME_DIR, "docker.sock") : undefined,
    process.env.XDG_RUNTIME_DIR ? path.join(process.env.XDG_RUNTIME_DIR, "podman", "podman.sock") : undefined,
  ].filter((s): s is string => Boolean(s));
  const present = sockets.filter((s) => existsSync(s));
  for (const socketPath of present) {
    if (await ping({ socketPath })) return { reachable: true, where: `unix://${socketPath}` };
  }
  return {
    reachable: false,
    reason: present.length
      ? `Docker socket(s) ${present.join(", ")} do not answer /_ping`
      : `no DOCKER_HOST and no Docker socket (${sockets.join(", ")})`,
  };
}

const engine = await findDockerEngine();
if (!engine.reachable) {
  console.log(`[e2e k3s] skipped: no Docker engine reachable (${engine.reason}); the k3s suite needs one to run k3s in a container`);
}

/** A kubeconfig for a ServiceAccount of the k3s cluster, with a TokenRequest token. */
async function serviceAccountKubeconfig(admin: KubeConfig, namespace: string, name: string, dir: string): Promise<string> {
  const core = admin.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({ namespace, name, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: `${namespace}-${name}`, token }],
    contexts: [{ name: "operator", cluster: cluster.name, user: `${namespace}-${name}` }],
    currentContext: "operator",
  });
  const file = path.join(dir, `${name}.kubeconfig`);
  await writeFile(file, kc.exportConfig(), { mode: 0o600 });
  return file;
}

function imageValues(image: string): { repository: string; tag: string } {
  const colon = image.lastIndexOf(":");
  if (colon > image.lastIndexOf("/")) return { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { repository: image, tag: "latest" };
}

describe.skipIf(!engine.reachable)("e2e: the chart on k3s", () => {
  let k3s: StartedK3sContainer | undefined;
  let kubeconfigPath: string;
  let admin: KubeClient;
  let adminConfig: KubeConfig;
  let running: TestOperator | undefined;
  const ns = "e2e";

  beforeAll(async () => {
    const [, crdFiles] = await Promise.all([helmBinary(), thirdPartyCrdFiles()]);
    if (!crdFiles) throw new Error("hack/third-party-crds.sh is missing");
    console.log(`[e2e k3s] starting ${K3S_IMAGE} on ${engine.reachable ? engine.where : ""}`);
    k3s = await new K3sContainer(K3S_IMAGE).start();
    const dir = await mkdtemp(path.join(os.tmpdir(), "nexus-e2e-"));
    kubeconfigPath = path.join(dir, "admin.kubeconfig");
    await writeFile(kubeconfigPath, k3s.getKubeConfig(), { mode: 0o600 });
    adminConfig = new KubeConfig();
    adminConfig.loadFromFile(kubeconfigPath);
    admin = adminClient(kubeconfigPath);

    await applyManifests(kubeconfigPath, await readYamlFiles(crdFiles), { timeoutMs: 120_000 });

    const values = OPERATOR_IMAGE ? ["--set", `image.repository=${imageValues(OPERATOR_IMAGE).repository}`, "--set", `image.tag=${imageValues(OPERATOR_IMAGE).tag}`, "--set", "replicas=1"] : ["--set", "replicas=0"];
    const install = await helm(
      ["install", RELEASE, chartDir, "--namespace", RELEASE_NAMESPACE, "--create-namespace", "--kubeconfig", kubeconfigPath, "--wait", "--timeout", "5m", ...values],
      { timeoutMs: 6 * 60_000 },
    );
    if (install.code !== 0) throw new Error(`helm install failed: ${install.stderr.trim()}`);
    if (!OPERATOR_IMAGE) {
      const operatorKubeconfig = await serviceAccountKubeconfig(adminConfig, RELEASE_NAMESPACE, RELEASE, dir);
      running = await startTestOperator(operatorKubeconfig);
    }
    await createNamespace(admin, ns);
  }, HELM_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await running?.stop();
    admin?.close();
    await k3s?.stop();
  }, 120_000);

  it("installs the CRDs with the chart", async () => {
    for (const name of ["engineidentities.security.nexus.io", "accesspolicies.security.nexus.io"]) {
      const crd = await admin.getRaw<KubeObject>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      expect(crd.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    }
  });

  it("makes an identity Ready and renders its Certificate and policy", async () => {
    const identity = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name, namespace: ns }, spec });
    await admin.create(identity("web", { workloadSelector: { matchLabels: { app: "web" } } }));
    await admin.create(identity("ledger", { workloadSelector: { matchLabels: { app: "ledger" } }, certificate: { issuerRef: { name: "absent-ca", kind: "Issuer" } } }));
    await admin.create({
      apiVersion: "security.nexus.io/v1alpha1",
      kind: "AccessPolicy",
      metadata: { name: "ledger-callers", namespace: ns },
      spec: { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "web" } }], to: [{ methods: ["GET"] }] }] },
    });
    const web = await waitForObject(admin, resources.engineIdentity, "web", ns, (o) => hasCondition(o, "Ready", "True"), "web Ready", 120_000);
    expect((web.status as { spiffeID: string }).spiffeID).toBe(`spiffe://cluster.local/ns/${ns}/sa/web`);
    await waitForObject(admin, resources.serviceAccount, "web", ns, () => true, "ServiceAccount web", 60_000);
    await waitForObject(admin, resources.certificate, "ledger-svid", ns, () => true, "ledger's Certificate", 60_000);
    await waitForObject(admin, resources.accessPolicy, "ledger-callers", ns, (o) => hasCondition(o, "Ready", "True"), "ledger-callers Ready", 60_000);
    await waitForObject(admin, resources.authorizationPolicy, "nexus-ledger-callers", ns, () => true, "AuthorizationPolicy", 60_000);
    await waitForObject(admin, resources.authorizationPolicy, DEFAULT_DENY_NAME, ns, () => true, "baseline", 60_000);
    if (running) expect(running.logLines.filter((line) => /forbidden|\b403\b/i.test(line))).toEqual([]);
  });

  it("keeps the CRDs and the custom resources on helm uninstall", async () => {
    await running?.stop();
    running = undefined;
    const uninstall = await helm(["uninstall", RELEASE, "--namespace", RELEASE_NAMESPACE, "--kubeconfig", kubeconfigPath, "--wait"], { timeoutMs: 3 * 60_000 });
    expect(uninstall.code, uninstall.stderr).toBe(0);
    await waitFor(
      async () => {
        const deployments = await admin.getRaw<{ items: unknown[] }>(`/apis/apps/v1/namespaces/${RELEASE_NAMESPACE}/deployments`);
        return deployments.items.length === 0 ? true : undefined;
      },
      { timeoutMs: 60_000, description: "the operator Deployment to be uninstalled" },
    );
    await admin.getRaw(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/engineidentities.security.nexus.io`);
    expect(await admin.get(resources.engineIdentity, "web", ns)).toBeDefined();
  });
});
