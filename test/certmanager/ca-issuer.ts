// The standard cert-manager CA bootstrap, for tests that need a working issuer:
// a SelfSigned issuer signs a CA Certificate, whose Secret backs a CA issuer.
import { CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { serverSideApply } from "../controlplane/index.js";
import { waitFor } from "../controlplane/wait.js";

const GROUP = "cert-manager.io";
const VERSION = "v1";
const PLURALS = { Issuer: "issuers", ClusterIssuer: "clusterissuers", Certificate: "certificates" } as const;
const FIELD_MANAGER = "nexus-test-ca-issuer";

export type IssuerKind = "Issuer" | "ClusterIssuer";

export interface IssuerRef {
  name: string;
  kind: IssuerKind;
  group: typeof GROUP;
}

export interface CaIssuerOptions {
  /** Name of the CA issuer; the bootstrap objects are named after it. Default "test-ca". */
  name?: string;
  /** "Issuer" (default) lives in `namespace`; a "ClusterIssuer" keeps its CA in `clusterResourceNamespace`. */
  kind?: IssuerKind;
  /** Namespace of an Issuer and of its CA Certificate and Secret. Required for kind Issuer. */
  namespace?: string;
  /** For a ClusterIssuer: the controller's --cluster-resource-namespace. Default "cert-manager". */
  clusterResourceNamespace?: string;
  timeoutMs?: number;
}

export interface CaIssuer {
  issuerRef: IssuerRef;
  /** Where the CA key pair lives. */
  caSecret: { namespace: string; name: string };
  /** The self-signed CA certificate (PEM) that the issuer signs with. */
  caPem: string;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

interface CertManagerObject extends KubernetesObject {
  status?: { conditions?: Condition[] };
}

function kubeConfig(kubeconfig: string | KubeConfig): KubeConfig {
  if (typeof kubeconfig !== "string") return kubeconfig;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

/** Reads a cert-manager.io/v1 object; namespace undefined means cluster-scoped. */
export async function getCertManagerObject(
  kubeconfig: string | KubeConfig,
  kind: keyof typeof PLURALS,
  name: string,
  namespace?: string,
): Promise<CertManagerObject> {
  const api = kubeConfig(kubeconfig).makeApiClient(CustomObjectsApi);
  const plural = PLURALS[kind];
  return (await (namespace === undefined
    ? api.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name })
    : api.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace, name }))) as CertManagerObject;
}

/**
 * Waits until a cert-manager object's Ready condition is True for its current generation.
 * A Ready=False condition is not final (cert-manager retries), so it only shows up in
 * the timeout message.
 */
export async function waitForReady(
  kubeconfig: string | KubeConfig,
  kind: keyof typeof PLURALS,
  name: string,
  namespace?: string,
  timeoutMs = 60_000,
): Promise<CertManagerObject> {
  const kc = kubeConfig(kubeconfig);
  const where = namespace === undefined ? name : `${namespace}/${name}`;
  return waitFor(
    async () => {
      const object = await getCertManagerObject(kc, kind, name, namespace);
      const ready = object.status?.conditions?.find((c) => c.type === "Ready");
      const current = ready?.observedGeneration === undefined || ready.observedGeneration === object.metadata?.generation;
      if (ready?.status === "True" && current) return object;
      throw new Error(ready ? `Ready=${ready.status} ${ready.reason ?? ""}: ${ready.message ?? ""}` : "no Ready condition yet");
    },
    { timeoutMs, intervalMs: 100, description: `${kind} ${where} to be Ready` },
  );
}

/**
 * Creates (server-side applies) a SelfSigned issuer "<name>-selfsigned", a CA Certificate
 * "<name>-root" (ECDSA P-256, isCA) it signs into Secret "<name>-root", and the CA issuer
 * "<name>" on that Secret; then waits until the CA issuer is Ready. Needs a running
 * cert-manager controller. Idempotent.
 */
export async function createCaIssuer(kubeconfig: string | KubeConfig, options: CaIssuerOptions = {}): Promise<CaIssuer> {
  const kc = kubeConfig(kubeconfig);
  const name = options.name ?? "test-ca";
  const kind = options.kind ?? "Issuer";
  const timeoutMs = options.timeoutMs ?? 60_000;
  const caNamespace = kind === "Issuer" ? options.namespace : (options.clusterResourceNamespace ?? "cert-manager");
  if (!caNamespace) throw new Error("createCaIssuer: an Issuer needs a namespace");
  const issuerNamespace = kind === "Issuer" ? { namespace: caNamespace } : {};
  const selfSignedName = `${name}-selfsigned`;
  const caSecretName = `${name}-root`;

  await serverSideApply(
    kc,
    [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: caNamespace } },
      {
        apiVersion: `${GROUP}/${VERSION}`,
        kind,
        metadata: { name: selfSignedName, ...issuerNamespace },
        spec: { selfSigned: {} },
      } as KubernetesObject,
      {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "Certificate",
        metadata: { name: caSecretName, namespace: caNamespace },
        spec: {
          isCA: true,
          commonName: `${name} root CA`,
          secretName: caSecretName,
          duration: "8760h",
          privateKey: { algorithm: "ECDSA", size: 256 },
          issuerRef: { name: selfSignedName, kind, group: GROUP },
        },
      } as KubernetesObject,
      {
        apiVersion: `${GROUP}/${VERSION}`,
        kind,
        metadata: { name, ...issuerNamespace },
        spec: { ca: { secretName: caSecretName } },
      } as KubernetesObject,
    ],
    { fieldManager: FIELD_MANAGER, timeoutMs },
  );

  const issuerScope = kind === "Issuer" ? caNamespace : undefined;
  await waitForReady(kc, kind, selfSignedName, issuerScope, timeoutMs);
  await waitForReady(kc, "Certificate", caSecretName, caNamespace, timeoutMs);
  await waitForReady(kc, kind, name, issuerScope, timeoutMs);

  const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: caSecretName, namespace: caNamespace });
  const caPem = Buffer.from(secret.data?.["tls.crt"] ?? "", "base64").toString("utf8");
  if (!caPem.includes("BEGIN CERTIFICATE")) throw new Error(`CA Secret ${caNamespace}/${caSecretName} holds no tls.crt`);
  return { issuerRef: { name, kind, group: GROUP }, caSecret: { namespace: caNamespace, name: caSecretName }, caPem };
}
