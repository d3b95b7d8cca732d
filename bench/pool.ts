// Runs async jobs with at most `concurrency` in flight; the first failure stops the run.
export async function runPool<T>(items: readonly T[], concurrency: number, job: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined) {
      const index = next++;
      if (index >= items.length) return;
      try {
        await job(items[index]!, index);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failed !== undefined) throw failed;
}

/** Retries a request a few times on transient failures (connection resets, 429, 5xx). */
export async function withRetry<T>(request: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode ?? 0;
      const transient = status === 0 || status === 429 || status >= 500;
      if (!transient || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** The promise, or an error naming what was awaited once `ms` have passed. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000}s waiting for ${what}`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
