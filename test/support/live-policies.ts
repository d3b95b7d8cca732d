// The AuthorizationPolicies of one namespace as the apiserver holds them, kept current from a
// watch, and judged after every event: the reliability tests poll the evaluator on every
// state the live objects pass through (never a sleep-and-sample).
import { KubeConfig } from "@kubernetes/client-node";
import { ResourceWatch } from "../../bench/watch.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";

/** Fills `live` from a list, then calls `judge` once and after every change; stop() ends the watch. */
export async function judgeLivePolicies(
  kubeconfigPath: string,
  client: KubeClient,
  namespace: string,
  live: Map<string, KubeObject>,
  judge: () => void,
  labelSelector?: string,
): Promise<ResourceWatch> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  let listed = false;
  const watch = new ResourceWatch(
    config,
    client,
    resources.authorizationPolicy,
    (type, object) => {
      if (object.metadata.namespace !== namespace) return;
      if (type === "DELETED") live.delete(object.metadata.name);
      else live.set(object.metadata.name, object);
      if (listed) judge();
    },
    labelSelector ? { labelSelector } : undefined,
  );
  await watch.start();
  listed = true;
  judge();
  return watch;
}
