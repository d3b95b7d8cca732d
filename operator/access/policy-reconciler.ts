// Renders an AccessPolicy into Istio objects and keeps them converged: applies what
// differs from the cache, removes what it no longer renders, and reports status.
import type { Logger } from "pino";
import type { AccessPolicy, AccessPolicyStatus, RenderedReference } from "../api/types.js";
import { namespaceTerminating, type Caches } from "../caches.js";
import type { RenderConfig } from "../config.js";
import type { DataPlaneLookup, TargetDataPlanes } from "../dataplane/data-plane.js";
import { renderAccessPolicy, type PolicyRenderResult } from "../policy/index.js";
import { resolveTarget } from "../policy/target.js";
import { canonicalJson } from "../render/hash.js";
import { BASELINE_LABEL, POLICY_LABEL } from "../render/metadata.js";
import { isShardName, isZtunnelShardName } from "../render/names.js";
import { readyFrom, setConditions, type DesiredCondition } from "../runtime/conditions.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../runtime/controller.js";
import { splitKey } from "../runtime/object-key.js";
import type { EventRecorder } from "../runtime/events.js";
import { reportReadiness } from "../runtime/readiness-report.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import type { OperatorMetrics } from "../runtime/metrics.js";
import { resourceOf, resources } from "../runtime/resources.js";
import type { IdentityIndex } from "./identity-index.js";
import { PolicyReason } from "./reasons.js";
import { istioVerdict } from "./istio-read-back.js";
import { renderedCacheFor, renderedCaches, unmanagedCacheFor } from "./rendered-caches.js";
import { DriftRepairs } from "./drift-repairs.js";
import { applyRendered, renderedLive } from "./rendered-writes.js";
import { classifyWriteFailure, WriteFailureReason } from "../runtime/write-failure.js";
import { writeStatusOrReport } from "../runtime/status-writer.js";
import { withoutWaypointAdmission } from "../policy/waypoint-handoff.js";
import { WaypointHandoff } from "./waypoint-handoff.js";

export interface PolicyReconcilerDeps {
  client: KubeClient;
  caches: Caches;
  identities: IdentityIndex;
  events: EventRecorder;
  config: RenderConfig;
  metrics: OperatorMetrics;
  /** Which data plane runs each target, from the caches (data-plane-facts.ts). */
  dataPlanes: DataPlaneLookup;
  /** Called after a policy's objects are written, so the namespace baseline can follow. */
  afterRender: (namespace: string) => void;
  now?: () => Date;
}

type Policy = AccessPolicy & KubeObject;

const RENDERINGS_KEPT = 1_000;

/** Waits between looks at a policy held for another at the waypoint: doubling from the first to the longest. */
const HANDOFF_FIRST_WAIT_MS = 100;
const HANDOFF_LONGEST_WAIT_MS = 10_000;

// A policy's status is written as a follow-up of its reconcile, under this key, at low
// priority: when one identity change re-renders hundreds of policies, every one of their
// AuthorizationPolicies is written before the first status report, and enforcing the next
// change never waits behind reporting the last. A name holds no "/", so the key cannot be a
// policy's.
const STATUS_KEY_SUFFIX = "/status";

function statusKeyOf(policyKey: string): string {
  return `${policyKey}${STATUS_KEY_SUFFIX}`;
}

function policyKeyOfStatusKey(key: string): string | undefined {
  return key.split("/").length === 3 && key.endsWith(STATUS_KEY_SUFFIX) ? key.slice(0, -STATUS_KEY_SUFFIX.length) : undefined;
}

/** A status computed by a reconcile whose writes succeeded, waiting for its follow-up. */
interface PendingStatus extends StatusChange {
  uid: string | undefined;
  generation: number | undefined;
}

/**
 * A status that differs from the one the policy has, and what its write reports. Nothing of
 * the rendering is kept: thousands of these wait for their turn after a first sync.
 */
