// Renders an AccessPolicy into Istio objects and keeps them converged: applies what
// differs from the cache, removes what it no longer renders, and reports status.
import type { Logger } from "pino";
import type { AccessPolicy, AccessPolicyStatus, RenderedReference } from "../api/types.js";
import type { Caches } from "../caches.js";
import type { RenderConfig } from "../config.js";
import { renderAccessPolicy, type PolicyRenderResult } from "../policy/index.js";
import { canonicalJson } from "../render/hash.js";
import { POLICY_LABEL } from "../render/metadata.js";
import { needsApply, withAppliedHash } from "../runtime/apply-if-changed.js";
import { readyFrom, setConditions, type DesiredCondition } from "../runtime/conditions.js";
import { splitKey, type ReconcileContext, type ReconcileResult, type Reconciler } from "../runtime/controller.js";
import type { EventRecorder } from "../runtime/events.js";
import { reportReadiness } from "../runtime/readiness-report.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import type { OperatorMetrics } from "../runtime/metrics.js";
import { resourceOf } from "../runtime/resources.js";
import type { IdentityIndex } from "./identity-index.js";
import { PolicyReason } from "./reasons.js";
import { renderedCacheFor, renderedCaches } from "./rendered-caches.js";
import { DriftRepairs } from "./drift-repairs.js";

export interface PolicyReconcilerDeps {
  client: KubeClient;
  caches: Caches;
  identities: IdentityIndex;
  events: EventRecorder;
  config: RenderConfig;
  metrics: OperatorMetrics;
  /** Called after a policy's objects are written, so the namespace baseline can follow. */
  afterRender: (namespace: string) => void;
  now?: () => Date;
}

type Policy = AccessPolicy & KubeObject;

export class PolicyReconciler implements Reconciler {
  readonly name = "accesspolicy";
  /** Policies rendered at their current generation by this process, per namespace. */
  private readonly renderedGeneration = new Map<string, number>();
  /** Spaces out repeated repairs of objects someone else keeps changing, and names them. */
  private readonly driftRepairs = new DriftRepairs({ record: (...event) => this.deps.events.record(...event) });

  constructor(private readonly deps: PolicyReconcilerDeps) {}

  /** True when every AccessPolicy of the namespace has been rendered at its generation. */
  namespaceSettled(namespace: string): boolean {
    return this.deps.caches.policies
      .list(namespace)
      .every((p) => this.renderedGeneration.get(`${namespace}/${p.metadata.name}`) === p.metadata.generation);
  }

  async reconcile(key: string, { log }: ReconcileContext): Promise<ReconcileResult | void> {
    const [namespace = "", name] = splitKey(key);
    const policy = this.deps.caches.policies.get(name, namespace);
    if (!policy || policy.metadata.deletionTimestamp) {
      // Rendered objects go with the policy through garbage collection.
      this.renderedGeneration.delete(key);
      this.deps.metrics.unresolvedSources.remove({ namespace, name });
      this.deps.afterRender(namespace);
      return;
    }
    const result = renderAccessPolicy(policy, this.deps.identities, this.deps.config);
    const rendered = await this.converge(policy, result, log);
    await this.writeStatus(policy, result, rendered, log);
    // A series only for policies with something left out: tens of thousands of zeros would
    // cost every scrape (and the operator's memory) without telling anyone anything.
    if (result.unresolved.length > 0) this.deps.metrics.unresolvedSources.set({ namespace, name }, result.unresolved.length);
    else this.deps.metrics.unresolvedSources.remove({ namespace, name });
    if (rendered.status === "True") this.renderedGeneration.set(key, policy.metadata.generation ?? 0);
    this.deps.afterRender(namespace);
    const heldBackMs = this.driftRepairs.requeueAfter(key);
    if (heldBackMs !== undefined) return { requeueAfterMs: heldBackMs };
  }

