// stop() must end everything the operator started: a paced Event sender that outlives
// stop() writes to the apiserver and to a log stream its owner has already closed (a
// "write after end" that fails a whole test run), and keeps the process from exiting.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeClient } from "../../operator/runtime/kube-client.js";
import { repoRoot } from "../controlplane/binaries.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";

describe("stopping the operator in the middle of a burst of Events", () => {
  let client: KubeClient;
  const ns = uniqueName("stop");

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns);
  });

  afterAll(async () => {
    await deleteNamespace(client, ns);
    client?.close();
  });

  it("sends and logs nothing once stop() resolves, and the process exits by itself", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "test/runtime/support/stop-mid-burst.ts"), inject("kubeconfig"), ns, "40"], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    // The process is never told to exit: it ends only when nothing keeps the event loop alive.
    const exit = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(null);
      }, 80_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    const lines = stdout.split("\n").filter(Boolean);
    const pendingAtStop = Number(lines.find((l) => l.startsWith("pending-at-stop "))?.split(" ")[1]);
    const after = JSON.parse(lines.find((l) => l.startsWith("after-stop "))?.slice("after-stop ".length) ?? "null") as { logLines: number; requests: number } | null;
    expect(exit, `the process did not exit by itself; stdout: ${stdout} stderr: ${stderr}`).toBe(0);
    expect(pendingAtStop, "Events were queued when stop() was called").toBeGreaterThanOrEqual(5);
    expect(lines).toContain("stopped");
    expect(after).toEqual({ logLines: 0, requests: 0 });
    expect(lines.find((l) => l.startsWith("active-resources "))).toBe("active-resources []");
    expect(stderr).not.toMatch(/write after end|Unhandled|Error/);
  });
});