interface StatusChange {
  previous: AccessPolicyStatus;
  status: AccessPolicyStatus;
  /** The `Resolved` condition, whose message a SourcesUnresolved Event repeats. */
  resolvedMessage: string;
  dataPlaneNotes: DesiredCondition[];
}

export class PolicyReconciler implements Reconciler {
  readonly name = "accesspolicy";
  /** Policies rendered at their current generation by this process, per namespace. */
  private readonly renderedGeneration = new Map<string, number>();
  /** Spaces out repeated repairs of objects someone else keeps changing, and names them. */
  /** The latest renderings, by policy key (see render); bounded, so memory does not grow with the number of policies. */
  private readonly renderings = new Map<string, { inputs: string; result: PolicyRenderResult }>();
  private readonly driftRepairs = new DriftRepairs({ record: (...event) => this.deps.events.record(...event) });
  /** Statuses to write, by policy key (see STATUS_KEY_SUFFIX); one per policy, the latest. */
  private readonly pendingStatus = new Map<string, PendingStatus>();

  /** Policies held for another at the waypoint (waypoint-handoff.ts), by key: how many times in a row. */
  private readonly handoffWaits = new Map<string, number>();
  private readonly handoff: WaypointHandoff;

  constructor(private readonly deps: PolicyReconcilerDeps) {
    this.handoff = new WaypointHandoff({
      caches: deps.caches,
      servicesOf: (policy) => this.targetDataPlanes(policy)?.services ?? [],
      renderingOf: (policy) => this.render(`${policy.metadata.namespace}/${policy.metadata.name}`, policy),
    });
  }

  /**
   * When to look again at a policy held for another at the waypoint: soon (the other is
   * usually being written at the same moment), then less often, so a policy that can never
   * be written does not keep this one busy.
   */
  private handoffWait(key: string, held: boolean): number | undefined {
    if (!held) {
      this.handoffWaits.delete(key);
      return undefined;
    }
    const times = this.handoffWaits.get(key) ?? 0;
    this.handoffWaits.set(key, times + 1);
    return Math.min(HANDOFF_FIRST_WAIT_MS * 2 ** times, HANDOFF_LONGEST_WAIT_MS);
  }

  /** True when every AccessPolicy of the namespace has been rendered at its generation. */
  namespaceSettled(namespace: string): boolean {
    return this.deps.caches.policies
      .list(namespace)
      .every((p) => this.renderedGeneration.get(`${namespace}/${p.metadata.name}`) === p.metadata.generation);
  }

  async reconcile(key: string, { log }: ReconcileContext): Promise<ReconcileResult | void> {
    const statusOf = policyKeyOfStatusKey(key);
    if (statusOf !== undefined) return this.writePendingStatus(statusOf, log);
    const [namespace = "", name] = splitKey(key);
    const policy = this.deps.caches.policies.get(name, namespace);
    if (!policy || policy.metadata.deletionTimestamp || namespaceTerminating(this.deps.caches, namespace)) {
      // Rendered objects go with the policy through garbage collection.
      this.renderedGeneration.delete(key);
      this.renderings.delete(key);
      this.pendingStatus.delete(key);
      this.handoffWaits.delete(key);
      this.deps.metrics.unresolvedSources.remove({ namespace, name });
      this.deps.afterRender(namespace);
      return;
    }
    const result = this.render(key, policy);
    const convergence = await this.converge(policy, result, log);
    const { rendered } = convergence;
    const status = this.statusChange(policy, result, this.withIstioVerdict(policy, result, convergence));
    // A failed write reports at once (and the retry follows); a successful one reports after the burst.
    let followUp: string | undefined;
    if (status && convergence.failure) {
      this.pendingStatus.delete(key);
      await this.commitStatus(policy, status, log);
    } else if (status) {
      this.pendingStatus.set(key, { uid: policy.metadata.uid, generation: policy.metadata.generation, ...status });
      followUp = statusKeyOf(key);
    } else this.pendingStatus.delete(key);
    // A series only for policies with something left out: tens of thousands of zeros would
    // cost every scrape (and the operator's memory) without telling anyone anything.
    if (result.unresolved.length > 0) this.deps.metrics.unresolvedSources.set({ namespace, name }, result.unresolved.length);
    else this.deps.metrics.unresolvedSources.remove({ namespace, name });
    // A policy that can never be written as it stands is settled too: the namespace baseline
    // must not wait for it, since the baseline is what denies in its place.
    // So is one held at the waypoint: all of it is written but the waypoint's admission, and
    // the baseline only denies more meanwhile.
    if (rendered.status === "True" || convergence.failure?.permanent || result.refused || convergence.handoff) this.renderedGeneration.set(key, policy.metadata.generation ?? 0);
    this.deps.afterRender(namespace);
    if (convergence.failure && !convergence.failure.permanent) throw convergence.failure.error;
    if (convergence.failure) return { retryWithBackoff: true };
    const heldBackMs = minDefined(this.driftRepairs.requeueAfter(key), this.handoffWait(key, convergence.handoff === true));
    if (heldBackMs !== undefined || followUp) return { ...(heldBackMs !== undefined ? { requeueAfterMs: heldBackMs } : {}), ...(followUp ? { followUp } : {}) };
  }

