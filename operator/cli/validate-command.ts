// `nexus validate`: the apiserver's verdict on every EngineIdentity and AccessPolicy of the
// given files, offline, then cross-file warnings (NX001...). Exit 0 when there is nothing
// to report, 1 for findings, 2 for unusable input, 3 for faults, whatever the -o format.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { ExitCode, UsageError } from "./exit-codes.js";
import { ioOf, raiseExitCode, useColor } from "./context.js";
import { readManifests } from "./input.js";
import { addClusterOptions, addFileOptions, kubeClientOf, outputOption, type ClusterOptions, type FileOptions } from "./options.js";
import { readIdentities } from "./cluster-state.js";
import type { CrdCatalog } from "./validate/crd-catalog.js";
import { WARNING_RULES, knownIdentityOf, type KnownIdentity } from "./validate/cross-checks.js";
import { LineFinder } from "./validate/positions.js";
import { formatJson, formatSarif, formatText, type LocatedFinding, type ReportFormat } from "./validate/report.js";
import { InternalError } from "./exit-codes.js";

interface ValidateCommandOptions extends FileOptions, ClusterOptions {
  output: ReportFormat;
  live?: boolean;
  crds?: string;
  ignore?: string[];
  now?: string;
}

const WARNING_LIST = Object.entries(WARNING_RULES)
  .map(([code, text]) => `  ${code}  ${text}`)
  .join("\n");

// The schemas, the CEL interpreter and the validation itself are loaded by this command
// only: the CEL library alone takes a fifth of a second to load, which the other commands
// should not pay.
async function loadCatalog(dir: string | undefined): Promise<CrdCatalog> {
  const { CrdCatalog, defaultCrdDirectory } = await import("./validate/crd-catalog.js");
  const crdDir = dir ?? defaultCrdDirectory();
  if (!crdDir) throw new InternalError("cannot find the CRDs (crds/ of the nexus-operator checkout); name the folder with --crds");
  try {
    return CrdCatalog.fromDirectory(crdDir);
  } catch (err) {
    throw new UsageError(`--crds ${crdDir}: ${(err as Error).message}`);
  }
}

function parseNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new UsageError(`--now ${text}: not an RFC 3339 time such as 2026-12-01T10:00:00Z`);
  return new Date(time);
}

export function registerValidate(program: Command): void {
  const command = program
    .command("validate")
    .summary("check manifests as the apiserver would, offline, and across files")
    .description(
      "Check every EngineIdentity and AccessPolicy against the CRDs' OpenAPI schema and CEL rules as the " +
        "apiserver does on create (strict field validation, defaults, metadata rules), naming the same " +
        "fields with the same messages; no cluster is needed. Then check the policies against all the " +
        "files' identities (and the cluster's, with --live) and report warnings with stable codes:\n" +
        WARNING_LIST +
        "\nExit codes: 0 nothing found, 1 errors or warnings, 2 usage or unreadable input, 3 internal error.",
    );
  addFileOptions(command);
  addClusterOptions(command);
  command
    .addOption(outputOption(["text", "json", "sarif"], "text"))
    .option("--live", "also resolve references against the EngineIdentities of the cluster (read-only)", false)
    .option("--ignore <codes...>", "warning codes not to report, e.g. NX005")
    .option("--now <time>", "time API keys' notAfter is compared with (RFC 3339; default: now)")
    .option("--crds <dir>", "folder of the CRDs to validate against (default: the checkout's crds/)")
    .addHelpText(
      "after",
      "\nExamples:\n  nexus validate -f examples/\n  nexus validate -R -f deploy/ -o sarif > nexus.sarif\n  kustomize build overlays/prod | nexus validate -f - --live --context prod\n",
    )
    .action(async (options: ValidateCommandOptions, cmd: Command) => {
      const io = ioOf(cmd);
      const catalog = await loadCatalog(options.crds);
      const { validateDocuments } = await import("./validate/validate-documents.js");
      const { UnsupportedRuleError } = await import("./validate/k8s-cel.js");
      const now = parseNow(options.now);
      const ignored = new Set((options.ignore ?? []).map((code) => code.toUpperCase()));
      for (const code of ignored) if (!(code in WARNING_RULES)) throw new UsageError(`--ignore ${code}: not a warning code (${Object.keys(WARNING_RULES).join(", ")})`);
      let stdinText: string | undefined;
      const documents = await readManifests(options.filename ?? [], {
        recursive: options.recursive === true,
        readStdin: async () => (stdinText = await io.readStdin()),
      });
      let extraIdentities: KnownIdentity[] = [];
      if (options.live) {
        const identities = await readIdentities(await kubeClientOf(options, io.env));
        extraIdentities = identities.map((identity) => knownIdentityOf(identity as never));
      }
      let report;
      try {
        report = validateDocuments(documents, catalog, { defaultNamespace: options.namespace ?? "default", extraIdentities, now });
      } catch (err) {
        if (err instanceof UnsupportedRuleError) throw new InternalError(`the CRDs use a CEL function this validator does not provide: ${err.message}`);
        throw err;
      }
      const lines = new LineFinder((file) => {
        if (file === "<stdin>") return stdinText;
        try {
          return readFileSync(file, "utf8");
        } catch {
          return undefined;
        }
      });
      const findings: LocatedFinding[] = report.findings
        .filter((f) => f.severity === "error" || !ignored.has(f.code))
        .map((f) => ({ ...f, line: lines.lineOf(f.file, f.index, f.field) }));
      const errors = findings.filter((f) => f.severity === "error").length;
      if (options.output === "json") io.out(formatJson(report, findings));
      else if (options.output === "sarif") io.out(formatSarif(findings, program.version() ?? "0.0.0"));
      else io.out(formatText(findings, useColor(io)));
      io.err(
        `nexus validate: ${report.checked} object(s) checked${report.skipped ? `, ${report.skipped} of other kinds skipped` : ""}: ` +
          `${errors} error(s), ${findings.length - errors} warning(s)\n`,
      );
      raiseExitCode(cmd, findings.length > 0 ? ExitCode.Findings : ExitCode.Clean);
    });
}
