// `nexus apikey create` and `nexus apikey hash`: make a key and the lines to paste into
// authentication.apiKeys.keys, or hash an existing key. The key is written once, to stdout,
// and nowhere else: no file, no log, no error message.
import type { Command } from "commander";
import { apiKeySha256, generateApiKey, isApiKeyId, parseApiKey } from "../credentials/api-key.js";
import { ioOf } from "./context.js";
import { UsageError } from "./exit-codes.js";

const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = { d: DAY_MS, h: 3_600_000, m: 60_000 };

/** "90d", "12h" or "30m": how long a new key stays valid. */
export function parseValidity(text: string): number {
  const match = /^([1-9][0-9]{0,5})([dhm])$/.exec(text);
  if (!match) throw new UsageError(`--valid-for "${text}" must be a whole number of days, hours or minutes, such as 90d, 12h or 30m`);
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

export function registerApiKey(program: Command): void {
  const apikey = program
    .command("apikey")
    .description("create and hash API keys for authentication.apiKeys")
    .addHelpText("after", "\nExamples:\n  nexus apikey create --id billing-batch --tenant acme --valid-for 90d\n  nexus apikey hash < key.txt\n");
  apikey
    .command("create")
    .description("print a new API key once on stdout, with the id, sha256 and notAfter to paste into authentication.apiKeys.keys")
    .requiredOption("--id <id>", "key id: a DNS-1123 label, unique in the policy")
    .option("--tenant <tenant>", "tenant of the caller holding the key")
    .option("--valid-for <duration>", "validity, such as 90d, 12h or 30m", "90d")
    .action((options: { id: string; tenant?: string; validFor: string }, command: Command) => {
      if (!isApiKeyId(options.id)) throw new UsageError(`--id "${options.id}" must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit`);
      if (options.tenant !== undefined && !isApiKeyId(options.tenant)) throw new UsageError(`--tenant "${options.tenant}" must be a DNS-1123 label`);
      const notAfter = new Date(Date.now() + parseValidity(options.validFor)).toISOString().replace(/\.\d{3}Z$/, "Z");
      const key = generateApiKey(options.id);
      const lines = [
        `# API key ${options.id}: give it to its holder now; it is not shown again and only its sha256 is kept.`,
        key,
        "# to paste under authentication.apiKeys.keys:",
        `- id: ${options.id}`,
        `  sha256: ${apiKeySha256(key)}`,
        ...(options.tenant ? [`  tenant: ${options.tenant}`] : []),
        `  notAfter: "${notAfter}"`,
      ];
      ioOf(command).out(`${lines.join("\n")}\n`);
    });
  apikey
    .command("hash")
    .description("read an API key on stdin and print the sha256 for authentication.apiKeys.keys")
    .action(async (_options: unknown, command: Command) => {
      const io = ioOf(command);
      const key = (await io.readStdin()).trim();
      const parsed = parseApiKey(key);
      // The message names the problem, never the input.
      if (!parsed.ok) throw new UsageError(parsed.problem === "checksum" ? "stdin holds a key whose checksum does not match: it was mistyped or truncated" : "stdin does not hold an API key of the form nxk_<id>_<secret>_<checksum>");
      io.out(`- id: ${parsed.id}\n  sha256: ${apiKeySha256(key)}\n`);
    });
}
