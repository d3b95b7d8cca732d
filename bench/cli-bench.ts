// `make bench` row for the `nexus` CLI, measured in one run on the same files:
//  - validate + render of N EngineIdentities and N AccessPolicies read from a directory
//    (the scale benchmark's workload, 100 documents a file), by the compiled program in
//    this process, against the floor of only reading and parsing the same files with
//    js-yaml; goal ratio <= 3. When the program has no `validate` command yet, render
//    alone is measured and the table says so;
//  - check --matrix over 200 x 200 identities (a generated corpus with every source kind),
//    in-process and as a `nexus` process (start-up included: the checkout's `npx nexus` through
//    tsx, and the compiled entry the image runs); goal < 5 s.
// Writes .bench/cli-results.json.
//   CLI_BENCH_SIZE=10000   identities and policies each
//   CLI_BENCH_RUNS=3       runs per measurement; the median is reported
import { DEFAULT_TENANT_LABEL } from "../operator/policy/tenancy.js";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import yaml from "js-yaml";
import { pathToFileURL } from "node:url";
import type { CliIo } from "../operator/cli/context.js";
import { generateCorpus } from "../test/cli/support/corpus.js";
import { nexusBin, repoRoot } from "../test/cli/support/run-cli.js";
import { compileOperator } from "./compile.js";
import { buildWorkload } from "./workload.js";

const size = Number(process.env.CLI_BENCH_SIZE ?? 10_000);
const runs = Number(process.env.CLI_BENCH_RUNS ?? 3);
const PER_FILE = 100;

function sink(): CliIo & { bytes: number; errors: string[] } {
  const state = {
    bytes: 0,
    errors: [] as string[],
    out: (text: string) => void (state.bytes += text.length),
    err: (text: string) => void state.errors.push(text),
    readStdin: async () => "",
    env: {},
    stdoutIsTTY: false,
  };
  return state;
}

async function median(label: string, run: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const value = times[Math.floor(times.length / 2)]!;
  console.error(`  ${label}: ${times.map((t) => `${(t / 1000).toFixed(2)}s`).join(", ")} -> median ${(value / 1000).toFixed(2)}s`);
  return value;
}

// The compiled program, as the image runs it (the sources through tsx carry per-call helpers).
type CliModule = typeof import("../operator/cli/main.js");
let compiled: CliModule | undefined;

async function cli(args: string[]): Promise<{ code: number; bytes: number }> {
  const io = sink();
  const code = await compiled!.runCli(args, io);
  if (code > 1) throw new Error(`nexus ${args.join(" ")} exited ${code}: ${io.errors.join("").slice(0, 500)}`);
  return { code, bytes: io.bytes };
}

/** In a function of its own, so the generated objects are garbage before anything is timed. */
async function writeCorpus(dir: string): Promise<void> {
  console.error(`writing ${size} EngineIdentities and ${size} AccessPolicies to ${dir}`);
  const workload = buildWorkload({ size });
  // The Namespace objects carry the tenant labels, as a reviewer supplies them to the CLI.
  const namespaces = workload.namespaces.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { [DEFAULT_TENANT_LABEL]: workload.namespaceTenants.get(name)! } } }));
  const documents = [...namespaces, ...workload.identities, ...workload.policies];
  for (let i = 0; i < documents.length; i += PER_FILE) {
    const text = documents.slice(i, i + PER_FILE).map((d) => `---\n${yaml.dump(d)}`).join("");
    await writeFile(path.join(dir, `part-${String(i / PER_FILE).padStart(4, "0")}.yaml`), text);
  }
}

