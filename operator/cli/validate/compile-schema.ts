// A CRD schema compiled for validation: its nodes (schema-node.ts) with every CEL rule
// analysed for the fastest way to evaluate it: a memo over a finite domain, a shortcut for
// common shapes, or a projection of what it reads; a rule with none of them is evaluated
// in full.
import { ruleMemo } from "./rule-memo.js";
import { ProjectionKeys, projectionMemo } from "./rule-projection.js";
import { ruleShortcut } from "./rule-shortcut.js";
import { buildSchemaNode, type JsonSchema, type SchemaNode } from "./schema-node.js";

export function compileSchema(schema: JsonSchema): SchemaNode {
  return buildSchemaNode(schema, analyseRules);
}

function analyseRules(node: SchemaNode): void {
  const projectionKeys = new ProjectionKeys();
  for (const rule of node.rules) {
    if (!rule.expr) continue;
    rule.memo = ruleMemo(rule.expr, node);
    if (!rule.memo) rule.shortcut = ruleShortcut(rule.expr, node);
    if (!rule.memo && !rule.shortcut) rule.projection = projectionMemo(rule.expr, node, projectionKeys);
  }
}
