import { describe, expect, it } from "vitest";
import { KubernetesMetricsAccess } from "./metrics-access.js";

interface Review {
  path: string;
  body: { spec: Record<string, unknown> };
}

/** An apiserver that knows one token per user and lets only `allowed` users get /metrics. */
function fakeApiserver(users: Record<string, string>, allowed: Set<string>, options: { fail?: boolean } = {}) {
  const reviews: Review[] = [];
  const client = {
    async createRaw<T>(path: string, body: unknown): Promise<T> {
      reviews.push({ path, body: body as Review["body"] });
      if (options.fail) throw new Error("connection refused");
      if (path.endsWith("/tokenreviews")) {
        const user = users[(body as { spec: { token: string } }).spec.token];
        return { status: user ? { authenticated: true, user: { username: user, groups: ["system:authenticated"] } } : { authenticated: false } } as T;
      }
      return { status: { allowed: allowed.has((body as { spec: { user: string } }).spec.user) } } as T;
    },
  };
  return { client, reviews };
}

describe("who may read /metrics", () => {
  it("answers 401 without a bearer token, and asks the apiserver nothing", async () => {
    const api = fakeApiserver({}, new Set());
    const access = new KubernetesMetricsAccess(api.client);
    expect((await access.check(undefined)).status).toBe(401);
    expect((await access.check("Basic dXNlcjpwYXNz")).status).toBe(401);
    expect(api.reviews).toEqual([]);
  });

  it("answers 401 for a token the apiserver does not authenticate", async () => {
    const access = new KubernetesMetricsAccess(fakeApiserver({}, new Set()).client);
    expect(await access.check("Bearer forged")).toEqual({ status: 401, message: "the token is not valid" });
  });

  it("answers 403 for an authenticated user without get on /metrics, 200 for one with it", async () => {
    const api = fakeApiserver({ t1: "system:serviceaccount:monitoring:prometheus", t2: "system:serviceaccount:team-a:app" }, new Set(["system:serviceaccount:monitoring:prometheus"]));
    const access = new KubernetesMetricsAccess(api.client);
    expect(await access.check("Bearer t1")).toEqual({ status: 200 });
    expect((await access.check("Bearer t2")).status).toBe(403);
    const sar = api.reviews.find((r) => r.path.endsWith("/subjectaccessreviews"));
    expect(sar?.body.spec).toMatchObject({ user: "system:serviceaccount:monitoring:prometheus", groups: ["system:authenticated"], nonResourceAttributes: { path: "/metrics", verb: "get" } });
  });

  it("reuses an answer for a while, then asks again", async () => {
    let clock = 0;
    const api = fakeApiserver({ t1: "prometheus" }, new Set(["prometheus"]));
    const access = new KubernetesMetricsAccess(api.client, { cacheMs: 1_000, now: () => clock });
    await access.check("Bearer t1");
    await access.check("Bearer t1");
    expect(api.reviews).toHaveLength(2);
    clock = 1_001;
    await access.check("Bearer t1");
    expect(api.reviews).toHaveLength(4);
  });

  it("keeps at most the configured number of answers", async () => {
    const users = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`t${i}`, `u${i}`]));
    const api = fakeApiserver(users, new Set(Object.values(users)));
    const access = new KubernetesMetricsAccess(api.client, { cacheEntries: 2 });
    for (let i = 0; i < 5; i++) await access.check(`Bearer t${i}`);
    const before = api.reviews.length;
    await access.check("Bearer t0");
    expect(api.reviews.length).toBe(before + 2);
  });

  it("fails closed with 503 when the apiserver cannot be asked, and keeps no answer", async () => {
    const api = fakeApiserver({ t1: "prometheus" }, new Set(["prometheus"]), { fail: true });
    const access = new KubernetesMetricsAccess(api.client);
    expect((await access.check("Bearer t1")).status).toBe(503);
    expect((await access.check("Bearer t1")).status).toBe(503);
    expect(api.reviews).toHaveLength(2);
  });
});
