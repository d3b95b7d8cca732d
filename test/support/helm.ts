// The real helm CLI for chart tests: built from its Go module at the version pinned in
// hack/versions.env (hack/build-helm.sh, cached outside the repository), run with its own
// config/cache folders so nothing on the machine leaks in, and fed values through files.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import yaml from "js-yaml";
import { repoRoot } from "../controlplane/binaries.js";
import { parseYamlDocuments } from "../controlplane/crds.js";
import { runHackScript } from "../controlplane/hack-script.js";

export const chartDir = path.join(repoRoot, "charts", "nexus-operator");

/** A cold build of helm takes minutes on two cores; hooks that call helmBinary() need this. */
export const HELM_BUILD_TIMEOUT_MS = 20 * 60_000;

/** The pins of hack/versions.env. */
export function pinnedVersions(): Record<string, string> {
  const text = readFileSync(path.join(repoRoot, "hack", "versions.env"), "utf8");
  const pins: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(\S+)\s*$/.exec(line.trim());
    if (match) pins[match[1]!] = match[2]!;
  }
  return pins;
}

/** The Kubernetes version the chart is templated and linted for: the test control plane's. */
export const KUBE_VERSION = pinnedVersions().KUBERNETES_VERSION ?? "v1.36.3";

let built: Promise<string> | undefined;

/**
 * Path of the helm binary. hack/build-helm.sh prints progress on stderr (passed through, a
 * first build takes minutes) and the folder on stdout; its last stderr line is the reason
 * when it fails.
 */
export function helmBinary(): Promise<string> {
  built ??= runHackScript("build-helm.sh").then((lines) => path.join(lines.at(-1) as string, "helm"));
  return built;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

// Helm's own state (repositories, registry logins, plugins) stays out of the tests.
const helmHome = mkdtempSync(path.join(os.tmpdir(), "nexus-helm-home-"));
const helmEnv = {
  ...process.env,
  HELM_CONFIG_HOME: path.join(helmHome, "config"),
  HELM_CACHE_HOME: path.join(helmHome, "cache"),
  HELM_DATA_HOME: path.join(helmHome, "data"),
};

/** Runs helm; never throws for a non-zero exit, the caller looks at code and stderr. */
export async function helm(args: string[], options: { timeoutMs?: number } = {}): Promise<HelmResult> {
  const binary = await helmBinary();
  return new Promise((resolve, reject) => {
    execFile(binary, args, { cwd: repoRoot, env: helmEnv, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1) : 0;
      if (err && code === -1) reject(new Error(`helm ${args.join(" ")}: ${err.message}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** Writes values to a temp file for `-f`, so tests never depend on --set parsing rules. */
export async function valuesFile(values: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "nexus-values-"));
  const file = path.join(dir, "values.yaml");
  await writeFile(file, yaml.dump(values));
  return file;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  values?: Record<string, unknown>;
  showOnly?: string[];
}

/** `helm template` arguments for the chart, for the pinned Kubernetes version. */
export async function templateArgs(options: RenderOptions = {}): Promise<string[]> {
  const args = ["template", options.release ?? "nexus-operator", chartDir, "--namespace", options.namespace ?? "nexus-system", "--kube-version", KUBE_VERSION];
  if (options.values) args.push("--values", await valuesFile(options.values));
  for (const template of options.showOnly ?? []) args.push("--show-only", template);
  return args;
}

/** Renders the chart and parses every manifest; fails with helm's message when it cannot. */
export async function renderChart(options: RenderOptions = {}): Promise<KubernetesObject[]> {
  const result = await helm(await templateArgs(options));
  if (result.code !== 0) throw new Error(`helm template failed (exit ${result.code}): ${result.stderr.trim()}`);
  return parseYamlDocuments(result.stdout, "helm template output");
}

export function findObject<T extends KubernetesObject = KubernetesObject>(objects: KubernetesObject[], kind: string, name?: string): T {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ""} among the rendered objects (${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(", ")})`);
  return found as T;
}
