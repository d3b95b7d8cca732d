import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "./index.js";

// Restarting or stopping the shared control plane would disrupt other test files, so these
// checks run against a private one.

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("a private control plane", () => {
  let controlPlane: ControlPlane | undefined;
  afterAll(() => controlPlane?.stop());

  it("keeps its address and its data across an apiserver restart, and stop() leaves no process or temp dir behind", async () => {
    controlPlane = await startControlPlane();
    const { server, tempDir } = controlPlane;
    const kc = new KubeConfig();
    kc.loadFromFile(controlPlane.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "survivor" }, data: { a: "1" } },
    });

    await controlPlane.restartApiServer();

    expect(controlPlane.server).toBe(server);
    const read = await core.readNamespacedConfigMap({ namespace: "default", name: "survivor" });
    expect(read.data).toEqual({ a: "1" });

    const pids = readFileSync(path.join(tempDir, "pids"), "utf8").trim().split("\n").map(Number);
    expect(pids).toHaveLength(3);
    await controlPlane.stop();

    expect(existsSync(tempDir)).toBe(false);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
