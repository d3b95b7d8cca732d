// The `nexus` program (also installed as `kubectl-nexus`). Each command lives in its own
// file and exposes one register function; adding a command is one line in `registrations`.
import { Command, CommanderError } from "commander";
import { attachIo, exitCodeFor, ioOf, processIo, type CliIo } from "./context.js";
import { registerCheck } from "./check-command.js";
import { registerDiff } from "./diff-command.js";
import { registerRender } from "./render-command.js";
import { registerApiKey } from "./apikey.js";
import { registerTest } from "./test-command.js";
import { registerValidate } from "./validate-command.js";
import { ExitCode, exitCodeOf, InternalError, UsageError, type ExitCodeValue } from "./exit-codes.js";

export type Registration = (program: Command) => void;

const registrations: Registration[] = [
  registerValidate,
  registerRender,
  registerApiKey,
  registerDiff,
  registerCheck,
  registerTest,
];

export function buildProgram(io: CliIo): Command {
  const program = new Command("nexus")
    .description("NEXUS policy as code: validate, render, diff and check EngineIdentity and AccessPolicy manifests")
    .version(PROGRAM_VERSION)
    .showHelpAfterError("(add --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP);
  attachIo(program, io);
  for (const register of registrations) register(program);
  applyConventions(program, io);
  return program;
}

const PROGRAM_VERSION = "0.1.0";

const EXIT_CODES_HELP = `
Exit codes, the same for every output format:
  0  clean: no difference, access allowed, every test passed
  1  findings: differences, access denied, a failed test
  2  usage or input error: unknown flag, unreadable or malformed manifest
  3  internal error, or a cluster that cannot be read

Example:
  nexus render -f examples/
`;

/**
 * Every command, including those added with addCommand, reports through the run's streams
 * and throws instead of exiting, so usage errors become exit code 2 in one place.
 */
function applyConventions(command: Command, io: CliIo): void {
  command.exitOverride();
  command.configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (text, write) => write(text) });
  for (const sub of command.commands) applyConventions(sub, io);
}

/** Runs one command line (argv without node and script) and returns its exit code. */
export async function runCli(args: string[], io: CliIo = processIo()): Promise<ExitCodeValue> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(args, { from: "user" });
    return exitCodeFor(program);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with code 0; every other commander error is a usage error.
      return err.exitCode === 0 ? ExitCode.Clean : ExitCode.Usage;
    }
    const code = exitCodeOf(err);
    const message = err instanceof Error ? err.message : String(err);
    const prefix = err instanceof UsageError || err instanceof InternalError ? "" : "internal error: ";
    ioOf(program).err(`nexus: ${prefix}${message}\n`);
    return code;
  }
}