  /**
   * The follow-up of a reconcile: writes the status it computed, unless the policy changed
   * or was rendered anew since (that reconcile queues its own), so a status never reports a
   * rendering other than the one last written.
   */
  private async writePendingStatus(key: string, log: Logger): Promise<void> {
    const pending = this.pendingStatus.get(key);
    if (!pending) return;
    const [namespace = "", name] = splitKey(key);
    const policy = this.deps.caches.policies.get(name, namespace);
    // The map holds the latest reconcile's status only; a policy changed since is reconciled anew.
    if (!policy || policy.metadata.uid !== pending.uid || policy.metadata.generation !== pending.generation) {
      this.pendingStatus.delete(key);
      return;
    }
    await this.commitStatus(policy, pending, log);
    if (this.pendingStatus.get(key) === pending) this.pendingStatus.delete(key);
  }

  /**
   * The policy rendered, or the rendering made before when neither the policy (uid,
   * generation) nor the identities (their index's version) nor the target's data planes
   * (namespace labels, Services, waypoint) changed since: a policy is
   * reconciled again for each of its own objects the watch brings back, and rendering a
   * policy naming a tenant of thousands again each time was most of what a member change cost.
   */
  private render(key: string, policy: Policy): PolicyRenderResult {
    const inputs = `${policy.metadata.uid ?? ""}\0${policy.metadata.generation ?? 0}\0${this.deps.identities.version}\0${JSON.stringify(this.targetDataPlanes(policy) ?? null)}`;
    const known = this.renderings.get(key);
    if (known?.inputs === inputs) {
      // Most recently used last, so the oldest goes first when the memo is full.
      this.renderings.delete(key);
      this.renderings.set(key, known);
      return known.result;
    }
    const result = renderAccessPolicy(policy, this.deps.identities, this.deps.config, this.deps.dataPlanes);
    this.renderings.delete(key);
    this.renderings.set(key, { inputs, result });
    if (this.renderings.size > RENDERINGS_KEPT) this.renderings.delete(this.renderings.keys().next().value as string);
    return result;
  }

