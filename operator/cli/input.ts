// Reads the manifests a command is given: files, directories (with -R, recursively) and
// `-` for stdin; each may hold several YAML documents or JSON (one object or a List).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { UsageError } from "./exit-codes.js";
import { excessiveAliasing } from "./alias-expansion.js";
import { readBlockYamlNotingDates } from "./read-block-yaml.js";

export interface SourceDocument {
  /** File path, or "<stdin>". */
  file: string;
  /** Position of the document in its file, from 0. */
  index: number;
  object: Record<string, unknown>;
  /** False when the object surely holds no Date (a YAML time read as one): JSON, or YAML without times. */
  mayHoldDates?: boolean;
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

export interface ReadOptions {
  recursive: boolean;
  readStdin: () => Promise<string>;
}

export async function readManifests(paths: string[], options: ReadOptions): Promise<SourceDocument[]> {
  if (paths.length === 0) throw new UsageError("-f/--filename is required: name files, directories (with -R) or - for stdin");
  const documents: SourceDocument[] = [];
  // Read synchronously: a command has nothing else to do meanwhile, and a directory of
  // hundreds of files waited on one by one idles a fifth of the time it takes to read them.
  for (const file of expandPaths(paths, options.recursive)) {
    const text = file === "-" ? await options.readStdin() : readFileSync(file, "utf8");
    documents.push(...parseManifests(text, file === "-" ? "<stdin>" : file));
  }
  return documents;
}

function expandPaths(paths: string[], recursive: boolean): string[] {
  const files: string[] = [];
  for (const given of paths) {
    if (given === "-") {
      files.push(given);
      continue;
    }
    let info;
    try {
      info = statSync(given);
    } catch {
      throw new UsageError(`-f ${given}: no such file or directory`);
    }
    if (!info.isDirectory()) {
      files.push(given);
      continue;
    }
    const entries = readdirSync(given, { recursive, withFileTypes: true });
    files.push(
      ...entries
        .filter((entry) => entry.isFile() && MANIFEST_FILE.test(entry.name))
        .map((entry) => path.join(entry.parentPath, entry.name))
        .sort(),
    );
  }
  return files;
}

/**
 * JSON is YAML, but JSON.parse is several times faster on large generated files; so is the
 * block reader on the block YAML most manifests are. js-yaml reads the rest (YAML in flow
 * style, which may start with `{` too) and words the error of text that is neither.
 */
function documentsOf(text: string): { documents: unknown[]; hasDates: boolean; mayHoldAliases?: boolean } {
  if (text.trimStart().startsWith("{")) {
    try {
      return { documents: [JSON.parse(text)], hasDates: false };
    } catch {
      // Not JSON: YAML, or an error js-yaml describes.
    }
  }
  return readBlockYamlNotingDates(text) ?? { documents: yaml.loadAll(text), hasDates: true, mayHoldAliases: true };
}

/** Every object of a YAML or JSON text; `kind: List` documents are unpacked. */
export function parseManifests(text: string, file: string): SourceDocument[] {
  let parsed: unknown[];
  let mayHoldDates: boolean;
  let mayHoldAliases: boolean | undefined;
  try {
    ({ documents: parsed, hasDates: mayHoldDates, mayHoldAliases } = documentsOf(text));
  } catch (err) {
    throw new UsageError(`${file}: not valid YAML or JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  const documents: SourceDocument[] = [];
  parsed.forEach((value, index) => {
    if (value === null || value === undefined) return;
    // Only js-yaml's reader shares nodes between aliases; JSON and the block reader never do.
    const aliasing = mayHoldAliases ? excessiveAliasing(value) : undefined;
    if (aliasing) throw new UsageError(`${file} document ${index}: ${aliasing}`);
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new UsageError(`${file} document ${index}: expected a Kubernetes object (a mapping with apiVersion and kind), got ${Array.isArray(value) ? "a list" : typeof value}`);
    }
    const object = value as Record<string, unknown>;
    if (object.kind === "List" && Array.isArray(object.items)) {
      for (const item of object.items) documents.push({ file, index, object: item as Record<string, unknown>, mayHoldDates });
    } else {
      documents.push({ file, index, object, mayHoldDates });
    }
  });
  return documents;
}
