// Server-side apply takes over only the fields it sets: a field another field manager added
// to the spec of an object we write, and that we never set, survives every apply of ours
// (rules added to a policy that admits nobody, a selector added to the namespace baseline,
// isCA added to an identity's Certificate). After an apply whose answer shows another
// manager owning part of the spec, the object is read and, when it holds anything but what
// we wrote, its spec is replaced whole, guarded by its resourceVersion (a conflict fails the
// write, which the reconcile retries), by a patch: the verb the chart grants on these kinds.
import { othersOwnSpec } from "./apply-if-changed.js";
import type { KubeClient, KubeObject } from "./kube-client.js";
import { resourceOf } from "./resources.js";

/**
 * The object as it stands after `replaceSpecOthersAdded`: read (it held only what we wrote),
 * replaced (it held more), or undefined when no other manager owns a part of its spec.
 */
export async function replaceSpecOthersAdded(
  client: KubeClient,
  desired: KubeObject & { spec?: unknown },
  applied: { metadata: KubeObject["metadata"] },
  holdsOnlyDesired: (full: KubeObject) => boolean,
): Promise<KubeObject | undefined> {
  if (!othersOwnSpec(applied.metadata)) return undefined;
  const type = resourceOf(desired.apiVersion, desired.kind);
  const full = await client.get<KubeObject>(type, desired.metadata.name, desired.metadata.namespace);
  if (holdsOnlyDesired(full)) return full;
  return client.replaceSpec<KubeObject>(type, desired.metadata.name, desired.metadata.namespace, full.metadata.resourceVersion!, desired.spec);
}
