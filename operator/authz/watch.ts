// Keeps the gate's index current from the operator's informers on AccessPolicies,
// EngineIdentities and Namespaces (whose tenant label decides tenant membership): read-only
// (list and watch), and nothing else; the gate never reads Secrets. A policy event updates
// its entry at once; identity and namespace events are gathered for a moment and then the
// policies they may affect are resolved again.
import type { Logger } from "pino";
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import { SupervisedInformer } from "../runtime/informer.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import { resources } from "../runtime/resources.js";
import { DEFAULT_TENANT_LABEL, tenantOfNamespace } from "../policy/tenancy.js";
import type { GateIndex } from "./gate-index.js";

export class GateWatch {
  readonly policies: SupervisedInformer<AccessPolicy & KubeObject>;
  readonly identities: SupervisedInformer<EngineIdentity & KubeObject>;
  readonly namespaces: SupervisedInformer<KubeObject>;
  private resolvePending: NodeJS.Immediate | undefined;
  private synced = false;

  constructor(
    client: KubeClient,
    private readonly log: Logger,
    private readonly index: GateIndex,
    tenantLabel = DEFAULT_TENANT_LABEL,
  ) {
    this.policies = new SupervisedInformer(client, resources.accessPolicy, log);
    this.identities = new SupervisedInformer(client, resources.engineIdentity, log);
    this.namespaces = new SupervisedInformer(client, resources.namespace, log);
    this.namespaces.on((namespace, event) => {
      const tenant = event === "delete" ? undefined : tenantOfNamespace(namespace.metadata.labels, tenantLabel);
      if (index.setNamespaceTenant(namespace.metadata.name, tenant)) this.scheduleResolve();
    });
    this.policies.on((policy, event) => index.setPolicy(policy, event === "delete"));
    this.identities.on((identity, event) => {
      index.setIdentity(identity, event === "delete");
      this.scheduleResolve();
    });
  }

  async start(): Promise<void> {
    this.namespaces.start();
    this.identities.start();
    this.policies.start();
    await Promise.all([this.namespaces.waitForSync(), this.identities.waitForSync(), this.policies.waitForSync()]);
    this.index.recompileAll();
    this.synced = true;
  }

  /** Both caches filled and the index built from them. */
  get ready(): boolean {
    return this.synced && this.policies.synced && this.identities.synced && this.namespaces.synced;
  }

  async stop(): Promise<void> {
    // A resolve still waiting would log after the gate stopped.
    if (this.resolvePending) clearImmediate(this.resolvePending);
    this.resolvePending = undefined;
    await Promise.all([this.policies.stop(), this.identities.stop(), this.namespaces.stop()]);
  }

  private scheduleResolve(): void {
    if (this.resolvePending) return;
    this.resolvePending = setImmediate(() => {
      this.resolvePending = undefined;
      const started = performance.now();
      const policies = this.index.recompilePending();
      this.log.debug({ policies, ms: Math.round((performance.now() - started) * 1000) / 1000 }, "recompiled the policies identity changes affect");
    });
  }
}
