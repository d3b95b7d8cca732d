#!/usr/bin/env node
// `nexus` / `kubectl-nexus`. In a checkout the TypeScript sources run through tsx (a
// devDependency), so `npx nexus` works right after `npm ci` with no build; where only the
// compiled tree exists (the operator image, `npm run build` output without sources) the
// compiled entry runs instead.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const source = `${root}operator/cli/entry.ts`;
const compiled = `${root}dist/cli/entry.js`;

if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(source).href);
} else if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  process.stderr.write("nexus: neither operator/cli/entry.ts nor dist/cli/entry.js is present next to this script\n");
  process.exitCode = 3;
}
