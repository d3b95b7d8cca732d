import { randomUUID } from "node:crypto";
import path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { writeKubeconfig } from "./kubeconfig.js";
import { type CertificateAuthority, createClientCertificate, importCertificateAuthority } from "./pki.js";

/**
 * Everything needed to reach a running control plane and mint identities on it, as plain
 * strings: vitest's provide() carries it from the global setup to test worker processes.
 * The CA key is in here on purpose; it is a throwaway CA for one test run.
 */
export interface ControlPlaneConnection {
  kubeconfigPath: string;
  server: string;
  caPem: string;
  caKeyPem: string;
  tempDir: string;
  auditLogPath: string | undefined;
}

/** Minting identities on a running control plane, from any process that has its connection. */
export interface ControlPlaneCredentials {
  /** A kubeconfig authenticating with a client certificate: CN=user, one O per group. */
  mintUserKubeconfig(user: string, groups?: string[]): Promise<string>;
  /** A kubeconfig holding a TokenRequest token for the ServiceAccount, created if absent. */
  mintServiceAccountKubeconfig(namespace: string, name: string, expirationSeconds?: number): Promise<string>;
}

export function credentialsFor(connection: ControlPlaneConnection): ControlPlaneCredentials {
  let ca: Promise<CertificateAuthority> | undefined;
  let core: k8s.CoreV1Api | undefined;
  const adminCore = () => {
    if (!core) {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(connection.kubeconfigPath);
      core = kc.makeApiClient(k8s.CoreV1Api);
    }
    return core;
  };
  // Worker processes mint concurrently into one folder; a random suffix keeps names apart.
  const kubeconfigFile = (kind: string, name: string) =>
    path.join(
      connection.tempDir,
      "kubeconfigs",
      `${kind}-${name.replace(/[^A-Za-z0-9_.-]/g, "_")}-${randomUUID().slice(0, 8)}.kubeconfig`,
    );

  return {
    async mintUserKubeconfig(user, groups = []) {
      ca ??= importCertificateAuthority(connection.caPem, connection.caKeyPem);
      const credentials = await createClientCertificate(await ca, user, groups);
      return writeKubeconfig(kubeconfigFile("user", user), {
        server: connection.server,
        caPem: connection.caPem,
        userName: user,
        credentials,
      });
    },

    async mintServiceAccountKubeconfig(namespace, name, expirationSeconds = 3600) {
      const api = adminCore();
      try {
        await api.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
      } catch (err) {
        if (!(err instanceof k8s.ApiException && err.code === 409)) throw err;
      }
      const request = await api.createNamespacedServiceAccountToken({
        namespace,
        name,
        body: { spec: { audiences: [], expirationSeconds } },
      });
      const token = request.status?.token;
      if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
      return writeKubeconfig(kubeconfigFile("sa", `${namespace}-${name}`), {
        server: connection.server,
        caPem: connection.caPem,
        userName: `system:serviceaccount:${namespace}:${name}`,
        credentials: { token },
      });
    },
  };
}
