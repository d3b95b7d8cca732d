// `make bench`: the scale benchmark. For each size N (BENCH_SIZES, default 1000,10000):
// pure render throughput, the floor (a bare client writing what the operator writes), the
// operator binary's initial sync, steady state, edit latency, apiserver and operator
// restarts, and (BENCH_LIVE=1, default) the operator running while the workload is applied.
// Prints a table and writes .bench/results.json. Ratios are meaningful within one run only.
//
//   BENCH_SIZES=1000            only the small size
//   BENCH_CONCURRENCY=8         operator --concurrency and the clients' requests in flight
//   BENCH_LATENCY_SAMPLES=50    edits for the latency percentiles
//   BENCH_LIVE=0                skip the operator-running-while-applying phase
//   BENCH_CPU_PROF=1            node --cpu-prof on the operator (perturbs timings), summarised
//   BENCH_HEAP_PROF=1           node --heap-prof on the operator: what it holds at exit
//                               (npx tsx bench/heap-profile-summary.ts .bench/profiles/<file>)
//   BENCH_APISERVER_PROF=1      pprof CPU profiles of the kube-apiserver over the whole of the
//                               operator's sync and of the floor's writes, in windows of 20 s
//                               (BENCH_APISERVER_PROF_SECONDS), in .bench/profiles/ (`go tool
//                               pprof -top <one phase's files>` merges them; -diff_base compares),
//                               and the apiserver's request and watch counters of both, logged
//   BENCH_SKIP_BUILD=1          use dist/ as it is
//   BENCH_BURST=1000            policies changed at once in the GitOps burst (at most N/10; 0: none)
//   BENCH_LARGE_TENANT=5000     members of the large-tenant row's tenant (0: skip the row)
//   BENCH_RUNS=3                runs at each size of 10,000 or more (the sync ratio is the
//                               median of them; each run is printed); smaller sizes run once
//   BENCH_AMBIENT=0             skip the ambient row: after the sidecar-only runs, runs at each
//                               size with half the namespaces ambient (a waypoint and a Service
//                               per identity each), against their own floors (default 1), as many
//                               as the sidecar-only runs of that size, so that median is compared
//                               with median
import { ambientRows } from "./ambient-report.js";
import { splitWrites } from "./audit-counter.js";
import { burstEdits } from "./burst.js";
import { compileOperator } from "./compile.js";
import { runLargeTenantPhase, largeTenantRows, type LargeTenantResult } from "./large-tenant.js";
import { runtimeLabel } from "./chart-runtime.js";
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "../test/controlplane/binaries.js";
import { startBenchCluster } from "./cluster.js";
import { runFloor, type FloorResult } from "./floor.js";
import { runLivePhase } from "./live-run.js";
import { runOperatorPhase } from "./operator-run.js";
import { formatSummary, summariseFile } from "./profile-summary.js";
import { renderThroughput } from "./render-throughput.js";
import { formatTable, mb, msec, secs, type Row } from "./report.js";
import { medianRun, syncRatio, type SizeResult } from "./size-result.js";
import { percentile } from "./stats.js";
import { buildWorkload, type Workload } from "./workload.js";

const env = process.env;
const sizes = (env.BENCH_SIZES ?? "1000,10000").split(",").map((s) => Number(s.trim())).filter((n) => n > 0);
const concurrency = Number(env.BENCH_CONCURRENCY ?? 8);
const latencySamples = Number(env.BENCH_LATENCY_SAMPLES ?? 50);
const live = env.BENCH_LIVE !== "0";
const cpuProfile = env.BENCH_CPU_PROF === "1";
const burstSize = Number(env.BENCH_BURST ?? 1000);
const largeTenantMembers = Number(env.BENCH_LARGE_TENANT ?? 5000);
const runsAtFullSize = Math.max(1, Number(env.BENCH_RUNS ?? 3));
const ambient = env.BENCH_AMBIENT !== "0";
const quietSeconds = Number(env.BENCH_QUIET_SECONDS ?? 10);
const outDir = path.join(repoRoot, ".bench");
const runStarted = performance.now();

const log = (line: string) => process.stdout.write(`[${secs(performance.now() - runStarted).padStart(7)}] ${line}\n`);

