// The README's GitOps section and the CLI's own help agree: the same commands with the same
// summaries, the same exit codes, and a CI example that uses only flags the commands have.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../operator/cli/main.js";
import { DATA_PLANES } from "../../operator/dataplane/data-plane.js";
import { nexus, repoRoot } from "./support/run-cli.js";

const io = { out: () => {}, err: () => {}, readStdin: async () => "", env: {}, stdoutIsTTY: false };

async function gitopsSection(): Promise<string> {
  const readme = await readFile(path.join(repoRoot, "README.md"), "utf8");
  const start = readme.indexOf("\n## GitOps\n");
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe("README GitOps section and nexus --help", () => {
  it("lists the registered commands, each with its help summary", async () => {
    const section = await gitopsSection();
    const rows = [...section.matchAll(/^\| `nexus ([a-z-]+)` \| (.+) \|$/gm)].map((m) => [m[1], m[2]]);
    const program = buildProgram(io);
    const commands = program.commands.map((c) => [c.name(), c.summary()]);
    // Every row is a registered command with its summary, and none of the GitOps commands is missing.
    for (const row of rows) expect(commands).toContainEqual(row);
    for (const name of ["validate", "render", "diff", "check", "test"]) expect(rows.map((r) => r[0])).toContain(name);
    const help = await nexus(["--help"]);
    for (const [name, summary] of rows) {
      expect(help.stdout).toContain(`${name} `);
      expect(help.stdout.replace(/\s+/g, " ")).toContain(summary!);
    }
  });

  it("gives the exit codes that nexus --help gives", async () => {
    const section = await gitopsSection();
    const rows = [...section.matchAll(/^\| ([0-9]) \| (.+) \|$/gm)].map((m) => `  ${m[1]}  ${m[2]}`);
    expect(rows).toHaveLength(4);
    const help = await nexus(["--help"]);
    for (const row of rows) expect(help.stdout).toContain(row);
  });

  it("shows a CI example whose every flag the named command accepts", async () => {
    const section = await gitopsSection();
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    const program = buildProgram(io);
    let checked = 0;
    for (const line of block.split("\n").filter((l) => l.startsWith("npx nexus "))) {
      // The command itself, up to a shell operator (|| > |).
      const [name, ...words] = line.slice("npx nexus ".length).split(/\s+(?:\|\||>|\|)\s+/)[0]!.split(/\s+/);
      const command = program.commands.find((c) => c.name() === name);
      if (!command) continue; // a command another part adds (validate) is checked once it is registered
      const flags = words.filter((w) => /^--?[a-zA-Z]/.test(w));
      for (const flag of flags) expect(command.options.some((o) => o.long === flag || o.short === flag), `${name} ${flag}`).toBe(true);
      const help = await nexus([name!, "--help"]);
      for (const flag of flags) expect(help.stdout).toContain(flag);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });

  it("documents --data-plane with the values check and test accept", async () => {
    const section = await gitopsSection();
    const documented = /`--data-plane ([a-z|]+)`/.exec(section)?.[1]?.split("|");
    expect(documented).toEqual([...DATA_PLANES]);
    for (const name of ["check", "test"]) {
      const help = await nexus([name, "--help"]);
      expect(help.stdout.replace(/\s+/g, " ")).toContain(`--data-plane <plane>`);
      expect(help.stdout.replace(/\s+/g, " ")).toContain(`(choices: ${DATA_PLANES.map((plane) => `"${plane}"`).join(", ")})`);
    }
  });
});
