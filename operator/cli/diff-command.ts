// `nexus diff`: what applying the given manifests would change in the objects the operator
// writes, as a unified diff against the live cluster. Read-only: only GET and LIST.
import type { Command } from "commander";
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import type { ServiceFacts } from "../dataplane/detect.js";
import { BASELINE_LABEL, IDENTITY_LABEL, POLICY_LABEL } from "../render/metadata.js";
import type { KubeObject } from "../runtime/kube-client.js";
import { baselineDisabledNamespaces, dataPlaneObjectsOfCluster, identityFactsOfCluster, namespaceLabelsOfCluster, readIdentities, readPolicies, readRendered } from "./cluster-state.js";
import { ioOf, raiseExitCode, useColor } from "./context.js";
import { ExitCode } from "./exit-codes.js";
import { nextGeneration } from "./generation.js";
import { loadFromOptions } from "./load.js";
import { namespacesOf } from "./manifests.js";
import { colorPatch, diffObjects } from "./object-diff.js";
import { addClusterOptions, addFileOptions, addRenderSettingOptions, kubeClientOf, outputOption, type ClusterOptions, type FileOptions, type RenderSettingOptions } from "./options.js";
import { namespaceTenantsOf, renderAll } from "./render-set.js";

interface DiffOptions extends FileOptions, RenderSettingOptions, ClusterOptions {
  output: "text" | "json";
}

export function registerDiff(program: Command): void {
  const command = program
    .command("diff")
    .summary("show what applying the manifests would change in the cluster's rendered objects")
    .description(
      "Render the given EngineIdentities and AccessPolicies as the operator would once they are applied, " +
        "and compare with the objects the operator has written to the cluster: objects added, changed or removed, " +
        "as a unified diff. Only objects the given sources own are compared (their Istio policies and Certificates, " +
        "and the baseline of their namespaces). Read-only. Exit code 0: no difference, 1: differences, 2: bad input, " +
        "3: the cluster could not be read.",
    );
  addFileOptions(command);
  addClusterOptions(command);
  addRenderSettingOptions(command);
  command
    .addOption(outputOption(["text", "json"], "text"))
    .addHelpText("after", "\nExamples:\n  nexus diff -f examples/\n  nexus diff -R -f policies/ --context prod -o json\n")
    .action(async (options: DiffOptions, cmd: Command) => {
      const io = ioOf(cmd);
      const { manifests, config } = await loadFromOptions(cmd, options);
      const client = await kubeClientOf(options, io.env);
      try {
        const namespaces = namespacesOf(manifests);
        const namespaceLabels = await namespaceLabelsOfCluster(client);
        const [known, disabled, liveIdentities, livePolicies, liveRendered, dataPlaneObjects] = await Promise.all([
          identityFactsOfCluster(client, namespaceTenantsOf(namespaceLabels, config)),
          baselineDisabledNamespaces(client),
          readIdentities(client, namespaces),
          readPolicies(client, namespaces),
          readRendered(client, namespaces),
          dataPlaneObjectsOfCluster(client),
        ]);
        const identities = manifests.identities.map((i) => withGeneration(i, liveIdentities));
        const policies = manifests.policies.map((p) => withGeneration(p, livePolicies));
        // Namespaces, Services and Gateways in the files stand for changes to apply; the cluster's otherwise.
        const namespaceLabelsAfter = new Map([...namespaceLabels, ...manifests.namespaces]);
        const services = servicesAfter(dataPlaneObjects.services, manifests.services);
        const gateways = new Map([...dataPlaneObjects.gateways, ...manifests.gateways]);
        const rendered = renderAll({ identities, policies, knownIdentities: known, baselineDisabled: disabled, namespaces: namespaceLabelsAfter, services, gateways }, config);
        const owned = ownershipOf(identities, policies);
        const changes = diffObjects(rendered.objects, liveRendered.filter(owned));
        if (options.output === "json") {
          io.out(`${JSON.stringify(changes, null, 2)}\n`);
        } else {
          const color = useColor(io);
          for (const change of changes) io.out(color ? colorPatch(change.patch) : change.patch);
        }
        const count = (kind: string) => changes.filter((c) => c.kind === kind).length;
        io.err(changes.length === 0 ? "nexus: no differences\n" : `nexus: ${changes.length} object(s) differ: ${count("added")} added, ${count("changed")} changed, ${count("removed")} removed\n`);
        if (changes.length > 0) raiseExitCode(cmd, ExitCode.Findings);
      } finally {
        client.close();
      }
    });
}

/** The cluster's Services with those of the files in place of the ones of the same name. */
function servicesAfter(live: ReadonlyMap<string, ServiceFacts[]>, given: ReadonlyMap<string, ServiceFacts[]>): Map<string, ServiceFacts[]> {
  const after = new Map(live);
  for (const [namespace, services] of given) {
    const names = new Set(services.map((service) => service.name));
    after.set(namespace, [...(live.get(namespace) ?? []).filter((service) => !names.has(service.name)), ...services]);
  }
  return after;
}

function withGeneration<T extends EngineIdentity | AccessPolicy>(object: T, live: readonly T[]): T {
  const current = live.find((l) => l.metadata.namespace === object.metadata.namespace && l.metadata.name === object.metadata.name);
  return { ...object, metadata: { ...object.metadata, generation: nextGeneration(object.spec, current) } };
}

/** Live objects that the given sources own: theirs to change or remove. */
function ownershipOf(identities: EngineIdentity[], policies: AccessPolicy[]): (live: KubeObject) => boolean {
  const policyKeys = new Set(policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
  const identityKeys = new Set(identities.map((i) => `${i.metadata.namespace}/${i.metadata.name}`));
  return (live) => {
    const labels = live.metadata.labels ?? {};
    const ns = live.metadata.namespace ?? "";
    if (labels[BASELINE_LABEL] === "true") return true;
    if (labels[POLICY_LABEL] !== undefined) return policyKeys.has(`${ns}/${labels[POLICY_LABEL]}`);
    if (labels[IDENTITY_LABEL] !== undefined) return identityKeys.has(`${ns}/${labels[IDENTITY_LABEL]}`);
    return false;
  };
}
