// `nexus test`: access tests for CI. Each case asks `check`'s question and compares the
// decision with the expected one; failures are printed with check's explanation.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { openAccessSources, type AccessSources, type AccessSourcesFor, type AccessSourceOptions } from "./access-sources.js";
import { parseTarget } from "./access-model.js";
import { parseAccessTests, type AccessTestCase, type Expectation } from "./access-tests.js";
import { parseCaller } from "./caller.js";
import { checkAccess, type Decision } from "./check-access.js";
import { answerAndReport, DEFAULT_PORT } from "./check-command.js";
import { DATA_PLANE_FLAG } from "./data-planes.js";
import { buildReport, reportText, type CheckReport } from "./check-report.js";
import { ioOf, raiseExitCode } from "./context.js";
import { ExitCode, UsageError } from "./exit-codes.js";
import { addClusterOptions, addFileOptions, addRenderSettingOptions, dataPlaneOption, outputOption } from "./options.js";

interface TestOptions extends AccessSourceOptions {
  expect: string;
  output: "text" | "json";
}

interface CaseResult {
  name: string;
  expect: Expectation;
  got: Decision;
  passed: boolean;
  report: CheckReport;
}

const EXPECTED: Record<Expectation, Decision> = { allow: "ALLOW", deny: "DENY", "allow-if-gate": "ALLOW_IF_GATE" };

export function registerTest(program: Command): void {
  const command = program
    .command("test")
    .summary("run access tests (who may call what) against the manifests or the cluster")
    .description(
      "Run the cases of an access-test file against the policies the operator renders for the given " +
        "manifests (-f) or those in force in the cluster (--live, read-only). A case names from, to, a request " +
        "(method, path, port) and expect: allow, deny or allow-if-gate. Every failing case is printed with its " +
        "explanation. A case is judged on the data plane it names (dataPlane: sidecar, ambient or grpc, on the case " +
        `or beside cases: for all of them), else on the one ${DATA_PLANE_FLAG} names, else on the one detected. ` +
        "Exit code 0: every case passed, 1: a case failed, 2: bad input.",
    )
    .requiredOption("--expect <file>", "the access-test file (YAML: dataPlane, cases: [{name, from, to, sub, claims, request, expect, dataPlane}])")
    .option("--live", "read the cluster instead of files (read-only)")
    .option("--root-namespace <namespace>", "Istio's root namespace, whose policies apply mesh-wide", "istio-system")
    .addOption(dataPlaneOption());
  addFileOptions(command, false);
  addClusterOptions(command);
  addRenderSettingOptions(command);
  command
    .addOption(outputOption(["text", "json"], "text"))
    .addHelpText("after", "\nExamples:\n  nexus test -f examples/ --expect examples/tests/access.yaml\n  nexus test --live --expect access.yaml -o json\n")
    .action(async (options: TestOptions, cmd: Command) => {
      if (!options.live && !options.filename?.length) throw new UsageError("name the manifests with -f, or read the cluster with --live");
      let text: string;
      try {
        text = await readFile(options.expect, "utf8");
      } catch {
        throw new UsageError(`--expect ${options.expect}: cannot read the file`);
      }
      const cases = parseAccessTests(text, options.expect, DEFAULT_PORT);
      const sourcesFor = await openAccessSources(cmd, options);
      const flag = options.dataPlane ? { dataPlane: options.dataPlane, by: `${DATA_PLANE_FLAG} ${options.dataPlane}` } : undefined;
      const results = cases.map((c) => runCase(c, sourcesFor, flag, options.namespace ?? "default"));
      const io = ioOf(cmd);
      const failed = results.filter((r) => !r.passed);
      if (options.output === "json") io.out(`${JSON.stringify(results, null, 2)}\n`);
      else {
        for (const r of results) {
          io.out(r.passed ? `PASS ${r.name}\n` : `FAIL ${r.name}: expected ${r.expect}, got ${r.got}\n${reportText(r.report).replace(/^/gm, "  ")}`);
        }
      }
      io.err(`nexus: ${results.length - failed.length} of ${results.length} access tests passed\n`);
      if (failed.length > 0) raiseExitCode(cmd, ExitCode.Findings);
    });
}

function runCase(c: AccessTestCase, sourcesFor: AccessSourcesFor, flag: Parameters<AccessSourcesFor>[0], defaultNamespace: string): CaseResult {
  // The file's choice wins over the flag: a case written for one data plane tests that one.
  const sources: AccessSources = sourcesFor(c.dataPlane ?? flag);
  const at = (err: unknown) => new UsageError(`case "${c.name}": ${(err as Error).message}`);
  let caller, target;
  try {
    caller = parseCaller(c.from, { sub: c.sub, claims: c.claims, trustDomain: sources.config.trustDomain, identities: sources.lookup, defaultNamespace });
    target = parseTarget(c.to, sources.lookup, defaultNamespace);
  } catch (err) {
    throw at(err);
  }
  const { answer, report } = answerAndReport(sources, caller, target, c.request);
  return { name: c.name, expect: c.expect, got: answer.decision, passed: answer.decision === EXPECTED[c.expect], report };
}
