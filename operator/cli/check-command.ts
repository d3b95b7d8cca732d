// `nexus check`: may this caller make this request? And with --matrix: who can call whom.
import { Option, type Command } from "commander";
import yaml from "js-yaml";
import { loadAccessSources, planeOf, type AccessSourceOptions, type AccessSources } from "./access-sources.js";
import { parseTarget, targetOf, type Target } from "./access-model.js";
import { CALLER_FORMS, parseCaller, type Caller } from "./caller.js";
import { checkAccess, type AccessAnswer, type Operation } from "./check-access.js";
import { buildReport, reportText, type CheckReport } from "./check-report.js";
import { DATA_PLANE_FLAG } from "./data-planes.js";
import { ioOf, raiseExitCode } from "./context.js";
import { ExitCode, UsageError } from "./exit-codes.js";
import { accessMatrix, parseOperations } from "./matrix.js";
import { matrixCsv, matrixJson, matrixText } from "./matrix-format.js";
import { addClusterOptions, addFileOptions, addRenderSettingOptions, dataPlaneOption } from "./options.js";

export const DEFAULT_PORT = 8080;

interface CheckOptions extends AccessSourceOptions {
  from?: string;
  to?: string;
  method: string;
  path: string;
  port: string;
  sub?: string;
  claim: string[];
  matrix?: boolean;
  operations?: string;
  allNamespaces?: boolean;
  output: "text" | "json" | "yaml" | "csv";
}