async function main(): Promise<void> {
  compileOperator((line) => console.log(line));
  compiled = (await import(pathToFileURL(path.join(repoRoot, "dist", "cli", "main.js")).href)) as CliModule;
  const dir = await mkdtemp(path.join(tmpdir(), "nexus-cli-bench-"));
  try {
    await writeCorpus(dir);
    const files = (await readdir(dir)).sort().map((f) => path.join(dir, f));

    const hasValidate = compiled.buildProgram(sink()).commands.some((c) => c.name() === "validate");
    console.error(`floor, render${hasValidate ? ", validate + render" : " (no validate command in this tree)"}: ${runs} runs each`);
    let parsed = 0;
    const floor = await median("floor: read + js-yaml parse", async () => {
      parsed = 0;
      for (const file of files) parsed += yaml.loadAll(await readFile(file, "utf8")).length;
    });
    let renderedBytes = 0;
    const render = await median("nexus render -R -f dir", async () => {
      renderedBytes = (await cli(["render", "-R", "-f", dir])).bytes;
    });
    const validate = hasValidate ? await median("nexus validate -R -f dir", async () => void (await cli(["validate", "-R", "-f", dir]))) : undefined;
    const pipeline = validate === undefined ? render : validate + render;

    const corpusFile = path.join(dir, "..", `${path.basename(dir)}-matrix.yaml`);
    const corpus = generateCorpus({ namespaces: ["ns-a", "ns-b", "ns-c", "ns-d"], tenants: ["t1", "t2", "t3"], identities: 200, policies: 200, seed: 5 });
    await writeFile(corpusFile, corpus.map((m) => `---\n${yaml.dump(m)}`).join(""));
    let cells = 0;
    const matrix = await median("nexus check --matrix 200 x 200 -o csv (in-process)", async () => {
      cells = (await cli(["check", "-f", corpusFile, "--matrix", "-o", "csv"])).bytes;
    });
    const matrixOps = await median('nexus check --matrix 200 x 200 --operations (3 requests) -o csv (in-process)', async () => {
      await cli(["check", "-f", corpusFile, "--matrix", "--operations", "GET /v1/entries, POST /v1/entries 9090, DELETE /reports/x.json 443", "-o", "csv"]);
    });
    const matrixAsProcess = (entry: string) => () => {
      const result = spawnSync(process.execPath, [entry, "check", "-f", corpusFile, "--matrix", "-o", "csv"], { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] });
      if (result.status !== 0) throw new Error(`nexus process exited ${result.status}: ${result.stderr.toString().slice(0, 500)}`);
      return Promise.resolve();
    };
    // In a checkout, bin/nexus.mjs runs the sources through tsx; the image runs the compiled entry.
    const matrixProcess = await median("nexus check --matrix 200 x 200 -o csv (npx nexus in the checkout, start-up included)", matrixAsProcess(nexusBin));
    const matrixCompiled = await median("nexus check --matrix 200 x 200 -o csv (node dist/cli/entry.js, as in the image)", matrixAsProcess(path.join(repoRoot, "dist", "cli", "entry.js")));
    await rm(corpusFile, { force: true });

    const rows: Array<[string, string, string]> = [
      [`floor: read + parse ${parsed.toLocaleString("en")} documents (js-yaml)`, `${(floor / 1000).toFixed(2)} s`, ""],
      [`nexus render -R of the directory (${(renderedBytes / 1e6).toFixed(0)} MB of YAML out)`, `${(render / 1000).toFixed(2)} s`, ""],
      ...(validate !== undefined ? [["nexus validate -R of the directory", `${(validate / 1000).toFixed(2)} s`, ""] as [string, string, string]] : []),
      [validate !== undefined ? "ratio (validate + render) / floor" : "ratio render / floor (validate not in this tree: render alone)", (pipeline / floor).toFixed(2), "<= 3"],
      ["check --matrix 200 x 200, candidate requests, in-process", `${(matrix / 1000).toFixed(2)} s (${(cells / 1e6).toFixed(1)} MB CSV)`, "< 5 s"],
      ["check --matrix 200 x 200, 3 given requests, in-process", `${(matrixOps / 1000).toFixed(2)} s`, "< 5 s"],
      ["check --matrix 200 x 200, candidate requests, `npx nexus` process in the checkout (tsx)", `${(matrixProcess / 1000).toFixed(2)} s`, "< 5 s"],
      ["check --matrix 200 x 200, candidate requests, compiled `nexus` process (the image's)", `${(matrixCompiled / 1000).toFixed(2)} s`, "< 5 s"],
    ];
    console.log(`\nnexus CLI benchmark (N = ${size.toLocaleString("en")} + ${size.toLocaleString("en")}, median of ${runs})`);
    console.log("| metric | value | goal |\n| --- | --- | --- |");
    for (const [metric, value, goal] of rows) console.log(`| ${metric} | ${value} | ${goal} |`);
    await mkdir(path.join(repoRoot, ".bench"), { recursive: true });
    await writeFile(
      path.join(repoRoot, ".bench", "cli-results.json"),
      JSON.stringify({ size, runs, floorMs: floor, renderMs: render, validateMs: validate ?? null, ratio: pipeline / floor, validateMeasured: validate !== undefined, matrixMs: matrix, matrixOperationsMs: matrixOps, matrixProcessMs: matrixProcess, matrixCompiledProcessMs: matrixCompiled }, null, 2),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
