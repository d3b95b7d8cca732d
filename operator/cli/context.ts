// What a command needs from its surroundings (output streams, stdin, environment), kept
// per program so the CLI runs in-process in tests exactly as it runs from the shell.
import type { Command } from "commander";
import type { ExitCodeValue } from "./exit-codes.js";

export interface CliIo {
  /** Machine output: the only thing written to stdout. */
  out(text: string): void;
  /** Messages for people: progress, warnings, errors. */
  err(text: string): void;
  readStdin(): Promise<string>;
  env: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal; colour is used only then and never with NO_COLOR. */
  stdoutIsTTY: boolean;
}

interface ProgramState {
  io: CliIo;
  exitCode: ExitCodeValue;
}

const states = new WeakMap<Command, ProgramState>();

function rootOf(command: Command): Command {
  let current = command;
  while (current.parent) current = current.parent;
  return current;
}

export function attachIo(program: Command, io: CliIo): void {
  states.set(rootOf(program), { io, exitCode: 0 });
}

function stateOf(command: Command): ProgramState {
  const state = states.get(rootOf(command));
  if (!state) throw new Error("the nexus program was built without its input/output");
  return state;
}

export function ioOf(command: Command): CliIo {
  return stateOf(command).io;
}

/** Raises the exit status of the run; a lower code never hides a higher one. */
export function raiseExitCode(command: Command, code: ExitCodeValue): void {
  const state = stateOf(command);
  if (code > state.exitCode) state.exitCode = code;
}

export function exitCodeFor(program: Command): ExitCodeValue {
  return stateOf(program).exitCode;
}

export function useColor(io: CliIo): boolean {
  return io.stdoutIsTTY && (io.env.NO_COLOR === undefined || io.env.NO_COLOR === "");
}

export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    env: process.env,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
  };
}
