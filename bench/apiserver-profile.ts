// BENCH_APISERVER_PROF=1: CPU profiles of the kube-apiserver (its /debug/pprof endpoint, read
// with the bench's admin credentials) over the whole of a phase's writes, taken as a series of
// back-to-back windows (one request may not outlive the apiserver's request timeout), and the
// apiserver's request and watch counters over the same phase. The operator's sync and the
// floor's identical writes can then be compared function by function (`go tool pprof -top
// <files of one phase>` merges a phase's windows) and request by request. Off by default:
// nothing in the timings depends on it.
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import https from "node:https";
import path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";

/** One window's length; the last window may run past the phase's end by up to this. */
export const APISERVER_PROFILE_SECONDS = Number(process.env.BENCH_APISERVER_PROF_SECONDS ?? 20);

export function apiserverProfileWanted(): boolean {
  return process.env.BENCH_APISERVER_PROF === "1";
}

async function get(kc: KubeConfig, urlPath: string, timeoutMs: number): Promise<{ status: number; body?: NodeJS.ReadableStream }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) return { status: 0 };
  const options: https.RequestOptions = { method: "GET", headers: {} };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const request = https.request(new URL(urlPath, cluster.server), options, (response) => resolve({ status: response.statusCode ?? 0, body: response }));
    request.setTimeout(timeoutMs, () => request.destroy(new Error("timed out")));
    request.on("error", reject);
    request.end();
  });
}

async function captureWindow(kc: KubeConfig, file: string, seconds: number): Promise<string> {
  try {
    const { status, body } = await get(kc, `/debug/pprof/profile?seconds=${seconds}`, (seconds + 60) * 1000);
    if (status !== 200 || !body) {
      body?.resume();
      return `HTTP ${status}`;
    }
    const out = createWriteStream(file);
    body.pipe(out);
    return await new Promise((resolve) => {
      out.on("finish", () => resolve(file));
      out.on("error", (err) => resolve(err.message));
    });
  } catch (err) {
    return (err as Error).message;
  }
}

/** Back-to-back profile windows from start until stop; stop resolves once the last is written. */
export class ApiserverProfileSeries {
  private stopped = false;
  private readonly done: Promise<string[]>;

  constructor(kc: KubeConfig, filePrefix: string) {
    this.done = (async () => {
      await mkdir(path.dirname(filePrefix), { recursive: true });
      const written: string[] = [];
      for (let window = 0; !this.stopped; window++) {
        written.push(await captureWindow(kc, `${filePrefix}-${String(window).padStart(3, "0")}.pprof`, APISERVER_PROFILE_SECONDS));
      }
      return written;
    })();
  }

  async stop(): Promise<string> {
    this.stopped = true;
    const written = await this.done;
    return `${written.length} windows: ${written[0]} ...`;
  }
}

type Counters = Map<string, number>;

/** The apiserver's request and watch-event counters, keyed by their labels. */
export async function apiserverCounters(kc: KubeConfig): Promise<Counters> {
  const counters: Counters = new Map();
  const { status, body } = await get(kc, "/metrics", 60_000);
  if (status !== 200 || !body) return counters;
  let text = "";
  for await (const chunk of body) text += chunk.toString();
  const wanted = /^(apiserver_request_total|apiserver_watch_events_total|apiserver_watch_events_sizes_sum|apiserver_watch_cache_events_dispatched_total|apiserver_request_body_size_bytes_sum|apiserver_request_body_size_bytes_count|apiserver_response_sizes_sum)\{([^}]*)\} (\S+)$/;
  for (const line of text.split("\n")) {
    const match = wanted.exec(line);
    if (!match) continue;
    const labels = match[2]!
      .split(/,(?=[a-z_]+=)/)
      .filter((l) => /^(verb|resource|subresource|kind|code|scope)=/.test(l))
      .join(",");
    const key = `${match[1]} ${labels}`;
    counters.set(key, (counters.get(key) ?? 0) + Number(match[3]));
  }
  return counters;
}

/** The counters that moved between two snapshots, largest first, one per line. */
export function countersMoved(before: Counters, after: Counters, limit = 40): string {
  const moved = [...after]
    .map(([key, value]) => [key, value - (before.get(key) ?? 0)] as const)
    .filter(([, delta]) => delta > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit);
  return moved.map(([key, delta]) => `  ${Math.round(delta)}\t${key}`).join("\n");
}
