// What `check` and `test` weigh: the identities, the AccessPolicies and the Istio
// AuthorizationPolicies in force, from files (rendered here by the operator's renderer,
// plus any hand-written AuthorizationPolicies in the files) or from the live cluster
// (read-only; the AuthorizationPolicies as they are, NEXUS's and anyone else's).
import type { Command } from "commander";
import type { AccessPolicy, EngineIdentity, UnresolvedSource } from "../api/types.js";
import type { RenderConfig } from "../config.js";
import { DEFAULT_ROOT_NAMESPACE, type AuthorizationPolicyObject } from "../evaluate/index.js";
import type { IdentityLookup } from "../policy/index.js";
import type { KubeObject } from "../runtime/kube-client.js";
import { resources } from "../runtime/resources.js";
import { AccessModel } from "./access-model.js";
import { namespaceLabelsOfCluster, readIdentities, readPolicies } from "./cluster-state.js";
import { ioOf } from "./context.js";
import { InternalError, UsageError } from "./exit-codes.js";
import { loadFromOptions } from "./load.js";
import { objectId, whereFrom } from "./manifests.js";
import { kubeClientOf, renderConfigOf, type ClusterOptions, type FileOptions, type RenderSettingOptions } from "./options.js";
import type { ProvenanceContext } from "./provenance.js";
import { lookupFor, namespaceTenantsOf, renderAll } from "./render-set.js";
import { renderWarnings, tenancyWarnings } from "./render-warnings.js";

export interface AccessSourceOptions extends FileOptions, RenderSettingOptions, ClusterOptions {
  live?: boolean;
  rootNamespace?: string;
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
}

export async function loadAccessSources(command: Command, options: AccessSourceOptions): Promise<AccessSources> {
  const rootNamespace = options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  if (options.live) {
    if (options.filename?.length) throw new UsageError("use either -f (files) or --live (the cluster), not both");
    return loadLive(command, options, rootNamespace);
  }
  const { manifests, config } = await loadFromOptions(command, options);
  const rendered = renderAll(manifests, config);
  for (const line of [...tenancyWarnings(manifests, config), ...renderWarnings(rendered.policies)]) ioOf(command).err(`nexus: warning: ${line}\n`);
  const istioPolicies = [
    ...(rendered.objects.filter((o) => o.kind === "AuthorizationPolicy") as unknown as AuthorizationPolicyObject[]),
    ...manifests.istioPolicies,
  ];
  const fileOf = (policy: AccessPolicy) => {
    const doc = manifests.origins.get(objectId("AccessPolicy", policy.metadata.namespace, policy.metadata.name));
    return doc ? whereFrom(doc) : undefined;
  };
  return {
    identities: manifests.identities,
    policies: manifests.policies,
    lookup: rendered.lookup,
    model: new AccessModel(istioPolicies, rootNamespace),
    provenance: { istioPolicies, accessPolicies: manifests.policies, lookup: rendered.lookup, config, fileOf },
    config,
    leftOut: new Map(rendered.policies.map(({ policy, result }) => [`${policy.metadata.namespace}/${policy.metadata.name}`, result.unresolved])),
  };
}

async function loadLive(command: Command, options: AccessSourceOptions, rootNamespace: string): Promise<AccessSources> {
  const io = ioOf(command);
  const config = renderConfigOf(options, io.env);
  const client = await kubeClientOf(options, io.env);
  try {
    const [identities, policies, istio, namespaceLabels] = await Promise.all([
      readIdentities(client),
      readPolicies(client),
      client.list<KubeObject>(resources.authorizationPolicy).catch((err: Error) => {
        throw new InternalError(`cannot list authorizationpolicies.security.istio.io: ${err.message}`);
      }),
      namespaceLabelsOfCluster(client),
    ]);
    const istioPolicies = istio.items as unknown as AuthorizationPolicyObject[];
    const lookup = lookupFor(identities, [], namespaceTenantsOf(namespaceLabels, config));
    return {
      identities,
      policies,
      lookup,
      model: new AccessModel(istioPolicies, rootNamespace),
      provenance: { istioPolicies, accessPolicies: policies, lookup, config },
      config,
      // The operator's own account of what it left out, from each policy's status.
      leftOut: new Map(policies.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.status?.unresolved ?? []])),
    };
  } finally {
    client.close();
  }
}