async function main(): Promise<void> {
  await mkdir(path.join(outDir, "logs"), { recursive: true });
  if (cpuProfile) await rm(path.join(outDir, "profiles"), { recursive: true, force: true });
  await mkdir(path.join(outDir, "profiles"), { recursive: true });
  compileOperator(log);
  // Resolve the control plane binaries and third-party CRDs once, outside any clock.
  await (await startBenchCluster()).stop();

  const rows: Row[] = [];
  const results: SizeResult[] = [];
  const runsOf = new Map<number, SizeResult[]>();
  for (const size of sizes.flatMap((n) => Array.from({ length: n >= 10_000 ? runsAtFullSize : 1 }, () => n))) {
    const sizeStarted = performance.now();
    const run = (runsOf.get(size)?.length ?? 0) + 1;
    const workload = buildWorkload({ size });
    log(`N=${size}: ${workload.namespaces.length} namespaces, ${workload.tenants} tenants, concurrency ${concurrency}`);
    const render = renderThroughput(workload);
    log(`N=${size}: render ${render.map((r) => `${r.lookup} ${r.policiesPerSecond.toFixed(0)}/s`).join(", ")}`);
    const burst = burstEdits(workload, Math.min(burstSize, Math.floor(size / 10)));
    const result = await measureRun(workload, { render, burst, live, floorFirst: run % 2 === 1 });
    results.push(result);
    runsOf.set(size, [...(runsOf.get(size) ?? []), result]);
    // Printed now too, so that a later phase that fails does not take these numbers with it.
    log(`N=${size} run ${run}: done in ${secs(performance.now() - sizeStarted)}\n${formatTable(rowsOf(result))}`);
  }
  // The ambient row: runs per size with half the namespaces ambient, after the sidecar-only
  // runs they are compared with. No burst and no live phase: their floors are sidecar-only.
  const ambientRunsOf = new Map<number, SizeResult[]>();
  if (ambient) {
    for (const size of new Set(sizes)) {
      // A single run against the median of three would judge one draw of the machine's spread
      // against the middle of three; the same number of runs, floor first in odd ones, as above.
      const runs = runsOf.get(size)?.length ?? 1;
      for (let run = 1; run <= runs; run++) {
        const sizeStarted = performance.now();
        const workload = buildWorkload({ size, ambientEvery: 2 });
        log(`N=${size} ambient run ${run} of ${runs}: ${workload.ambient!.namespaceLabels.size} of ${workload.namespaces.length} namespaces ambient, ${workload.ambient!.services.length} Services`);
        const result = await measureRun(workload, { render: [], burst: [], live: false, floorFirst: run % 2 === 1 });
        ambientRunsOf.set(size, [...(ambientRunsOf.get(size) ?? []), result]);
        const sidecarRuns = runsOf.get(size);
        log(`N=${size} ambient run ${run}: done in ${secs(performance.now() - sizeStarted)}\n${formatTable(ambientRows(result, sidecarRuns && medianRun(sidecarRuns), quietSeconds))}`);
      }
    }
  }
  // Each size's table is that of its median run by the sync ratio; every run's ratios beside
  // it; then its ambient row.
  for (const [size, runs] of runsOf) {
    const median = medianRun(runs);
    rows.push(...rowsOf(median, runs.length > 1 ? runs : undefined));
    const ambientRuns = ambientRunsOf.get(size);
    if (ambientRuns) rows.push(...ambientRows(medianRun(ambientRuns), median, quietSeconds, ambientRuns));
  }
  let largeTenant: LargeTenantResult | undefined;
  if (largeTenantMembers > 0) {
    largeTenant = await runLargeTenantPhase({ members: largeTenantMembers, concurrency, outDir, samples: Number(env.BENCH_TENANT_SAMPLES ?? 20), log, ...(cpuProfile ? { cpuProfileDir: path.join(outDir, "profiles") } : {}) });
    rows.push(...largeTenantRows(largeTenant));
  }

  const table = formatTable(rows);
  const totalMs = performance.now() - runStarted;
  process.stdout.write(`\n${table}\n\nbenchmark run took ${secs(totalMs)} (sizes ${sizes.join(", ")}, concurrency ${concurrency})\n`);
  let profiles: Array<{ file: string; summary: string }> = [];
  if (cpuProfile) profiles = await summariseProfiles();
  await writeFile(
    path.join(outDir, "results.json"),
    JSON.stringify({ startedAt: new Date(Date.now() - totalMs).toISOString(), runMs: Math.round(totalMs), concurrency, cpuProfile, rows, results, ambient: [...ambientRunsOf.values()].flat(), largeTenant, profiles: profiles.map((p) => p.file) }, null, 2),
  );
  process.stdout.write(`results: ${path.relative(repoRoot, path.join(outDir, "results.json"))}\n`);
  if (cpuProfile) {
    process.stdout.write("note: BENCH_CPU_PROF=1 profiles the operator, which slows it; judge timings from a run without it\n");
  }
}

/**
 * One run at the workload's size: its floor, the operator phase, optionally the live phase,
 * and the hash comparison. The floor goes first in odd runs and second in even ones: each
 * phase has its own control plane, but the shared machine's speed drifts within a run, and a
 * fixed order would hand any drift tied to the order to one side.
 */
