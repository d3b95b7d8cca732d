// The ambient row of the scale benchmark: the same size with half the namespaces on ambient
// (a waypoint each), measured against its own floor and compared with the sidecar-only runs
// of the same benchmark. The ambient form writes more objects (ztunnel's and the waypoint's
// AuthorizationPolicy per policy), so its cost is judged by how it scales with what it
// writes: its ratio to its own floor, and its objects beside the sidecar-only count.
import { splitWrites } from "./audit-counter.js";
import { runtimeLabel } from "./chart-runtime.js";
import { mb, msec, secs, type Row } from "./report.js";
import { syncRatio, type SizeResult } from "./size-result.js";
import { percentile } from "./stats.js";

/** Goals hold at N >= 10,000, as the sidecar-only rows' do. */
export const AMBIENT_RATIO_GOAL = 1.05;
export const AMBIENT_OBJECTS_GOAL = 1.6;
const PEAK_RSS_GOAL_BYTES = 300e6;

/**
 * `sidecar`: the sidecar-only run of the same size whose sync ratio is the median (absent when
 * that size ran only ambient). With `runs`, `r` is the median of the ambient runs, each run's
 * ratio is listed beside it, and the peak RSS is the highest of them.
 */
export function ambientRows(r: SizeResult, sidecar: SizeResult | undefined, quietSeconds: number, runs?: readonly SizeResult[]): Row[] {
  const size = r.size;
  const op = r.operator;
  const full = size >= 10_000;
  const ratio = syncRatio(r);
  const written = splitWrites(op.initialWrites);
  const quiet = splitWrites(op.quietWrites);
  const sidecarRatio = sidecar ? syncRatio(sidecar) : undefined;
  const sidecarObjects = sidecar ? splitWrites(sidecar.operator.initialWrites).objects : undefined;
  const lat = op.latency.renderedMs;
  const peakRss = Math.max(op.peakRssBytes, ...(runs ?? []).map((x) => x.operator.peakRssBytes));
  const rows: Row[] = [
    {
      size,
      metric: "ambient (half the namespaces): workload",
      value: `${size} identities + ${size} policies, ${r.workload.ambientNamespaces ?? 0} of ${r.workload.namespaces} namespaces ambient (a waypoint each), ${r.workload.services ?? 0} Services`,
      goal: "",
    },
    { size, metric: "  ambient: operator initial sync (start -> all Ready)", value: `${secs(op.initialSyncMs)} (cache sync ${secs(op.cacheSyncMs)})`, goal: "" },
    { size, metric: "  ambient: floor objects; then status", value: `${secs(r.floor.objectsMs)} (${r.floor.objects} objects); ${secs(r.floor.statusMs)} (${r.floor.statuses} statuses)`, goal: "" },
    {
      size,
      metric: `  ambient: ratio operator / own floor (objects + status)${runs && runs.length > 1 ? `, median of ${runs.length} runs,` : ""} vs sidecar-only median`,
      value:
        (sidecarRatio !== undefined ? `${ratio.toFixed(2)} vs ${sidecarRatio.toFixed(2)} (x${(ratio / sidecarRatio).toFixed(2)})` : `${ratio.toFixed(2)} (no sidecar-only run of this size)`) +
        (runs && runs.length > 1 ? ` (runs ${runs.map((x) => syncRatio(x).toFixed(2)).join(", ")})` : ""),
      goal: full ? `<= ${AMBIENT_RATIO_GOAL.toFixed(2)} x sidecar-only` : "",
      ...(full ? { pass: sidecarRatio !== undefined && ratio <= AMBIENT_RATIO_GOAL * sidecarRatio } : {}),
    },
    {
      size,
      metric: "  ambient: operator writes objects / status / events; objects vs sidecar-only",
      value: `${written.objects} / ${written.status} / ${written.events}; ${sidecarObjects !== undefined ? `x${(written.objects / sidecarObjects).toFixed(2)} of ${sidecarObjects}` : "no sidecar-only run"}`,
      goal: full ? `objects <= ${AMBIENT_OBJECTS_GOAL} x sidecar-only` : "",
      ...(full ? { pass: sidecarObjects !== undefined && written.objects <= AMBIENT_OBJECTS_GOAL * sidecarObjects } : {}),
    },
    {
      size,
      metric: `  ambient: operator peak RSS, ${runtimeLabel()}${runs && runs.length > 1 ? ", the highest of the runs" : ""}`,
      value: `${mb(peakRss)} (heap used ${mb(op.heapUsedBytes)}${runs && runs.length > 1 ? " in the median run" : ""})`,
      goal: full ? "<= 300 MB" : "",
      ...(full ? { pass: peakRss <= PEAK_RSS_GOAL_BYTES } : {}),
    },
    { size, metric: "  ambient: rendered policy hashes differing from the pure renderer", value: String(op.policyHashMismatches), goal: "0", pass: op.policyHashMismatches === 0 },
    {
      size,
      metric: `  ambient: writes in ${quietSeconds} s of steady state: objects + status / Events`,
      value: `${quiet.objects + quiet.status} / ${quiet.events}`,
      goal: "0 / 0",
      pass: op.quietWrites.total === 0,
    },
    {
      size,
      metric: "  ambient: writes during forced resync; after operator restart",
      value: `${op.apiserverRestart.writes.total}; ${op.operatorRestart.writes.total}`,
      goal: "0; 0",
      pass: op.apiserverRestart.writes.total === 0 && op.operatorRestart.writes.total === 0,
    },
    {
      size,
      metric: `  ambient: edit -> AuthorizationPolicy latency p50 / p99 (${lat.length} edits, the waypoint's for ambient targets)`,
      value: `${msec(percentile(lat, 50))} / ${msec(percentile(lat, 99))}${op.latency.wrong > 0 ? ` (${op.latency.wrong} without the new caller)` : ""}`,
      goal: "",
    },
  ];
  return rows;
}
