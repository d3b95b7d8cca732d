// Rendered objects against live ones: which are added, changed or removed, and the unified
// diff of each, compared in the form `nexus render` prints (keys sorted, server fields,
// owner references and applied-hash bookkeeping left out).
import { createTwoFilesPatch } from "diff";
import type { KubeObject } from "../runtime/kube-client.js";
import { comparableLiveObject, comparableRenderedObject, withoutSourceGeneration } from "./live-objects.js";
import { objectToYaml } from "./serialize.js";

export type ChangeKind = "added" | "changed" | "removed";

export interface ObjectChange {
  kind: ChangeKind;
  /** `apiVersion/Kind/namespace/name` */
  id: string;
  patch: string;
}

function idOf(object: KubeObject): string {
  return `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

/** `live` holds only the objects in scope (those the given sources would own). Sorted by id. */
export function diffObjects(rendered: readonly KubeObject[], live: readonly KubeObject[]): ObjectChange[] {
  const wanted = new Map(rendered.map((o) => [idOf(o), objectToYaml(withoutSourceGeneration(comparableRenderedObject(o)))]));
  const existing = new Map(live.map((o) => [idOf(o), objectToYaml(withoutSourceGeneration(comparableLiveObject(o)))]));
  const changes: ObjectChange[] = [];
  for (const id of [...new Set([...wanted.keys(), ...existing.keys()])].sort()) {
    const before = existing.get(id) ?? "";
    const after = wanted.get(id) ?? "";
    if (before === after) continue;
    const kind: ChangeKind = before === "" ? "added" : after === "" ? "removed" : "changed";
    const patch = createTwoFilesPatch(before === "" ? "/dev/null" : `live/${id}`, after === "" ? "/dev/null" : `rendered/${id}`, before, after, undefined, undefined, { context: 3 });
    changes.push({ kind, id, patch: patch.replace(/^=+\n/, "") });
  }
  return changes;
}

export function colorPatch(patch: string): string {
  return patch
    .split("\n")
    .map((line) => {
      if (line.startsWith("+++") || line.startsWith("---")) return `\u001b[1m${line}\u001b[0m`;
      if (line.startsWith("+")) return `\u001b[32m${line}\u001b[0m`;
      if (line.startsWith("-")) return `\u001b[31m${line}\u001b[0m`;
      if (line.startsWith("@@")) return `\u001b[36m${line}\u001b[0m`;
      return line;
    })
    .join("\n");
}
