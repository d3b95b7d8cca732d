import { mkdtempSync, writeFileSync } from "node:fs";
import type https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { loadClusterAccess } from "./cluster-access.js";

function kubeconfig(dir: string, user: Record<string, unknown>, cluster: Record<string, unknown> = { server: "https://10.0.0.1:6443", "certificate-authority-data": Buffer.from("CA PEM").toString("base64") }): string {
  const file = path.join(dir, "config");
  writeFileSync(file, yaml.dump({
    apiVersion: "v1",
    kind: "Config",
    "current-context": "here",
    contexts: [{ name: "here", context: { cluster: "c", user: "u" } }, { name: "other", context: { cluster: "x", user: "y" } }],
    clusters: [{ name: "c", cluster }],
    users: [{ name: "u", user }],
  }));
  return file;
}

async function optionsOf(file: string | undefined, env: NodeJS.ProcessEnv = {}, inClusterDir?: string): Promise<https.RequestOptions & { server: string }> {
  const access = loadClusterAccess(file, env, inClusterDir);
  const options: https.RequestOptions = {};
  await access.applyToHTTPSOptions(options);
  return { ...options, server: access.getCurrentCluster()?.server ?? "" };
}

describe("loadClusterAccess", () => {
  it("reads the current context's server, CA and client certificate, inline or from files beside the kubeconfig", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "access-"));
    writeFileSync(path.join(dir, "client.key"), "KEY PEM");
    const file = kubeconfig(dir, { "client-certificate-data": Buffer.from("CERT PEM").toString("base64"), "client-key": "client.key" });
    const options = await optionsOf(file);
    expect(options.server).toBe("https://10.0.0.1:6443");
    expect(String(options.ca)).toBe("CA PEM");
    expect(String(options.cert)).toBe("CERT PEM");
    expect(String(options.key)).toBe("KEY PEM");
    expect(options.headers).toBeUndefined();
  });

  it("sends a token as a bearer header, and reads a token file again once it may have rotated", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "access-"));
    expect((await optionsOf(kubeconfig(dir, { token: "abc" }))).headers).toEqual({ authorization: "Bearer abc" });
    writeFileSync(path.join(dir, "token"), "first\n");
    const access = loadClusterAccess(kubeconfig(dir, { tokenFile: "token" }), {});
    const first: https.RequestOptions = {};
    await access.applyToHTTPSOptions(first);
    expect(first.headers).toEqual({ authorization: "Bearer first" });
    writeFileSync(path.join(dir, "token"), "second\n");
    const realNow = Date.now;
    try {
      Date.now = () => realNow() + 61_000;
      const later: https.RequestOptions = {};
      await access.applyToHTTPSOptions(later);
      expect(later.headers).toEqual({ authorization: "Bearer second" });
    } finally {
      Date.now = realNow;
    }
  });

  it("refuses credentials a server cannot use, naming the field", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "access-"));
    expect(() => loadClusterAccess(kubeconfig(dir, { exec: { command: "aws" } }), {})).toThrow("users[u].user.exec is not supported");
    expect(() => loadClusterAccess(kubeconfig(dir, { token: "t" }, { server: "10.0.0.1" }), {})).toThrow("clusters[c].cluster.server must be an http(s) URL");
    expect(() => loadClusterAccess(`${path.join(dir, "a")}${path.delimiter}${path.join(dir, "b")}`, {})).toThrow("one file is supported here");
  });

  it("names the missing entry when the current context points nowhere", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "access-"));
    const file = path.join(dir, "config");
    writeFileSync(file, yaml.dump({ "current-context": "gone", contexts: [], clusters: [], users: [] }));
    expect(() => loadClusterAccess(file, {})).toThrow('contexts has no entry named "gone"');
  });

  it("uses the pod's ServiceAccount in a cluster, with an IPv6 service address in brackets", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sa-"));
    writeFileSync(path.join(dir, "ca.crt"), "CLUSTER CA");
    writeFileSync(path.join(dir, "token"), "sa-token");
    const options = await optionsOf(undefined, { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" }, dir);
    expect(options.server).toBe("https://[fd00::1]:443");
    expect(String(options.ca)).toBe("CLUSTER CA");
    expect(options.headers).toEqual({ authorization: "Bearer sa-token" });
  });
});
