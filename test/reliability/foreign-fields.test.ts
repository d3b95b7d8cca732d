// Drift that server-side apply alone cannot undo: a field the operator does not render, added
// by another field manager, survives every apply of ours (apply only takes over the fields it
// sets). Three such edits that would open what the operator closed: rules added to a policy
// that admits nobody, a selector added to the namespace-wide baseline (the namespace's other
// workloads would then have no ALLOW at all), a selector added to STRICT mTLS, isCA added to an
// identity's Certificate. Each is
// undone, and the other writer no longer owns any part of the spec.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEFAULT_DENY_NAME, STRICT_MTLS_NAME } from "../../operator/policy/index.js";
import { FIELD_MANAGER } from "../../operator/render/metadata.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources, type ResourceType } from "../../operator/runtime/resources.js";
import { credentialsFor } from "../controlplane/credentials.js";
import { AuditTail } from "../support/audit-tail.js";
import { adminClient, createNamespace, deleteNamespace, hasCondition, uniqueName, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";

const API = "security.nexus.io/v1alpha1";
const OTHER_WRITER = "kubectl-edit";

type WithSpec = KubeObject & { spec: Record<string, unknown> };

function otherWriterOwnsSpec(object: KubeObject): boolean {
  const entries = (object.metadata.managedFields ?? []) as Array<{ manager?: string; fieldsV1?: Record<string, unknown> }>;
  return entries.some((e) => e.manager !== FIELD_MANAGER && e.fieldsV1 !== undefined && "f:spec" in e.fieldsV1);
}

describe("drift in a field the operator does not render", () => {
  let admin: KubeClient;
  let running: TestOperator;
  const ns = uniqueName("foreign");
  const operatorUser = uniqueName("operator-foreign");
  const audit = new AuditTail(inject("auditLogPath"));

  beforeAll(async () => {
    admin = adminClient(inject("kubeconfig"));
    await createNamespace(admin, ns);
    await admin.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name: "ledger", namespace: ns }, spec: { workloadSelector: { matchLabels: { app: "ledger" } } } });
    running = await startTestOperator(await credentialsFor(inject("controlPlane")).mintUserKubeconfig(operatorUser, ["system:masters"]));
    // Its only source does not exist: the policy renders an ALLOW without rules (admits nobody).
    await admin.create({ apiVersion: API, kind: "AccessPolicy", metadata: { name: "nobody", namespace: ns }, spec: { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "ghost" } }] }] } });
    await waitForObject(admin, resources.accessPolicy, "nobody", ns, (o) => hasCondition(o, "Rendered", "True"), "nobody rendered");
    await waitForObject(admin, resources.authorizationPolicy, DEFAULT_DENY_NAME, ns, () => true, "the baseline");
    // An identity with a certificate, from an Issuer of its namespace.
    await admin.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name: "svid", namespace: ns }, spec: { workloadSelector: { matchLabels: { app: "svid" } }, certificate: { issuerRef: { name: "local-ca", kind: "Issuer" } } } });
    await waitForObject(admin, resources.certificate, "svid-svid", ns, () => true, "the identity's Certificate");
  });

  afterAll(async () => {
    await running?.stop();
    if (admin) await deleteNamespace(admin, ns);
    admin?.close();
  });

  async function undone(type: ResourceType, name: string, edit: Record<string, unknown>, field: string): Promise<void> {
    const before = await admin.get<WithSpec>(type, name, ns);
    expect(before.spec[field]).toBeUndefined();
    const edited = await admin.mergePatch<WithSpec>(type, name, ns, { spec: edit }, OTHER_WRITER);
    expect(edited.spec[field]).toBeDefined();
    const restored = await waitForObject<WithSpec>(admin, type, name, ns, (o) => o.metadata.generation! > edited.metadata.generation! && o.spec[field] === undefined, `${field} removed from ${name}`);
    expect(restored.spec).toEqual(before.spec);
    expect(otherWriterOwnsSpec(restored)).toBe(false);
  }

  it("removes rules added to a policy that admits nobody", async () => {
    await undone(resources.authorizationPolicy, "nexus-nobody", { rules: [{}] }, "rules");
  });

  it("removes a selector added to the namespace-wide baseline", async () => {
    await undone(resources.authorizationPolicy, DEFAULT_DENY_NAME, { selector: { matchLabels: { app: "somewhere-else" } } }, "selector");
  });

  it("removes isCA added to an identity's Certificate (its status would still say the limits hold)", async () => {
    await undone(resources.certificate, "svid-svid", { isCA: true }, "isCA");
  });

  it("leaves a Certificate alone when another writer changed only its metadata (no write, no fight)", async () => {
    await running.operator.idle();
    const start = await audit.mark();
    await admin.mergePatch<WithSpec>(resources.certificate, "svid-svid", ns, { metadata: { labels: { "team.example/owner": "payments" } } }, "kubectl-label");
    // The identity is looked at again (an annotation moves no generation but is an event), then the operator settles.
    await admin.mergePatch(resources.engineIdentity, "svid", ns, { metadata: { annotations: { touched: "yes" } } }, "nexus-test");
    await running.operator.idle();
    const writes = (await audit.since(start, operatorUser)).filter((e) => e.objectRef?.resource === "certificates");
    expect(writes).toEqual([]);
    const after = await admin.get<WithSpec>(resources.certificate, "svid-svid", ns);
    expect(after.metadata.labels?.["team.example/owner"]).toBe("payments");
  });

  it("removes a selector added to the namespace's STRICT mTLS (the other workloads would fall back to the mesh default)", async () => {
    await undone(resources.peerAuthentication, STRICT_MTLS_NAME, { selector: { matchLabels: { app: "somewhere-else" } } }, "selector");
  });
});
