// `nexus test`: access tests for CI. Each case asks `check`'s question and compares the
// decision with the expected one; failures are printed with check's explanation.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { loadAccessSources, type AccessSourceOptions } from "./access-sources.js";
import { parseTarget } from "./access-model.js";
import { parseAccessTests, type AccessTestCase, type Expectation } from "./access-tests.js";
import { parseCaller } from "./caller.js";
import { checkAccess, type Decision } from "./check-access.js";
import { DEFAULT_PORT } from "./check-command.js";
import { buildReport, reportText, type CheckReport } from "./check-report.js";
import { ioOf, raiseExitCode } from "./context.js";
import { ExitCode, UsageError } from "./exit-codes.js";
import { addClusterOptions, addFileOptions, addRenderSettingOptions, outputOption } from "./options.js";

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
        "explanation. Exit code 0: every case passed, 1: a case failed, 2: bad input.",
    )
    .requiredOption("--expect <file>", "the access-test file (YAML: cases: [{name, from, to, sub, claims, request, expect}])")
    .option("--live", "read the cluster instead of files (read-only)")
    .option("--root-namespace <namespace>", "Istio's root namespace, whose policies apply mesh-wide", "istio-system");
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
      const sources = await loadAccessSources(cmd, options);
      const results = cases.map((c) => runCase(c, sources, options.namespace ?? "default"));
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

function runCase(c: AccessTestCase, sources: Awaited<ReturnType<typeof loadAccessSources>>, defaultNamespace: string): CaseResult {
  const at = (err: unknown) => new UsageError(`case "${c.name}": ${(err as Error).message}`);
  let caller, target;
  try {
    caller = parseCaller(c.from, { sub: c.sub, claims: c.claims, trustDomain: sources.config.trustDomain, identities: sources.lookup, defaultNamespace });
    target = parseTarget(c.to, sources.lookup, defaultNamespace);
  } catch (err) {
    throw at(err);
  }
  const answer = checkAccess(sources.model, caller, target, c.request);
  const leftOutOf = (ns: string, name: string) => sources.leftOut.get(`${ns}/${name}`) ?? [];
  const report = buildReport(caller, target, c.request, answer, sources.provenance, leftOutOf, sources.model.policiesFor(target));
  return { name: c.name, expect: c.expect, got: answer.decision, passed: answer.decision === EXPECTED[c.expect], report };
}
