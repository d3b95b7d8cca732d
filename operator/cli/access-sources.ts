// What `check` and `test` weigh: the identities, the AccessPolicies and the Istio
// AuthorizationPolicies in force, from files (rendered here by the operator's renderer,
// plus any hand-written AuthorizationPolicies in the files) or from the live cluster
// (read-only; the AuthorizationPolicies as they are, NEXUS's and anyone else's), with which
// data plane runs each target: detected, or one chosen for every target (--data-plane, an
// access test's dataPlane), for which the files are rendered again.
import type { Command } from "commander";
import type { AccessPolicy, EngineIdentity, UnresolvedSource } from "../api/types.js";
import type { RenderConfig } from "../config.js";
import type { DataPlane, DataPlaneLookup } from "../dataplane/data-plane.js";
import { DEFAULT_ROOT_NAMESPACE, type AuthorizationPolicyObject } from "../evaluate/index.js";
import type { IdentityLookup } from "../policy/index.js";
import type { KubeObject } from "../runtime/kube-client.js";
import { resources } from "../runtime/resources.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../render/metadata.js";
import { AccessModel } from "./access-model.js";
import { dataPlaneObjectsOfCluster, namespaceLabelsOfCluster, readIdentities, readPolicies } from "./cluster-state.js";
import { ioOf } from "./context.js";
import { InternalError, UsageError } from "./exit-codes.js";
import { loadFromOptions, type Loaded } from "./load.js";
import { objectId, whereFrom } from "./manifests.js";
import { kubeClientOf, renderConfigOf, type ClusterOptions, type FileOptions, type RenderSettingOptions } from "./options.js";
import type { ProvenanceContext } from "./provenance.js";
import { dataPlaneLookupFor, DATA_PLANE_FLAG, targetPlaneOf, type TargetPlane } from "./data-planes.js";
import type { Target } from "./access-model.js";
import { lookupFor, namespaceTenantsOf, renderAll } from "./render-set.js";
import { dataPlaneNotesOf, dataPlaneNotesOfStatus, renderWarnings, tenancyWarnings, type DataPlaneNote } from "./render-warnings.js";

export interface AccessSourceOptions extends FileOptions, RenderSettingOptions, ClusterOptions {
  live?: boolean;
  rootNamespace?: string;
  /** --data-plane: every target judged (and, from files, rendered) for it. */
  dataPlane?: DataPlane;
}

/** One data plane for every target, and who chose it (said in the answer). */
export interface ChosenDataPlane {
  dataPlane: DataPlane;
  by: string;
}

export interface AccessSources {
  identities: EngineIdentity[];
  policies: AccessPolicy[];
  lookup: IdentityLookup;
  model: AccessModel;
  provenance: ProvenanceContext;
  config: RenderConfig;
  /** Sources an AccessPolicy leaves out (fail closed), by `namespace/name`: often why a caller is denied. */
  leftOut: Map<string, UnresolvedSource[]>;
  /** Which data plane runs each target (for `chosen`, when set). */
  dataPlanes: DataPlaneLookup;
  chosen?: ChosenDataPlane;
  /** What the operator reports (or would) of an AccessPolicy's data plane, by `namespace/name`: WaypointRequired, DenyWidened, ... */
  dataPlaneNotes: Map<string, DataPlaneNote[]>;
  /**
   * The policies as written: rendered in the sidecar form, which enforces every rule as the
   * AccessPolicy says it. Tells a call denied because its data plane cannot enforce a rule
   * (WaypointRequired) from one the policies deny.
   */
  asWritten: () => AccessModel;
}

/** The sources as they are for a choice of data plane (none: as detected), each computed once. */
export type AccessSourcesFor = (chosen?: ChosenDataPlane) => AccessSources;

/** The data plane a call to the target meets with these sources. */
export function planeOf(sources: AccessSources, target: Target): TargetPlane {
  return targetPlaneOf(sources.dataPlanes, target, sources.chosen);
}

export async function loadAccessSources(command: Command, options: AccessSourceOptions): Promise<AccessSources> {
  const sourcesFor = await openAccessSources(command, options);
  return sourcesFor(options.dataPlane ? { dataPlane: options.dataPlane, by: `${DATA_PLANE_FLAG} ${options.dataPlane}` } : undefined);
}

/** Reads the files or the cluster once; the files are rendered again for each data plane asked for. */
export async function openAccessSources(command: Command, options: AccessSourceOptions): Promise<AccessSourcesFor> {
  const rootNamespace = options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  // Rendered once per data plane; who chose it is only said in the answer.
  const memo = new Map<string, AccessSources>();
  const get: AccessSourcesFor = (chosen) => {
    const key = chosen?.dataPlane ?? "";
    let found = memo.get(key);
    if (!found) memo.set(key, (found = sourcesFor(chosen)));
    return chosen && found.chosen?.by !== chosen.by ? { ...found, chosen } : found;
  };
  let sourcesFor: AccessSourcesFor;
  if (options.live) {
    if (options.filename?.length) throw new UsageError("use either -f (files) or --live (the cluster), not both");
    sourcesFor = await openLive(command, options, rootNamespace);
  } else {
    const { manifests, config } = await loadFromOptions(command, options);
    // Each rendering warns of what it finds; a line the renderings share is said once.
    const warned = new Set<string>();
    const warn = (lines: string[]) => {
      for (const line of lines.filter((l) => !warned.has(l))) {
        warned.add(line);
        ioOf(command).err(`nexus: warning: ${line}\n`);
      }
    };
    warn(tenancyWarnings(manifests, config));
    sourcesFor = (chosen) => fromFiles(manifests, config, rootNamespace, chosen, warn, () => get(AS_WRITTEN).model);
  }
  return get;
}