export function registerCheck(program: Command): void {
  const command = program
    .command("check")
    .summary("may this caller make this request? (--matrix: who can call whom)")
    .description(
      "Answer whether a caller may make a request to an engine, from the Istio AuthorizationPolicies the " +
        "operator renders for the given manifests (-f) or those in force in the cluster (--live, read-only), " +
        "evaluated with Istio's semantics: ALLOW, DENY, or ALLOW if the credential gate accepts the credential; " +
        "the deciding rendered policy and rule, the AccessPolicy rule and source it came from, what dry-run " +
        "policies would change, and the evaluator's caveats. Exit code 0: allowed, 1: denied, 2: bad input, " +
        `3: internal error. --from takes ${CALLER_FORMS}. ` +
        "With --matrix: every identity (of -n, -A or the files) against every identity, per operation " +
        "(--operations, or the requests the target's policies name); exit code 0. " +
        "Each target is judged on the data plane that runs it, detected as the operator detects it from the " +
        "Namespaces, Services and waypoint Gateways among the files (or in the cluster): sidecar, or ambient, where " +
        "ztunnel decides the connection (from the waypoint, for a call through one) and the waypoint the request; " +
        `${DATA_PLANE_FLAG} judges every target on one data plane (from files, rendered for it too).`,
    );
  command
    .option("--from <caller>", "the caller: ns/name, spiffe://..., namespace:NS, jwt:ISSUER, apikey:ID or anonymous")
    .option("--to <identity>", "the engine called: an EngineIdentity, ns/name")
    .option("--method <method>", "HTTP method", "GET")
    .option("--path <path>", "request path", "/")
    .option("--port <port>", "destination port", String(DEFAULT_PORT))
    .option("--sub <subject>", "with --from jwt:ISSUER: the token's subject")
    .option("--claim <name=value>", "with --from jwt:ISSUER: a token claim (repeatable)", (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option("--matrix", "who can call whom over a set of identities")
    .option("--operations <list>", 'with --matrix: requests to try, e.g. "GET /v1/entries, POST /v1/entries 8443"')
    .option("-A, --all-namespaces", "with --matrix --live: identities of every namespace")
    .option("--live", "read the cluster instead of files (read-only)")
    .option("--root-namespace <namespace>", "Istio's root namespace, whose policies apply mesh-wide", "istio-system")
    .addOption(dataPlaneOption());
  addFileOptions(command, false);
  addClusterOptions(command);
  addRenderSettingOptions(command);
  command
    .addOption(new Option("-o, --output <format>", "output format (csv with --matrix only)").choices(["text", "json", "yaml", "csv"]).default("text"))
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  nexus check -f examples/ --from payments/checkout --to payments/ledger --method POST --path /v1/entries\n" +
        "  nexus check -f examples/ --from jwt:https://login.example.com --sub alice --claim groups=finance-operators --to payments/ledger --path /reports/q3\n" +
        "  nexus check --live --from namespace:sandbox --to payments/ledger --method DELETE --path /v1/entries/7 -o json\n" +
        '  nexus check -f examples/ --matrix --operations "GET /v1/entries, POST /v1/entries" -o csv\n' +
        "  nexus check -f examples/ --from payments/checkout --to warehouse/inventory --path /v1/stock --data-plane sidecar\n",
    )
    .action(async (options: CheckOptions, cmd: Command) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port ${options.port}: a port is a whole number from 1 to 65535`);
      if (!options.path.startsWith("/")) throw new UsageError(`--path ${options.path}: a path starts with /`);
      if (options.matrix) return runMatrix(cmd, options, port);
      if (options.output === "csv") throw new UsageError("-o csv is for --matrix; use text, json or yaml");
      if (!options.from || !options.to) throw new UsageError("check needs --from and --to (or --matrix)");
      if (!options.live && !options.filename?.length) throw new UsageError("name the manifests with -f, or read the cluster with --live");
      const sources = await loadAccessSources(cmd, options);
      const namespace = options.namespace ?? "default";
      const caller = parseCaller(options.from, { sub: options.sub, claims: options.claim, trustDomain: sources.config.trustDomain, identities: sources.lookup, defaultNamespace: namespace });
      const target = parseTarget(options.to, sources.lookup, namespace);
      const operation: Operation = { method: options.method.toUpperCase(), path: options.path, port };
      const { answer, report } = answerAndReport(sources, caller, target, operation);
      const io = ioOf(cmd);
      if (options.output === "json") io.out(`${JSON.stringify(report, null, 2)}\n`);
      else if (options.output === "yaml") io.out(yaml.dump(report, { lineWidth: -1, noRefs: true }));
      else io.out(reportText(report));
      if (answer.decision === "DENY") raiseExitCode(cmd, ExitCode.Findings);
    });
}

/** check's question answered on the target's data plane, with the report that explains it. */
export function answerAndReport(sources: AccessSources, caller: Caller, target: Target, operation: Operation): { answer: AccessAnswer; report: CheckReport } {
  const answer = checkAccess(sources.model, caller, target, operation, planeOf(sources, target));
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const report = buildReport(caller, target, operation, answer, sources.provenance, {
    leftOut: (namespace, name) => sources.leftOut.get(key(namespace, name)) ?? [],
    dataPlaneNotes: (namespace, name) => sources.dataPlaneNotes.get(key(namespace, name)) ?? [],
    decisionAsWritten: () => checkAccess(sources.asWritten(), caller, target, operation).decision,
  });
  return { answer, report };
}

async function runMatrix(cmd: Command, options: CheckOptions, defaultPort: number): Promise<void> {
  if (options.from || options.to) throw new UsageError("--matrix takes no --from or --to: it pairs every identity with every identity");
  if (options.live && !options.namespace && !options.allNamespaces) throw new UsageError("--matrix --live needs -n NAMESPACE or -A");
  if (!options.live && !options.filename?.length) throw new UsageError("name the manifests with -f, or read the cluster with --live");
  const sources = await loadAccessSources(cmd, options);
  const identities = scopedIdentities(sources, options);
  const callers = identities.map((t): Caller => parseCaller(`${t.namespace}/${t.name}`, { trustDomain: sources.config.trustDomain, identities: sources.lookup, defaultNamespace: t.namespace }));
  const operations = options.operations ? parseOperations(options.operations, defaultPort) : undefined;
  const cells = accessMatrix(sources.model, callers, identities, operations, defaultPort, (target) => planeOf(sources, target));
  const io = ioOf(cmd);
  if (options.output === "csv") io.out(matrixCsv(cells));
  else if (options.output === "json") io.out(matrixJson(cells));
  else if (options.output === "yaml") io.out(yaml.dump(cells, { lineWidth: -1, noRefs: true }));
  else io.out(matrixText(cells, identities.map((t) => `${t.namespace}/${t.name}`)));
  const allowedPairs = new Set(cells.filter((c) => c.decision !== "DENY").map((c) => `${c.from} ${c.to}`)).size;
  io.err(`nexus: ${identities.length} identities, ${allowedPairs} of ${identities.length * identities.length} caller/target pairs allow at least one request\n`);
}

function scopedIdentities(sources: AccessSources, options: CheckOptions): Target[] {
  // -A: every namespace; -n: that one; neither (files only): every identity read.
  const namespace = options.allNamespaces ? undefined : options.namespace;
  const inScope = sources.identities.filter((i) => namespace === undefined || i.metadata.namespace === namespace);
  return inScope
    .map((i) => sources.lookup.get(i.metadata.namespace, i.metadata.name)!)
    .map(targetOf)
    .sort((a, b) => (a.namespace + "/" + a.name < b.namespace + "/" + b.name ? -1 : 1));
}
