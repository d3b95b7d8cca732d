// BENCH_APISERVER_PROF=1: a CPU profile of the kube-apiserver (its /debug/pprof endpoint,
// read with the bench's admin credentials) over the first seconds of a phase's writes, so the
// operator's sync and the floor's identical writes can be compared function by function
// (`go tool pprof -top` on the two files). Off by default: nothing in the timings depends on it.
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import https from "node:https";
import path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";

export const APISERVER_PROFILE_SECONDS = Number(process.env.BENCH_APISERVER_PROF_SECONDS ?? 60);

export function apiserverProfileWanted(): boolean {
  return process.env.BENCH_APISERVER_PROF === "1";
}

/** Starts the capture and resolves once the profile is written (or with the reason it was not). */
export async function captureApiserverProfile(kc: KubeConfig, file: string, seconds = APISERVER_PROFILE_SECONDS): Promise<string> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) return "no current cluster in the kubeconfig";
  await mkdir(path.dirname(file), { recursive: true });
  const options: https.RequestOptions = { method: "GET", headers: {} };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve) => {
    const request = https.request(new URL(`/debug/pprof/profile?seconds=${seconds}`, cluster.server), options, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        resolve(`HTTP ${response.statusCode}`);
        return;
      }
      const out = createWriteStream(file);
      response.pipe(out);
      out.on("finish", () => resolve(`written to ${file}`));
      out.on("error", (err) => resolve(err.message));
    });
    request.setTimeout((seconds + 60) * 1000, () => request.destroy(new Error("timed out")));
    request.on("error", (err) => resolve(err.message));
    request.end();
  });
}
