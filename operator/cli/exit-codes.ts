// Exit codes of every `nexus` command; they never depend on the output format (-o).
export const ExitCode = {
  /** Nothing to report: valid, no difference, every case passed. */
  Clean: 0,
  /** Findings, differences or failed access-test cases. */
  Findings: 1,
  /** Usage errors (unknown flag, missing argument) and unreadable or malformed input. */
  Usage: 2,
  /** A fault of the tool itself or of the cluster it talks to. */
  Internal: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the user can fix: bad flag values, unreadable files, malformed documents. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.Usage;
}

/** A failure outside the user's input, such as a cluster that cannot be read. */
export class InternalError extends Error {
  readonly exitCode = ExitCode.Internal;
}

export function exitCodeOf(err: unknown): ExitCodeValue {
  if (err instanceof UsageError || err instanceof InternalError) return err.exitCode;
  return ExitCode.Internal;
}