  private async converge(policy: Policy, result: PolicyRenderResult, log: Logger): Promise<Convergence> {
    const { caches, client, events } = this.deps;
    const missing = renderedCaches(caches).find((informer) => informer.availability === "absent");
    if (missing) {
      return { rendered: condition("Rendered", "False", PolicyReason.IstioMissing, `Istio's CRDs (${missing.type.plural}.security.istio.io) are not installed; install Istio and the operator picks it up by itself`) };
    }
    const taken = this.nameTaken(policy, result);
    if (taken) {
      const failure = { reason: PolicyReason.NameTaken, permanent: true, message: taken, error: new Error(taken) };
      return this.failed(policy, failure, log);
    }
    const wanted = new Set(result.objects.map((o) => `${o.kind}/${o.metadata.name}`));
    const stale = this.liveObjectsOf(policy).filter((live) => !wanted.has(`${live.kind}/${live.metadata.name}`));
    // A shard of an Allow no longer rendered goes before the writes: it would keep admitting
    // callers the new shards leave out. Everything else goes after them: a Deny denies, the
    // gate's CUSTOM policy guards and the require-JWT policy refuses until replaced, and an
    // object under a name used before the names changed (2026-12-04) is removed only once its
    // replacement is written, so migrating never opens a moment without it.
    // A refused Allow first narrows its objects to admit nobody, then drops the rest (its
    // CUSTOM policy): removed first, the gated operations would be open in between. A
    // refused Deny renders nothing new, and what it wrote before keeps denying.
    const allow = (policy.spec.action ?? "Allow") === "Allow";
    // Among those, ztunnel's shards go before the waypoint's: ztunnel's admits the waypoint,
    // and a waypoint with no ALLOW bound to the Service admits every caller, so the other
    // order would open the target to anyone through the waypoint in between.
    const removedFirst = allow && !result.refused ? ztunnelFirst(policy.metadata.name, stale.filter((live) => live.kind === "AuthorizationPolicy" && isShardName(policy.metadata.name, live.metadata.name))) : [];
    const removedLast = !allow && result.refused ? [] : stale.filter((live) => !removedFirst.includes(live));
    // A guard this policy no longer renders at the waypoint, because the waypoint no longer
    // serves its target, stays while another Allow of the target is still served through it
    // (waypoint-handoff.ts). While a waypoint serves it, a guard it drops is an edit: it goes.
    const guardsGoing = result.ambient?.waypoint ? [] : WaypointHandoff.guardsAmong(policy, removedLast);
    const servedAllow = guardsGoing.length > 0 ? this.handoff.allowStillThroughWaypoint(policy) : undefined;
    const removedAfter = servedAllow ? removedLast.filter((live) => !guardsGoing.includes(live)) : removedLast;
    // An Allow's ztunnel shards admit the waypoint only once the guards of other policies are
    // there; until then they are written without it (asked only when a shard must be written).
    const waypoint = allow && !result.refused ? result.ambient?.waypoint : undefined;
    let guardsMissing: string[] | undefined;
    let changed = 0;
    const remove = async (objects: KubeObject[]) => {
      for (const live of objects) {
        await client.delete(resourceOf(live.apiVersion, live.kind), live.metadata.name, live.metadata.namespace, live.metadata.uid);
        changed++;
        log.info({ kind: live.kind, object: live.metadata.name }, "deleted object no longer rendered");
      }
    };
    try {
      await remove(removedFirst);
      for (const rendered of result.objects) {
        let desired = rendered as KubeObject;
        let { live, needsWrite } = await renderedLive(client, caches, desired);
        if (!needsWrite) continue;
        if (waypoint && isZtunnelShardName(policy.metadata.name, rendered.metadata.name)) {
          guardsMissing ??= this.handoff.guardsMissing(policy, result.ambient?.services ?? []);
          if (guardsMissing.length > 0) {
            desired = withoutWaypointAdmission(rendered, waypoint.principal) as KubeObject;
            ({ live, needsWrite } = await renderedLive(client, caches, desired));
            if (!needsWrite) continue;
          }
        }
        if (!this.driftRepairs.mayWrite(policy, desired, live)) continue;
        await applyRendered(client, caches, desired);
        changed++;
        log.info({ kind: desired.kind, object: desired.metadata.name, drift: live !== undefined }, "applied rendered object");
      }
      await remove(removedAfter);
    } catch (err) {
      return this.failed(policy, { ...classifyWriteFailure(err), error: err }, log);
    }
    if (result.refused) {
      const refusal = this.explainRefusal(result.refused);
      if (policy.status?.conditions?.find((c) => c.type === "Rendered")?.reason !== refusal.reason) events.record(policy, "Warning", refusal.reason, refusal.message);
      const consequence = allow ? "its rules admit nobody until this is fixed (what it denies stays denied)" : "nothing new is rendered; what was written before stays";
      return { rendered: condition("Rendered", "False", refusal.reason, `${refusal.message}; ${consequence}`) };
    }
    if (guardsMissing && guardsMissing.length > 0) {
      log.info({ waitingFor: guardsMissing }, "ztunnel does not admit the waypoint until other policies' guards are written there");
      const one = guardsMissing.length === 1;
      const names = guardsMissing.slice(0, 5).join(", ") + (guardsMissing.length > 5 ? ` (and ${guardsMissing.length - 5} more)` : "");
      return {
        rendered: condition(
          "Rendered",
          "False",
          PolicyReason.WaypointHandoffPending,
          `ztunnel does not admit the waypoint ${waypoint?.name ?? ""} yet: ${one ? "AccessPolicy" : "AccessPolicies"} ${names} of this namespace ${one ? "guards" : "guard"} the same Services there (a Deny, the credential gate or requireJWT) and ${one ? "is" : "are"} not written there yet; until then, callers through the waypoint are refused (fail closed)`,
        ),
        handoff: true,
      };
    }
    if (servedAllow) log.info({ allow: servedAllow, kept: guardsGoing.map((o) => o.metadata.name) }, "guards at the waypoint stay while another Allow is served through it");
    if (changed > 0) {
      events.record(policy, "Normal", PolicyReason.Rendered, `rendered policy version ${result.policyHash} (${changed} object${changed === 1 ? "" : "s"} written or removed)`);
    }
    return {
      rendered: condition("Rendered", "True", PolicyReason.Rendered, `${result.objects.length} Istio object${result.objects.length === 1 ? "" : "s"} rendered`),
      ...(servedAllow ? { handoff: true } : {}),
    };
  }

