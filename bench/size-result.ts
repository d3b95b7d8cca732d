// One measured run of the scale benchmark at one size: what scale.ts keeps and reports.
import type { FloorResult } from "./floor.js";
import type { LiveRunResult } from "./live-run.js";
import type { OperatorRunResult } from "./operator-run.js";
import type { RenderThroughput } from "./render-throughput.js";

export interface SizeResult {
  size: number;
  workload: {
    namespaces: number;
    tenants: number;
    identities: number;
    policies: number;
    renderedObjectBytes: number;
    /** Ambient run only: namespaces on ambient (each with a waypoint) and the Services created for their identities. */
    ambientNamespaces?: number;
    services?: number;
  };
  render: RenderThroughput[];
  floor: Omit<FloorResult, "policyHashes">;
  operator: Omit<OperatorRunResult, "policyHashes"> & { policyHashMismatches: number };
  live?: LiveRunResult;
}

/** The operator's initial sync over its floor's objects and status writes. */
export function syncRatio(r: SizeResult): number {
  return r.operator.initialSyncMs / (r.floor.objectsMs + r.floor.statusMs);
}

/** The run whose sync ratio is the median of the runs (the lower of the two middle ones). */
export function medianRun(runs: readonly SizeResult[]): SizeResult {
  const byRatio = [...runs].sort((a, b) => syncRatio(a) - syncRatio(b));
  return byRatio[Math.floor((byRatio.length - 1) / 2)]!;
}
