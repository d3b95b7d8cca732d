import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { API_KEY_SCAN_PATTERN, apiKeySha256, parseApiKey } from "../credentials/api-key.js";
import { parseValidity } from "./apikey.js";

const bin = fileURLToPath(new URL("../../bin/nexus.mjs", import.meta.url));
const run = (args: string[], input = "") => spawnSync(process.execPath, [bin, ...args], { input, encoding: "utf8", timeout: 60_000 });

describe("nexus apikey", { timeout: 120_000 }, () => {
  it("create prints the key once on stdout, nothing of it on stderr, and the lines to paste", () => {
    const before = Date.now();
    const result = run(["apikey", "create", "--id", "ci-deploy", "--tenant", "acme", "--valid-for", "30d"]);
    expect(result.status, result.stderr).toBe(0);
    const keys = [...result.stdout.matchAll(API_KEY_SCAN_PATTERN)].map((m) => m[0]);
    expect(keys).toHaveLength(1);
    const key = keys[0] as string;
    expect(parseApiKey(key)).toEqual({ ok: true, id: "ci-deploy" });
    expect(result.stdout.split(key)).toHaveLength(2);
    expect(result.stderr).not.toContain(key.split("_")[2]);
    expect(result.stdout).toContain(`- id: ci-deploy\n  sha256: ${apiKeySha256(key)}\n  tenant: acme\n`);
    const notAfter = Date.parse(/notAfter: "([^"]+)"/.exec(result.stdout)?.[1] ?? "");
    expect(notAfter - before).toBeGreaterThanOrEqual(30 * 86_400_000 - 1000);
    expect(notAfter - before).toBeLessThan(30 * 86_400_000 + 60_000);
  });

  it("hash reads a key on stdin and prints its id and sha256; a mistyped key is refused without echoing it", () => {
    const created = run(["apikey", "create", "--id", "ci"]);
    const key = [...created.stdout.matchAll(API_KEY_SCAN_PATTERN)][0]?.[0] as string;
    const hashed = run(["apikey", "hash"], `${key}\n`);
    expect(hashed.status, hashed.stderr).toBe(0);
    expect(hashed.stdout).toBe(`- id: ci\n  sha256: ${apiKeySha256(key)}\n`);
    const typo = `${key.slice(0, 10)}${key[10] === "A" ? "B" : "A"}${key.slice(11)}`;
    const refused = run(["apikey", "hash"], typo);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/checksum does not match/);
    expect(refused.stderr + refused.stdout).not.toContain(typo.split("_")[2]);
  });

  it("refuses a bad id and a bad validity with exit code 2", () => {
    expect(run(["apikey", "create", "--id", "CI_bot"]).status).toBe(2);
    expect(() => parseValidity("90 days")).toThrow(/--valid-for "90 days" must be a whole number of days, hours or minutes/);
    expect(parseValidity("90d")).toBe(90 * 86_400_000);
    expect(parseValidity("12h")).toBe(12 * 3_600_000);
  });
});
