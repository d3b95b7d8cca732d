// Failures counted per key with rate-limiter-flexible (the gate keys them by digests of
// (client, target) for authentications and of the sender for refused Checks): in memory by
// default, or in Redis so that every replica of the gate draws on one budget. When Redis
// cannot be reached, an in-memory limiter with the same budget stands in (each replica then
// limits on its own) rather than letting every attempt through. ioredis is loaded only when
// a Redis store is configured: its code costs a gate that limits in memory about 20 MB.
import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import type * as Flexible from "rate-limiter-flexible";
import type { FailureLimiter } from "./gate.js";

// The package's index loads every store it supports (MongoDB, MySQL, Postgres, DynamoDB,
// etcd, cluster IPC and more) with the modules they need: 1.2 MB of heap in a bare process
// (in the gate, which loads some of the same modules anyway, this and prometheus.ts together
// saved 0.3 MB), marked again by every full collection. Only the three classes used here
// are loaded, from the files the index itself takes them from (the same classes, so
// instanceof holds).
const load = createRequire(import.meta.url);
const RateLimiterMemory = load("rate-limiter-flexible/lib/RateLimiterMemory.js") as typeof Flexible.RateLimiterMemory;
const RateLimiterRedis = load("rate-limiter-flexible/lib/RateLimiterRedis.js") as typeof Flexible.RateLimiterRedis;
const RateLimiterRes = load("rate-limiter-flexible/lib/RateLimiterRes.js") as typeof Flexible.RateLimiterRes;
type RateLimiterAbstract = Flexible.RateLimiterAbstract;
type RateLimiterMemory = Flexible.RateLimiterMemory;

export interface FailureBudget {
  /** Failed authentications a source may have within the window. */
  failures: number;
  windowSeconds: number;
  /** How long a source that spent its budget is answered 429. */
  blockSeconds: number;
}

const KEY_PREFIX = "nexus-authz-failed";

export class RateLimitedFailures implements FailureLimiter {
  private constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly budget: FailureBudget,
    private readonly redis?: Redis,
  ) {}

  static inMemory(budget: FailureBudget): RateLimitedFailures {
    return new RateLimitedFailures(memoryLimiter(budget), budget);
  }

  static async shared(budget: FailureBudget, redisUrl: string, onError: (message: string) => void): Promise<RateLimitedFailures> {
    const { Redis } = await import("ioredis");
    // No offline queue: while Redis is away a command fails at once and the in-memory
    // stand-in answers, instead of every Check waiting for a reconnect.
    const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: false });
    let lastError = "";
    redis.on("error", (err: Error) => {
      if (err.message === lastError) return;
      lastError = err.message;
      onError(err.message);
    });
    redis.on("ready", () => (lastError = ""));
    const limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: KEY_PREFIX,
      points: budget.failures,
      duration: budget.windowSeconds,
      blockDuration: budget.blockSeconds,
      insuranceLimiter: memoryLimiter(budget),
    });
    return new RateLimitedFailures(limiter, budget, redis);
  }

  async recordFailure(key: string): Promise<number> {
    try {
      await this.limiter.consume(key, 1);
      return 0;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      // The store failed and so did its stand-in: count it as spent, fail closed.
      return this.budget.blockSeconds;
    }
  }

  /** True once Redis answers (always true in memory). */
  get connected(): boolean {
    return this.redis ? this.redis.status === "ready" : true;
  }

  async close(): Promise<void> {
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}

function memoryLimiter(budget: FailureBudget): RateLimiterMemory {
  return new RateLimiterMemory({ keyPrefix: KEY_PREFIX, points: budget.failures, duration: budget.windowSeconds, blockDuration: budget.blockSeconds });
}