  /** A refusal in words that also say when the cluster lacks what would fix it. */
  private explainRefusal(refused: NonNullable<PolicyRenderResult["refused"]>): { reason: string; message: string } {
    if (refused.reason !== PolicyReason.WaypointRequired || this.deps.caches.gateways.availability !== "absent") return refused;
    return { reason: refused.reason, message: `${refused.message} (the Gateway API CRDs, gateways.gateway.networking.k8s.io, are not installed in this cluster, so no waypoint can exist yet)` };
  }

  /**
   * What Istio itself says about what this policy rendered (istio-read-back.ts): an object
   * Istio reports as not, or only partly, enforced makes Rendered False with Istio's words
   * and a Warning Event. Only a rendering that was written whole is judged; the objects
   * count as written, so the namespace baseline does not wait for Istio.
   */
  private withIstioVerdict(policy: Policy, result: PolicyRenderResult, convergence: Convergence): Convergence {
    if (convergence.rendered.status !== "True" || convergence.failure) return convergence;
    const planes = this.targetDataPlanes(policy);
    if (!planes) return convergence;
    const verdict = istioVerdict({
      policyName: policy.metadata.name,
      forms: planes.forms,
      rendered: result.objects as KubeObject[],
      live: this.liveObjectsOf(policy),
      services: planes.forms.includes("ambient") ? planes.services.flatMap((name) => this.deps.caches.services.get(name, policy.metadata.namespace) ?? []) : [],
    });
    if (!verdict) return convergence;
    this.deps.events.record(policy, "Warning", verdict.reason, verdict.message);
    return { ...convergence, rendered: condition("Rendered", "False", verdict.reason, verdict.message) };
  }

  private targetDataPlanes(policy: Policy): TargetDataPlanes | undefined {
    const target = resolveTarget(policy, this.deps.identities);
    return target.resolved ? this.deps.dataPlanes.forTarget(policy.metadata.namespace, target.selector?.matchLabels) : undefined;
  }

