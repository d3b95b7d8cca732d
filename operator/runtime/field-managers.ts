// Who else writes an object. Caches drop managedFields to save memory; for the objects the
// operator renders, the names of the other field managers are kept (most recent first),
// so a repaired drift can name its writer. Nothing is kept for an object only we manage,
// which is nearly every one of them.
import type { KubeObject } from "./kube-client.js";

const OTHER_MANAGERS = Symbol("otherFieldManagers");
type WithManagers = KubeObject & { [OTHER_MANAGERS]?: readonly string[] };

interface ManagedFieldsEntry {
  manager?: string;
  time?: string;
  subresource?: string;
}

/**
 * Call before managedFields are dropped. Entries of a subresource (status written by a
 * mesh component) are not changes to what we render, so they do not count.
 */
export function rememberOtherFieldManagers(object: KubeObject, ownManager: string): void {
  const entries = object.metadata?.managedFields as ManagedFieldsEntry[] | undefined;
  if (!Array.isArray(entries)) return;
  const others = entries
    .filter((e) => e.manager && e.manager !== ownManager && !e.subresource)
    .sort((a, b) => (b.time ?? "").localeCompare(a.time ?? ""))
    .map((e) => e.manager as string);
  if (others.length > 0) (object as WithManagers)[OTHER_MANAGERS] = [...new Set(others)];
}

/** Field managers other than ours that own part of the object, the latest writer first. */
export function otherFieldManagers(object: KubeObject): readonly string[] {
  return (object as WithManagers)[OTHER_MANAGERS] ?? [];
}
