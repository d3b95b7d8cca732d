// Who may read /metrics. The operator's metrics name every tenant's namespaces and
// policies, so a scrape is authenticated and authorized the way the apiserver would do it,
// as current controller-runtime operators do: the bearer token is checked with a
// TokenReview and the caller's right to `get` the non-resource URL /metrics with a
// SubjectAccessReview. Prometheus gets that right from a ClusterRole the chart ships.
// Answers are kept for a short while, keyed by the token's digest (never the token), so a
// scrape every few seconds costs the apiserver two requests a minute at most.
import { createHash } from "node:crypto";
import type { KubeClient } from "./kube-client.js";

export type MetricsAccess = { status: 200 } | { status: 401 | 403 | 503; message: string };

export interface MetricsAccessOptions {
  /** How long an answer is reused, in ms (allowed and denied alike). */
  cacheMs?: number;
  /** Most answers kept; the oldest go first. */
  cacheEntries?: number;
  now?: () => number;
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
}

export class KubernetesMetricsAccess {
  private readonly answers = new Map<string, { access: MetricsAccess; until: number }>();
  private readonly cacheMs: number;
  private readonly cacheEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly client: Pick<KubeClient, "createRaw">,
    options: MetricsAccessOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 30_000;
    this.cacheEntries = options.cacheEntries ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /** The answer for a request with this Authorization header (or none). */
  async check(authorization: string | undefined): Promise<MetricsAccess> {
    const token = bearerToken(authorization);
    if (!token) return { status: 401, message: "a bearer token is required" };
    const key = createHash("sha256").update(token).digest("hex");
    const cached = this.answers.get(key);
    if (cached && cached.until > this.now()) return cached.access;
    let access: MetricsAccess;
    try {
      access = await this.review(token);
    } catch {
      // Fail closed, and keep no answer: the next scrape asks again.
      return { status: 503, message: "the apiserver could not be asked who the caller is" };
    }
    this.answers.delete(key);
    this.answers.set(key, { access, until: this.now() + this.cacheMs });
    if (this.answers.size > this.cacheEntries) this.answers.delete(this.answers.keys().next().value as string);
    return access;
  }

  private async review(token: string): Promise<MetricsAccess> {
    const review = await this.client.createRaw<{ status?: TokenReviewStatus }>("/apis/authentication.k8s.io/v1/tokenreviews", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token },
    });
    const user = review.status?.user;
    if (!review.status?.authenticated || !user?.username) return { status: 401, message: "the token is not valid" };
    const access = await this.client.createRaw<{ status?: { allowed?: boolean } }>("/apis/authorization.k8s.io/v1/subjectaccessreviews", {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: user.username,
        ...(user.uid ? { uid: user.uid } : {}),
        groups: user.groups ?? [],
        ...(user.extra ? { extra: user.extra } : {}),
        nonResourceAttributes: { path: "/metrics", verb: "get" },
      },
    });
    if (!access.status?.allowed) return { status: 403, message: `${user.username} may not get /metrics` };
    return { status: 200 };
  }
}

function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
  return match?.[1];
}