  /** Objects this policy wrote: its label, and its uid as controller, so a namesake's are never touched. */
  private liveObjectsOf(policy: Policy): KubeObject[] {
    return renderedCaches(this.deps.caches).flatMap((informer) =>
      informer
        .list(policy.metadata.namespace)
        .filter((live) => live.metadata.labels?.[POLICY_LABEL] === policy.metadata.name && (live.metadata.ownerReferences ?? []).some((ref) => ref.uid === policy.metadata.uid)),
    );
  }

  /**
   * A rendered name already used by an object this policy does not own. The names cannot
   * collide among objects rendered now (render/names.ts), but an object written under the
   * names used before, or by someone else, can hold one. Writing it would take that object over.
   */
  private nameTaken(policy: Policy, result: PolicyRenderResult): string | undefined {
    for (const object of result.objects) {
      // An object without our label is looked for too: our apply would take it over. One
      // this policy owns is ours whatever its labels say (the apply puts them back).
      const live =
        renderedCacheFor(this.deps.caches, object.kind).get(object.metadata.name, object.metadata.namespace) ??
        unmanagedCacheFor(this.deps.caches, object.kind).get(object.metadata.name, object.metadata.namespace);
      if (!live) continue;
      const owner = live.metadata.ownerReferences?.find((ref) => ref.controller);
      if (owner && owner.uid === policy.metadata.uid) continue;
      if (!owner && live.metadata.labels?.[POLICY_LABEL] === policy.metadata.name) continue;
      const taken = `${object.kind} ${object.metadata.name}, which this policy renders, already exists and belongs to`;
      if (owner?.kind === "AccessPolicy") return `${taken} AccessPolicy ${owner.name}; rename one of the two policies`;
      if (live.metadata.labels?.[BASELINE_LABEL] === "true") return `${taken} the namespace baseline; rename the policy`;
      const holder = owner ? `${owner.kind} ${owner.name}, not to this operator` : "no AccessPolicy (it is not managed by this operator)";
      return `${taken} ${holder}; rename the policy, or remove that object and the policy is written`;
    }
    return undefined;
  }

  /**
   * A write that failed. When it can never succeed as it stands, the Allow objects of the
   * policy's earlier version go (the namespace baseline then denies what they admitted:
   * fail closed), while its Deny objects stay until a replacement is written. On a passing
   * failure everything stays as it is and the write is retried.
   */
  private async failed(policy: Policy, failure: Failure, log: Logger): Promise<Convergence> {
    const apiMessage = truncate(failure.message, 1024);
    log.warn({ reason: failure.reason, permanent: failure.permanent, error: apiMessage }, "rendered objects could not be written");
    if (!failure.permanent) {
      return { rendered: condition("Rendered", "False", failure.reason, `writing the rendered objects failed and is retried with backoff; what was written before stays in force: ${apiMessage}`), failure };
    }
    // The same words whether the objects go now or went at an earlier try, so retries leave the status alone.
    let consequence = "its Allow objects are removed (fail closed), so what it admits is denied until it can be written; its Deny objects stay";
    try {
      await this.removeAllowObjects(policy, log);
    } catch (err) {
      consequence = `removing its earlier Allow objects failed too (${truncate(err instanceof Error ? err.message : String(err), 256)}); they are retried`;
      failure = { ...failure, permanent: false };
    }
    const what = WHAT_FAILED[failure.reason] ?? "the rendered objects cannot be written";
    return { rendered: condition("Rendered", "False", failure.reason, `${what}: ${apiMessage}; ${consequence}`), failure };
  }