async function measureRun(workload: Workload, how: { render: SizeResult["render"]; burst: ReturnType<typeof burstEdits>; live: boolean; floorFirst: boolean }): Promise<SizeResult> {
  const size = workload.size;
  const options = { workload, concurrency, outDir, latencySamples, cpuProfile, quietSeconds, burst: how.burst, log };
  let floor: FloorResult | undefined;
  if (how.floorFirst) floor = await floorPhase(workload, how.burst);
  const operator = await runOperatorPhase(options);
  floor ??= await floorPhase(workload, how.burst);
  const liveResult = how.live ? await runLivePhase({ ...options, cpuProfile: false }) : undefined;
  let mismatches = 0;
  for (const [key, hash] of floor.policyHashes) if (operator.policyHashes.get(key) !== hash) mismatches++;
  const { policyHashes: _f, ...floorRest } = floor;
  const { policyHashes: _o, ...operatorRest } = operator;
  return {
    size,
    workload: {
      namespaces: workload.namespaces.length,
      tenants: workload.tenants,
      identities: size,
      policies: size,
      renderedObjectBytes: floor.objectBytes,
      ...(workload.ambient ? { ambientNamespaces: workload.ambient.namespaceLabels.size, services: workload.ambient.services.length } : {}),
    },
    render: how.render,
    floor: floorRest,
    operator: { ...operatorRest, policyHashMismatches: mismatches },
    ...(liveResult ? { live: liveResult } : {}),
  };
}

async function floorPhase(workload: Workload, burst: ReturnType<typeof burstEdits>): Promise<FloorResult> {
  const cluster = await startBenchCluster();
  try {
    return await runFloor(cluster, workload, concurrency, log, burst);
  } finally {
    await cluster.stop();
  }
}

function cpuRatio(r: SizeResult): number {
  return r.operator.initialCpu.total! / (r.floor.objectsCpu.total! + r.floor.statusCpu.total!);
}

