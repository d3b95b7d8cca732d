// Process entry of the `nexus` command: `node dist/cli/entry.js` in the operator image,
// bin/nexus.mjs in a checkout.
import { runCli } from "./main.js";

process.exitCode = await runCli(process.argv.slice(2));
