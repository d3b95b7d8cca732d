// Runs the Argo CD health script with the real lua5.4 interpreter the way Argo CD does:
// `obj` set to the live object (here converted to a Lua table constructor), the script's
// returned table read back.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { repoRoot } from "./run-cli.js";

const run = promisify(execFile);

export const HEALTH_SCRIPT = path.join(repoRoot, "hack", "argocd", "nexus-health.lua");

export async function ensureLua(): Promise<void> {
  try {
    await run("lua5.4", ["-v"]);
  } catch {
    await run("bash", [path.join(repoRoot, "hack", "ensure-debian-package.sh"), "lua5.4", "lua5.4"], { timeout: 300_000 });
  }
}

/** A Lua table constructor for a JSON value; JSON null (absent in Lua) is left out. */
export function luaLiteral(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return luaString(value);
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(value);
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `{${value.map(luaLiteral).join(", ")}}`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined);
  return `{${entries.map(([k, v]) => `[${luaString(k)}] = ${luaLiteral(v)}`).join(", ")}}`;
}

function luaString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === "\\") out += `\\${char}`;
    else if (code < 0x20 || code > 0x7e) out += `\\u{${code.toString(16)}}`;
    else out += char;
  }
  return `${out}"`;
}

export async function argoHealth(object: unknown): Promise<{ status: string; message: string }> {
  const program = [
    `local env = setmetatable({ obj = ${luaLiteral(object)} }, { __index = _G })`,
    `local chunk = assert(loadfile(${luaString(HEALTH_SCRIPT)}, "t", env))`,
    "local hs = chunk()",
    'io.write(hs.status, "\\n", hs.message or "")',
  ].join("\n");
  const { stdout } = await run("lua5.4", ["-e", program]);
  const [status = "", ...message] = stdout.split("\n");
  return { status, message: message.join("\n") };
}
