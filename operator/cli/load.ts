// From command-line options to the manifests and render settings a command works on.
import type { Command } from "commander";
import type { RenderConfig } from "../config.js";
import { ioOf } from "./context.js";
import { readManifests } from "./input.js";
import { manifestsOf, type Manifests } from "./manifests.js";
import { renderConfigOf, type FileOptions, type RenderSettingOptions } from "./options.js";

export interface Loaded {
  manifests: Manifests;
  config: RenderConfig;
}

export async function loadFromOptions(command: Command, options: FileOptions & RenderSettingOptions): Promise<Loaded> {
  const io = ioOf(command);
  const config = renderConfigOf(options, io.env);
  const documents = await readManifests(options.filename ?? [], { recursive: options.recursive === true, readStdin: io.readStdin });
  const manifests = manifestsOf(documents, options.namespace ?? "default");
  if (manifests.identities.length + manifests.policies.length === 0) {
    io.err(`nexus: warning: no EngineIdentity or AccessPolicy in the ${documents.length} document(s) read\n`);
  }
  return { manifests, config };
}