  private async converge(policy: Policy, result: PolicyRenderResult, log: Logger): Promise<DesiredCondition> {
    const { caches, client, events } = this.deps;
    const missing = renderedCaches(caches).find((informer) => informer.availability === "absent");
    if (missing) {
      return condition("Rendered", "False", PolicyReason.IstioMissing, `Istio's CRDs (${missing.type.plural}.security.istio.io) are not installed; install Istio and the operator picks it up by itself`);
    }
    const wanted = new Set<string>();
    let changed = 0;
    for (const object of result.objects as KubeObject[]) {
      const desired = withAppliedHash(object);
      wanted.add(`${desired.kind}/${desired.metadata.name}`);
      const live = renderedCacheFor(caches, desired.kind).get(desired.metadata.name, desired.metadata.namespace);
      if (!needsApply(desired, live)) continue;
      if (!this.driftRepairs.mayWrite(policy, desired, live)) continue;
      await client.apply(desired);
      changed++;
      log.info({ kind: desired.kind, object: desired.metadata.name, drift: live !== undefined }, "applied rendered object");
    }
    for (const informer of renderedCaches(caches)) {
      for (const live of informer.list(policy.metadata.namespace)) {
        if (live.metadata.labels?.[POLICY_LABEL] !== policy.metadata.name) continue;
        if (!(live.metadata.ownerReferences ?? []).some((ref) => ref.uid === policy.metadata.uid)) continue;
        if (wanted.has(`${live.kind}/${live.metadata.name}`)) continue;
        await client.delete(resourceOf(live.apiVersion, live.kind), live.metadata.name, live.metadata.namespace, live.metadata.uid);
        changed++;
        log.info({ kind: live.kind, object: live.metadata.name }, "deleted object no longer rendered");
      }
    }
    if (changed > 0) {
      events.record(policy, "Normal", PolicyReason.Rendered, `rendered policy version ${result.policyHash.slice(0, 12)} (${changed} object${changed === 1 ? "" : "s"} written)`);
    }
    return condition("Rendered", "True", PolicyReason.Rendered, `${result.objects.length} Istio object${result.objects.length === 1 ? "" : "s"} rendered`);
  }

  private async writeStatus(policy: Policy, result: PolicyRenderResult, rendered: DesiredCondition, log: Logger): Promise<void> {
    const resolved = resolvedCondition(result);
    const parts = [resolved, rendered];
    // Unresolved sources are left out on purpose (fail closed), so they do not make the
    // policy un-Ready; an unresolved target does, because nothing is enforced for it.
    const readyParts = result.target.resolved ? [rendered] : parts;
    const ready = readyFrom(readyParts, PolicyReason.Ready, "policy is enforced by the mesh");
    const previous = policy.status ?? {};
    const status: AccessPolicyStatus = {
      observedGeneration: policy.metadata.generation,
      policyHash: result.policyHash,
      rendered: result.objects.map((o): RenderedReference => ({
        apiVersion: o.apiVersion,
        kind: o.kind,
        name: o.metadata.name,
        namespace: o.metadata.namespace,
      })),
      unresolved: result.unresolved,
      conditions: setConditions(previous.conditions, [...parts, ready], policy.metadata.generation, (this.deps.now ?? (() => new Date()))()),
    };
    if (canonicalJson(status) === canonicalJson(previous)) return;
    await this.deps.client.applyStatus(policy, status);
    if (canonicalJson(previous.unresolved ?? []) !== canonicalJson(result.unresolved)) {
      if (result.unresolved.length > 0) {
        log.info({ unresolved: result.unresolved.length }, "policy sources left out");
        this.deps.events.record(policy, "Warning", PolicyReason.SourcesUnresolved, resolved.message);
      }
    }
    reportReadiness(policy, previous.conditions, status.conditions, this.deps.events, log);
  }
}

function resolvedCondition(result: PolicyRenderResult): DesiredCondition {
  if (!result.target.resolved) {
    return condition("Resolved", "False", result.target.reason ?? PolicyReason.TargetNotFound, result.target.message ?? "the target identity does not resolve; nothing is rendered");
  }
  if (result.unresolved.length === 0) {
    return condition("Resolved", "True", PolicyReason.Resolved, `all ${result.resolvedSources} sources resolved`);
  }
  const first = result.unresolved.slice(0, 3).map((u) => u.message);
  const more = result.unresolved.length > 3 ? ` (and ${result.unresolved.length - 3} more)` : "";
  return condition(
    "Resolved",
    "False",
    PolicyReason.SourcesUnresolved,
    `${result.unresolved.length} source${result.unresolved.length === 1 ? " is" : "s are"} left out and admit nobody: ${first.join("; ")}${more}`,
  );
}

function condition(type: string, status: DesiredCondition["status"], reason: string, message: string): DesiredCondition {
  return { type, status, reason, message };
}