const AS_WRITTEN: ChosenDataPlane = { dataPlane: "sidecar", by: "the policies as written (the sidecar form)" };

function fromFiles(
  manifests: Loaded["manifests"],
  config: RenderConfig,
  rootNamespace: string,
  chosen: ChosenDataPlane | undefined,
  warn: (lines: string[]) => void,
  asWritten: () => AccessModel,
): AccessSources {
  const rendered = renderAll({ ...manifests, ...(chosen ? { dataPlane: chosen.dataPlane } : {}) }, config);
  warn(renderWarnings(rendered.policies));
  const istioPolicies = [
    ...(rendered.objects.filter((o) => o.kind === "AuthorizationPolicy") as unknown as AuthorizationPolicyObject[]),
    ...manifests.istioPolicies,
  ];
  const fileOf = (policy: AccessPolicy) => {
    const doc = manifests.origins.get(objectId("AccessPolicy", policy.metadata.namespace, policy.metadata.name));
    return doc ? whereFrom(doc) : undefined;
  };
  const key = (policy: AccessPolicy) => `${policy.metadata.namespace}/${policy.metadata.name}`;
  return {
    identities: manifests.identities,
    policies: manifests.policies,
    lookup: rendered.lookup,
    model: new AccessModel(istioPolicies, rootNamespace),
    provenance: { istioPolicies, accessPolicies: manifests.policies, lookup: rendered.lookup, config, dataPlanes: rendered.dataPlanes, fileOf },
    config,
    leftOut: new Map(rendered.policies.map(({ policy, result }) => [key(policy), result.unresolved])),
    dataPlanes: rendered.dataPlanes,
    ...(chosen ? { chosen } : {}),
    dataPlaneNotes: new Map(rendered.policies.map(({ policy, result }) => [key(policy), dataPlaneNotesOf(result)])),
    asWritten,
  };
}

/**
 * The cluster as it is: its AuthorizationPolicies are not rendered again, so a chosen data
 * plane only changes how they are judged (what that data plane would enforce of them), and the
 * notes are what the operator wrote into each policy's status for the data plane it detected.
 */
async function openLive(command: Command, options: AccessSourceOptions, rootNamespace: string): Promise<AccessSourcesFor> {
  const io = ioOf(command);
  const config = renderConfigOf(options, io.env);
  const client = await kubeClientOf(options, io.env);
  try {
    const [identities, policies, istio, namespaceLabels, dataPlaneObjects] = await Promise.all([
      readIdentities(client),
      readPolicies(client),
      client.list<KubeObject>(resources.authorizationPolicy).catch((err: Error) => {
        throw new InternalError(`cannot list authorizationpolicies.security.istio.io: ${err.message}`);
      }),
      namespaceLabelsOfCluster(client),
      dataPlaneObjectsOfCluster(client),
    ]);
    const istioPolicies = istio.items as unknown as AuthorizationPolicyObject[];
    const lookup = lookupFor(identities, [], namespaceTenantsOf(namespaceLabels, config));
    const model = new AccessModel(istioPolicies, rootNamespace);
    const key = (p: AccessPolicy) => `${p.metadata.namespace}/${p.metadata.name}`;
    // The operator's own account of what it left out and of each policy's data plane, from its status.
    const leftOut = new Map(policies.map((p) => [key(p), p.status?.unresolved ?? []]));
    const dataPlaneNotes = new Map(policies.map((p) => [key(p), dataPlaneNotesOfStatus(p.status)]));
    // The cluster's AccessPolicies rendered again in the sidecar form, beside the AuthorizationPolicies NEXUS did not write.
    let written: AccessModel | undefined;
    const asWritten = () => {
      if (written) return written;
      const rendered = renderAll({ identities, policies, namespaces: namespaceLabels, dataPlane: "sidecar" }, config);
      const others = istioPolicies.filter((p) => (p.metadata as { labels?: Record<string, string> }).labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE);
      return (written = new AccessModel([...(rendered.objects.filter((o) => o.kind === "AuthorizationPolicy") as unknown as AuthorizationPolicyObject[]), ...others], rootNamespace));
    };
    // The renderer traces a rule to its AccessPolicy rule on the data plane that rendered it: the detected one.
    const provenance = { istioPolicies, accessPolicies: policies, lookup, config, dataPlanes: dataPlaneLookupFor({ namespaces: namespaceLabels, ...dataPlaneObjects }, config.trustDomain) };
    return (chosen) => {
      const dataPlanes = chosen ? dataPlaneLookupFor({ namespaces: namespaceLabels, ...dataPlaneObjects, dataPlane: chosen.dataPlane }, config.trustDomain) : provenance.dataPlanes;
      return {
        identities,
        policies,
        lookup,
        model,
        provenance,
        config,
        leftOut,
        dataPlanes,
        ...(chosen ? { chosen } : {}),
        dataPlaneNotes,
        asWritten,
      };
    };
  } finally {
    client.close();
  }
}