/** The rows of one run; with `runs`, the ratio row is the median of them and each run is listed. */
function rowsOf(r: SizeResult, runs?: SizeResult[]): Row[] {
  const size = r.size;
  const op = r.operator;
  const ratio = syncRatio(r);
  const full = size >= 10_000;
  const written = splitWrites(op.initialWrites);
  const quiet = splitWrites(op.quietWrites);
  const lat = op.latency.renderedMs;
  const p99 = percentile(lat, 99);
  const rows: Row[] = [
    { size, metric: "workload", value: `${size} identities + ${size} policies, ${r.workload.namespaces} namespaces, ${r.workload.tenants} tenants`, goal: "" },
    { size, metric: "operator initial sync (start -> all Ready)", value: secs(op.initialSyncMs), goal: "" },
    { size, metric: "  of which cache sync (start -> controllers started)", value: secs(op.cacheSyncMs), goal: "" },
    { size, metric: "floor: bare client writes the same objects", value: `${secs(r.floor.objectsMs)} (${r.floor.objects} objects)`, goal: "" },
    { size, metric: "floor: then the same status writes", value: `${secs(r.floor.statusMs)} (${r.floor.statuses} statuses)`, goal: "" },
    {
      size,
      metric: runs ? `ratio operator / floor (objects + status), median of ${runs.length} runs` : "ratio operator / floor (objects + status)",
      value: runs ? `${ratio.toFixed(2)} (runs ${runs.map((x) => syncRatio(x).toFixed(2)).join(", ")}; CPU ${runs.map((x) => cpuRatio(x).toFixed(2)).join(", ")})` : ratio.toFixed(2),
      goal: full ? "<= 1.10" : "",
      ...(full ? { pass: ratio <= 1.1 } : {}),
    },
    { size, metric: "ratio operator / floor (objects only)", value: (op.initialSyncMs / r.floor.objectsMs).toFixed(2), goal: "" },
    { size, metric: "operator writes in initial sync (floor: objects + status)", value: `${op.initialWrites.total} (${r.floor.objects} + ${r.floor.statuses})`, goal: "" },
    { size, metric: "  operator writes: objects / status / events", value: `${written.objects} / ${written.status} / ${written.events}`, goal: full ? "objects <= 20,500" : "", ...(full ? { pass: written.objects <= 20_500 } : {}) },
    { size, metric: "CPU s, floor objects: total (apiserver, etcd, kcm, client)", value: cpuText(r.floor.objectsCpu, "bench"), goal: "" },
    { size, metric: "CPU s, operator initial sync: total (apiserver, etcd, kcm, operator)", value: cpuText(op.initialCpu, "operator"), goal: "" },
    { size, metric: "CPU ratio operator / floor (objects; objects + status)", value: `${(op.initialCpu.total! / r.floor.objectsCpu.total!).toFixed(2)}; ${(op.initialCpu.total! / (r.floor.objectsCpu.total! + r.floor.statusCpu.total!)).toFixed(2)}`, goal: "" },
    { size, metric: "rendered policy hashes differing from the pure renderer", value: String(op.policyHashMismatches), goal: "0", pass: op.policyHashMismatches === 0 },
    {
      size,
      metric: `writes in ${quietSeconds} s of steady state: objects + status / Events`,
      value: `${quiet.objects + quiet.status} / ${quiet.events} (from ${secs(op.eventsDrainedMs)}, Event queue empty)`,
      goal: "0 / 0",
      pass: op.quietWrites.total === 0,
    },
    { size, metric: "writes during forced resync (apiserver restart)", value: `${op.apiserverRestart.writes.total} (${op.apiserverRestart.reconciles} reconciles)`, goal: "0", pass: op.apiserverRestart.writes.total === 0 },
    { size, metric: "writes after operator restart (until idle)", value: `${op.operatorRestart.writes.total} (${op.operatorRestart.reconciles} reconciles)`, goal: "0", pass: op.operatorRestart.writes.total === 0 },
    { size, metric: "operator restart: start -> idle", value: secs(op.operatorRestart.ms), goal: "" },
    { size, metric: `edit -> AuthorizationPolicy latency p50 (${lat.length} edits)`, value: msec(percentile(lat, 50)), goal: "" },
    { size, metric: "edit -> AuthorizationPolicy latency p99", value: msec(p99), goal: "< 250 ms", pass: p99 < 250 && op.latency.wrong === 0 },
    { size, metric: "edit -> AccessPolicy Ready p50 / p99", value: `${msec(percentile(op.latency.readyMs, 50))} / ${msec(percentile(op.latency.readyMs, 99))}`, goal: "" },
    {
      size,
      metric: `operator peak RSS (${size}+${size}), ${runtimeLabel()}`,
      value: `${mb(op.peakRssBytes)} (heap used ${mb(op.heapUsedBytes)})`,
      goal: full ? "<= 300 MB" : "",
      ...(full ? { pass: op.peakRssBytes <= 300e6 } : {}),
    },
    ...r.render.map((t) => ({ size, metric: `pure render throughput, ${t.lookup}`, value: `${t.policiesPerSecond.toFixed(0)} policies/s`, goal: "" })),
  ];
  if (op.burst && r.floor.burst) {
    const burstRatio = op.burst.ms / r.floor.burst.ms;
    const w = splitWrites(op.burst.writes);
    rows.push(
      { size, metric: `GitOps burst: ${op.burst.policies} policies changed at once -> all rendered and Ready`, value: `${secs(op.burst.ms)} (changes sent in ${secs(op.burst.editsMs)})`, goal: "" },
      { size, metric: "  floor: the same changes and writes", value: `${secs(r.floor.burst.ms)} (${r.floor.burst.writes} writes)`, goal: "" },
      { size, metric: "  ratio operator / floor", value: burstRatio.toFixed(2), goal: "<= 1.2", pass: burstRatio <= 1.2 },
      { size, metric: "  operator writes: objects / status / events", value: `${w.objects} / ${w.status} / ${w.events}`, goal: "" },
    );
  }
  if (r.live) {
    rows.push(
      { size, metric: "live: apply with operator running (first create -> all Ready)", value: `${secs(r.live.readyMs)} (creates took ${secs(r.live.inputsMs)})`, goal: "" },
      { size, metric: "live: operator writes / reconciles / peak RSS", value: `${r.live.writes.total} / ${r.live.reconciles} / ${mb(r.live.peakRssBytes)}`, goal: "" },
    );
  }
  return rows;
}

function cpuText(cpu: Record<string, number>, client: string): string {
  const f = (name: string) => (cpu[name] ?? 0).toFixed(1);
  return `${f("total")} (${f("kube-apiserver")}, ${f("etcd")}, ${f("kube-controller-manager")}, ${f(client)})`;
}

async function summariseProfiles(): Promise<Array<{ file: string; summary: string }>> {
  const dir = path.join(outDir, "profiles");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile"));
  const out: Array<{ file: string; summary: string }> = [];
  for (const file of files) {
    const full = path.join(dir, file);
    if ((await stat(full)).size === 0) continue;
    const summary = formatSummary(await summariseFile(full, 25));
    out.push({ file: path.relative(repoRoot, full), summary });
    await writeFile(`${full}.txt`, `${summary}\n`);
    process.stdout.write(`\n${path.relative(repoRoot, full)}\n${summary}\n`);
  }
  return out;
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
