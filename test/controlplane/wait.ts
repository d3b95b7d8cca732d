import { setTimeout as delay } from "node:timers/promises";

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Names the awaited state in the timeout error. */
  description: string;
  /** Checked before every attempt; a non-undefined result aborts the wait with that message. */
  abortIf?: () => string | undefined;
}

/**
 * Polls until `check` returns a value other than undefined, or fails at the deadline.
 * Exceptions from `check` count as "not yet" and the last one is reported on timeout.
 */
export async function waitFor<T>(check: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 50;
  let lastProblem = "";
  for (;;) {
    const abort = options.abortIf?.();
    if (abort !== undefined) throw new Error(abort);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${options.timeoutMs}ms waiting for ${options.description}` +
          (lastProblem ? ` (last error: ${lastProblem})` : ""),
      );
    }
    await delay(interval);
  }
}
