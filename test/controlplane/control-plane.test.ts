import { randomUUID } from "node:crypto";
import {
  ApiException,
  AuthenticationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import { afterAll, describe, expect, inject, it } from "vitest";
import { credentialsFor, readAuditEvents, waitFor } from "./index.js";

// Integration tests against the shared control plane that test/global-setup.ts starts.

const adminKubeconfig = inject("kubeconfig");
const credentials = credentialsFor(inject("controlPlane"));

function kubeConfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

const admin = kubeConfig(adminKubeconfig);
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);

const suffix = () => randomUUID().slice(0, 8);
const statusCode = (err: unknown) => (err instanceof ApiException ? err.code : undefined);

/** Resolves once `read` answers 404; any other failure is reported as is. */
function waitUntilGone(read: () => Promise<unknown>, description: string, timeoutMs = 45_000): Promise<true> {
  return waitFor(
    async () => {
      try {
        await read();
        return undefined;
      } catch (err) {
        if (statusCode(err) === 404) return true;
        throw err;
      }
    },
    { timeoutMs, intervalMs: 200, description },
  );
}

const namespaces: string[] = [];
async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${suffix()}`;
  await core.createNamespace({ body: { metadata: { name } } });
  namespaces.push(name);
  return name;
}

afterAll(async () => {
  await Promise.allSettled(namespaces.map((name) => core.deleteNamespace({ name })));
});

describe("shared control plane", () => {
  it("lets the admin kubeconfig list namespaces", async () => {
    const list = await core.listNamespace();
    const names = list.items.map((ns) => ns.metadata?.name);
    expect(names).toContain("default");
    expect(names).toContain("kube-system");
  });

  it("hands the admin kubeconfig to child processes through NEXUS_TEST_KUBECONFIG", () => {
    expect(process.env.NEXUS_TEST_KUBECONFIG).toBe(adminKubeconfig);
  });

  it("forbids a minted user without RBAC to list secrets, and allows it once a RoleBinding grants its group", async () => {
    const namespace = await createNamespace("rbac");
    const user = `alice-${suffix()}`;
    const group = `nexus-testers-${suffix()}`;
    const userCore = kubeConfig(await credentials.mintUserKubeconfig(user, [group])).makeApiClient(CoreV1Api);

    await expect(userCore.listNamespacedSecret({ namespace })).rejects.toMatchObject({ code: 403 });

    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: "secret-reader" },
        rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: "secret-reader" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "secret-reader" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: group }],
      },
    });

    // The RBAC authorizer reads through an informer, so the grant lands a moment later.
    const list = await waitFor(
      async () => {
        try {
          return await userCore.listNamespacedSecret({ namespace });
        } catch (err) {
          if (statusCode(err) === 403) return undefined;
          throw err;
        }
      },
      { timeoutMs: 10_000, description: "the RoleBinding to take effect" },
    );
    expect(list.items).toEqual([]);
  });

  it("authenticates a minted ServiceAccount kubeconfig as system:serviceaccount:<namespace>:<name>", async () => {
    const namespace = await createNamespace("sa");
    const path = await credentials.mintServiceAccountKubeconfig(namespace, "robot");
    const review = await kubeConfig(path)
      .makeApiClient(AuthenticationV1Api)
      .createSelfSubjectReview({ body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } });

    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${namespace}:robot`);
    expect(review.status?.userInfo?.groups).toContain(`system:serviceaccounts:${namespace}`);
  });

  it("garbage-collects a ConfigMap after the ConfigMap that owns it is deleted", async () => {
    const namespace = await createNamespace("gc");
    const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "owner" } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: "dependent",
          ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata!.uid! }],
        },
      },
    });

    await core.deleteNamespacedConfigMap({ namespace, name: "owner" });

    await waitUntilGone(
      () => core.readNamespacedConfigMap({ namespace, name: "dependent" }),
      "the garbage collector to delete the dependent ConfigMap",
      // This file runs while the suite starts: the garbage collector, restarted by global
      // setup, first syncs a monitor for every resource type (our CRDs and Istio's, Gateway
      // API's, cert-manager's) and deletes nothing before; on a loaded 2-core machine that
      // once took longer than 45 s. Still inside the 90 s test timeout.
      80_000,
    );
  });

  it("finishes deleting a namespace with content, so the namespace disappears", async () => {
    const namespace = await createNamespace("doomed");
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "content" } } });

    await core.deleteNamespace({ name: namespace });

    await waitUntilGone(() => core.readNamespace({ name: namespace }), `namespace ${namespace} to be deleted`);
  });

  it("audits each write once, with the writer's user name", async () => {
    const namespace = await createNamespace("audit");
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "audited" } } });
    await core.readNamespacedConfigMap({ namespace, name: "audited" });

    // The event is written as the request completes, which may trail the response slightly.
    const onConfigMap = await waitFor(
      async () => {
        const events = await readAuditEvents(inject("auditLogPath"));
        const matching = events.filter(
          (e) => e.objectRef?.resource === "configmaps" && e.objectRef.namespace === namespace,
        );
        return matching.length > 0 ? matching : undefined;
      },
      { timeoutMs: 5_000, description: "the audit event of the ConfigMap create" },
    );
    expect(onConfigMap.map((e) => [e.verb, e.objectRef?.name, e.user.username])).toEqual([
      ["create", "audited", "nexus-test-admin"],
    ]);
  });
});
