// How the chart runs Node.js in its containers (charts/nexus-operator/values.yaml), so that the
// benchmarks measure the processes as a cluster runs them: the operator's heap cap and young
// generation, the credential gate's young generation, and glibc's malloc settings of both.
import { readFileSync } from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { repoRoot } from "../test/controlplane/binaries.js";

export interface ChartRuntime {
  /** operator.maxHeapMiB: --max-old-space-size. */
  heapCapMiB: number;
  /** operator.maxSemiSpaceMiB: --max-semi-space-size. */
  semiSpaceMiB: number;
  /** authz.maxSemiSpaceMiB: the credential gate's --max-semi-space-size. */
  gateSemiSpaceMiB: number;
  /** glibcTunables: GLIBC_TUNABLES of both containers; "" for glibc's defaults. */
  glibcTunables: string;
}

interface ChartValues {
  operator?: { maxHeapMiB?: unknown; maxSemiSpaceMiB?: unknown };
  authz?: { maxSemiSpaceMiB?: unknown };
  glibcTunables?: unknown;
}

export function chartRuntime(): ChartRuntime {
  const file = path.join(repoRoot, "charts", "nexus-operator", "values.yaml");
  const values = yaml.load(readFileSync(file, "utf8")) as ChartValues;
  const integer = (name: string, value: unknown): number => {
    if (!Number.isInteger(value)) throw new Error(`${path.relative(repoRoot, file)} sets no integer ${name}`);
    return value as number;
  };
  const tunables = values.glibcTunables ?? "";
  if (typeof tunables !== "string") throw new Error(`${path.relative(repoRoot, file)}: glibcTunables must be a string`);
  return {
    heapCapMiB: integer("operator.maxHeapMiB", values.operator?.maxHeapMiB),
    semiSpaceMiB: integer("operator.maxSemiSpaceMiB", values.operator?.maxSemiSpaceMiB),
    gateSemiSpaceMiB: integer("authz.maxSemiSpaceMiB", values.authz?.maxSemiSpaceMiB),
    glibcTunables: tunables,
  };
}

/** The environment the chart adds for the allocator, over `base`. */
export function withChartAllocator(base: NodeJS.ProcessEnv, runtime = chartRuntime()): NodeJS.ProcessEnv {
  if (!runtime.glibcTunables) return base;
  return { ...base, GLIBC_TUNABLES: runtime.glibcTunables };
}

/** Node.js flags of the gate's container (its NODE_OPTIONS), for the gate and its benchmark floor. */
export function gateNodeFlags(runtime = chartRuntime()): string[] {
  return [`--max-semi-space-size=${runtime.gateSemiSpaceMiB}`];
}

/** The operator's heap settings as the tables print them beside its peak RSS. */
export function runtimeLabel(runtime = chartRuntime()): string {
  return `heap cap ${runtime.heapCapMiB} MiB, semi-space ${runtime.semiSpaceMiB} MiB`;
}
