// YAML aliases are references: js-yaml reads `&a [..]` once and hands out the same object
// for every `*a`, so a kilobyte of nested aliases ("billion laughs") parses at once into a
// graph whose every walk (validation, rendering, printing) visits billions of nodes. The
// apiserver's YAML decoder refuses excessive aliasing; the CLI refuses it too, before any
// walk, by counting the nodes the aliases would expand to. The count visits each distinct
// node once (sizes are memoised by identity), so it costs what the text costs.

/** Expanded size allowed whatever the aliasing: ordinary manifests with a few anchors stay far below. */
export const MAX_EXPANDED_NODES = 100_000;
/** Past that, aliases may add at most this many expanded nodes per distinct node. */
export const MAX_EXPANSION_RATIO = 10;

export interface Expansion {
  /** Nodes (mappings, lists and scalars) of the document with every alias expanded. */
  expanded: number;
  /** Distinct nodes actually held in memory. */
  distinct: number;
  /** True when an alias refers to a node that contains it. */
  cyclic: boolean;
}

export function expansionOf(document: unknown): Expansion {
  const sizes = new Map<object, number>();
  const onPath = new Set<object>();
  let cyclic = false;
  let distinct = 0;
  const size = (node: unknown): number => {
    if (node === null || typeof node !== "object") return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (onPath.has(node)) {
      cyclic = true;
      return 1;
    }
    onPath.add(node);
    distinct++;
    let total = 1;
    const children = Array.isArray(node) ? node : node instanceof Date ? [] : Object.values(node);
    for (const child of children) {
      if (child === null || typeof child !== "object") distinct++;
      // Saturates instead of losing precision on absurd inputs.
      total = Math.min(Number.MAX_SAFE_INTEGER, total + size(child));
    }
    onPath.delete(node);
    sizes.set(node, total);
    return total;
  };
  const expanded = size(document);
  return { expanded, distinct: Math.max(distinct, 1), cyclic };
}

/** Why a document's aliases may not be expanded, or undefined when they may. */
export function excessiveAliasing(document: unknown): string | undefined {
  const { expanded, distinct, cyclic } = expansionOf(document);
  if (cyclic) return "a YAML alias refers to a node that contains it (a cycle); write the manifest without it";
  if (expanded > MAX_EXPANDED_NODES && expanded > distinct * MAX_EXPANSION_RATIO) {
    return `YAML aliases expand ${distinct} nodes to ${expanded}, more than ${MAX_EXPANDED_NODES} and more than ${MAX_EXPANSION_RATIO} times the nodes written (excessive aliasing, as in an alias bomb); write the manifest without anchors and aliases`;
  }
  return undefined;
}
