/**
 * An error whose message already says what to do. Its stack is only the message, so
 * vitest and tsx print one actionable line instead of a trace through harness internals.
 */
export class HarnessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HarnessError";
    this.stack = `${this.name}: ${message}`;
  }
}
