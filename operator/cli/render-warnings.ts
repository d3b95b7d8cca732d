// What the operator would report in an AccessPolicy's Resolved condition, told on stderr
// so a reviewer sees a left-out source or an unresolved target before it is applied.
import type { RenderedPolicy } from "./render-set.js";

export function renderWarnings(policies: readonly RenderedPolicy[]): string[] {
  const lines: string[] = [];
  for (const { policy, result } of policies) {
    const name = `AccessPolicy ${policy.metadata.namespace}/${policy.metadata.name}`;
    if (!result.target.resolved) lines.push(`${name}: ${result.target.message ?? result.target.reason ?? "the target does not resolve"}`);
    for (const source of result.unresolved) lines.push(`${name}: source left out (${source.reason}): ${source.message}`);
  }
  return lines;
}
