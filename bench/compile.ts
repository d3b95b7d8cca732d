// The benchmarks run what the image runs: the compiled JavaScript in dist/, not the
// TypeScript sources through tsx (whose loader thread and per-call helpers are not in the
// image). BENCH_SKIP_BUILD=1 uses dist/ as it is.
import { spawnSync } from "node:child_process";
import { repoRoot } from "../test/controlplane/binaries.js";

export function compileOperator(log: (message: string) => void): void {
  if (process.env.BENCH_SKIP_BUILD === "1") return;
  log("compiling the operator (npx tsc -p tsconfig.build.json)");
  const tsc = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: repoRoot, stdio: "inherit" });
  if (tsc.status !== 0) throw new Error("the operator does not compile; fix that first (or BENCH_SKIP_BUILD=1 to use dist/ as it is)");
}