  private async removeAllowObjects(policy: Policy, log: Logger): Promise<void> {
    for (const live of this.liveObjectsOf(policy)) {
      if (live.kind !== "AuthorizationPolicy") continue;
      // The cache keeps a digest of the body, not the spec: read the action from the API.
      // This path is rare (a rendering that cannot be written), so the reads cost nothing.
      const current = await this.deps.client.getIfExists<KubeObject & { spec?: { action?: string } }>(resources.authorizationPolicy, live.metadata.name, live.metadata.namespace);
      if (!current || (current.spec?.action ?? "ALLOW") !== "ALLOW") continue;
      await this.deps.client.delete(resources.authorizationPolicy, live.metadata.name, live.metadata.namespace, live.metadata.uid);
      log.warn({ object: live.metadata.name }, "removed an Allow object of a policy that cannot be written");
    }
  }

  /** The status this rendering and its convergence call for, or undefined when the policy already has it. */
  private statusChange(policy: Policy, result: PolicyRenderResult, { rendered, failure, handoff }: Convergence): StatusChange | undefined {
    // Written in part (held at the waypoint) reports like a failed write: the version in force is the earlier one.
    const notInForce = failure !== undefined || (handoff === true && rendered.status === "False");
    const action = policy.spec.action ?? "Allow";
    const resolved = resolvedCondition(result, action);
    const parts = [resolved, rendered];
    // Unresolved sources are left out on purpose (fail closed), so they do not make the
    // policy un-Ready; an unresolved target does, because nothing is enforced for it, and so
    // does a Deny or Audit of which nothing is rendered.
    const readyParts = !result.target.resolved ? parts : [rendered, ...nothingEnforced(result, action)];
    const ready = readyFrom(readyParts, PolicyReason.Ready, "policy is enforced by the mesh");
    const previous = policy.status ?? {};
    const dataPlaneNotes = dataPlaneConditions(result, failure);
    // After a failed write the version in force is still the one written before.
    const status: AccessPolicyStatus = {
      observedGeneration: policy.metadata.generation,
      ...(notInForce ? (previous.policyHash ? { policyHash: previous.policyHash } : {}) : { policyHash: result.policyHash }),
      rendered: failure
        ? (previous.rendered ?? [])
        : result.objects.map((o): RenderedReference => ({
            apiVersion: o.apiVersion,
            kind: o.kind,
            name: o.metadata.name,
            namespace: o.metadata.namespace,
          })),
      unresolved: result.unresolved,
      conditions: setConditions(previous.conditions, [...parts, ready, ...dataPlaneNotes], policy.metadata.generation, (this.deps.now ?? (() => new Date()))()),
    };
    if (canonicalJson(status) === canonicalJson(previous)) return undefined;
    return { previous, status, resolvedMessage: resolved.message, dataPlaneNotes };
  }

  /** Writes the status, then the Events its change calls for. */
  private async commitStatus(policy: Policy, { previous, status, resolvedMessage, dataPlaneNotes }: StatusChange, log: Logger): Promise<void> {
    await writeStatusOrReport(this.deps, policy, status);
    const unresolved = status.unresolved ?? [];
    if (canonicalJson(previous.unresolved ?? []) !== canonicalJson(unresolved)) {
      if (unresolved.length > 0) {
        log.info({ unresolved: unresolved.length }, "policy sources left out");
        this.deps.events.record(policy, "Warning", PolicyReason.SourcesUnresolved, resolvedMessage);
      }
    }
    reportReadiness(policy, previous.conditions, status.conditions, this.deps.events, log);
    for (const note of dataPlaneNotes) this.deps.events.record(policy, "Warning", note.reason, note.message);
  }
}

type Action = NonNullable<AccessPolicy["spec"]["action"]>;
const MATCHES_NOBODY: Record<Action, string> = { Allow: "admit nobody", Deny: "deny nobody", Audit: "audit nobody" };

function resolvedCondition(result: PolicyRenderResult, action: Action): DesiredCondition {
  if (!result.target.resolved) {
    return condition("Resolved", "False", result.target.reason ?? PolicyReason.TargetNotFound, result.target.message ?? "the target identity does not resolve; nothing is rendered");
  }
  if (result.unresolved.length === 0) {
    return condition("Resolved", "True", PolicyReason.Resolved, `all ${result.resolvedSources} sources resolved`);
  }
  const groups = [
    { effect: "LeftOut", says: (n: number) => `${n === 1 ? "is" : "are"} left out and ${MATCHES_NOBODY[action]}` },
    { effect: "Narrowed", says: (n: number) => `${n === 1 ? "is" : "are"} narrowed: some of ${n === 1 ? "its" : "their"} engines are left out` },
    { effect: "Assumed", says: (n: number) => `${n === 1 ? "is" : "are"} matched by an assumed principal` },
  ];
  const parts = groups.flatMap(({ effect, says }) => {
    const entries = result.unresolved.filter((u) => (u.effect ?? "LeftOut") === effect);
    if (entries.length === 0) return [];
    const first = entries.slice(0, 3).map((u) => u.message);
    const more = entries.length > 3 ? ` (and ${entries.length - 3} more)` : "";
    return [`${entries.length} source${entries.length === 1 ? "" : "s"} ${says(entries.length)}: ${first.join("; ")}${more}`];
  });
  return condition("Resolved", "False", PolicyReason.SourcesUnresolved, parts.join(". "));
}

/**
 * What the ambient form enforces otherwise than written (render-ambient.ts notes): a Deny
 * with L7 attributes widened to every operation of its sources at ztunnel for lack of a
 * waypoint (it fails closed, so Ready is not affected), or an Audit that no waypoint can
 * perform. Present only while it holds, so a platform team sees which policies are not
 * enforced exactly as written, and why.
 */
function dataPlaneConditions(result: PolicyRenderResult, failure: Failure | undefined): DesiredCondition[] {
  if (failure || result.refused) return [];
  const widened = result.ambient?.denyWidened;
  if (widened) return [condition(PolicyReason.EnforcedAsWritten, "False", widened.reason, widened.message)];
  const audit = result.ambient?.auditNotRendered;
  if (audit) return [condition(PolicyReason.EnforcedAsWritten, "False", PolicyReason.AuditNotRendered, audit.message)];
  return [];
}

/** The ambient form's ztunnel objects first, the rest in their order. */
function ztunnelFirst(policyName: string, objects: KubeObject[]): KubeObject[] {
  const isZtunnel = (o: KubeObject) => isZtunnelShardName(policyName, o.metadata.name);
  return [...objects.filter(isZtunnel), ...objects.filter((o) => !isZtunnel(o))];
}

/** A Deny or Audit with nothing rendered protects nothing, so it is not Ready (an Allow with nothing rendered still allows nothing). */
function nothingEnforced(result: PolicyRenderResult, action: Action): DesiredCondition[] {
  if (action === "Allow" || result.objects.some((o) => o.kind === "AuthorizationPolicy")) return [];
  const verb = action === "Deny" ? "denies" : "audits";
  return [condition("Enforced", "False", PolicyReason.NothingEnforced, `no rule of this ${action} policy resolves to a caller, so it ${verb} nobody; see the Resolved condition`)];
}

interface Failure {
  reason: string;
  permanent: boolean;
  message: string;
  error: unknown;
}

interface Convergence {
  rendered: DesiredCondition;
  failure?: Failure;
  /** Held back for another policy at the waypoint (waypoint-handoff.ts): reconciled again shortly. */
  handoff?: true;
}

const WHAT_FAILED: Record<string, string> = {
  [WriteFailureReason.TooLarge]: "the rendering is too large for the apiserver even after sharding",
  [WriteFailureReason.Rejected]: "the apiserver refused a rendered object",
  [WriteFailureReason.Forbidden]: "the operator may not write a rendered object (check its RBAC)",
  [PolicyReason.NameTaken]: "a rendered name is taken",
};

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}

function condition(type: string, status: DesiredCondition["status"], reason: string, message: string): DesiredCondition {
  return { type, status, reason, message };
}
