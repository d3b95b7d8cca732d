import { describe, expect, it } from "vitest";
import { generateCorpus } from "../../test/cli/support/corpus.js";
import { defaultRenderConfig } from "../config.js";
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import type { AuthorizationPolicyObject } from "../evaluate/index.js";
import { AccessModel, targetOf } from "./access-model.js";
import { parseCaller } from "./caller.js";
import { checkAccess } from "./check-access.js";
import { accessMatrix, candidateOperations } from "./matrix.js";
import type { Operation } from "./check-access.js";
import { renderAll } from "./render-set.js";

describe("access matrix", () => {
  it("gives, cell by cell, the evaluator's own answer for every caller, target and operation", () => {
    const corpus = generateCorpus({ namespaces: ["a", "b", "c", "d"], tenants: ["t1", "t2"], identities: 40, policies: 40, seed: 5 });
    const identities = corpus.filter((m) => m.kind === "EngineIdentity").map((m) => ({ ...m, metadata: { ...m.metadata, generation: 1 } })) as unknown as EngineIdentity[];
    const policies = corpus.filter((m) => m.kind === "AccessPolicy").map((m) => ({ ...m, metadata: { ...m.metadata, generation: 1 } })) as unknown as AccessPolicy[];
    const rendered = renderAll({ identities, policies }, defaultRenderConfig);
    const model = new AccessModel(rendered.objects.filter((o) => o.kind === "AuthorizationPolicy") as unknown as AuthorizationPolicyObject[]);
    const targets = identities.map((i) => targetOf(rendered.lookup.get(i.metadata.namespace, i.metadata.name)!));
    const callers = targets.map((t) => parseCaller(`${t.namespace}/${t.name}`, { trustDomain: "cluster.local", identities: rendered.lookup, defaultNamespace: t.namespace }));
    // The requests the policies talk about, so that some are allowed and some are not.
    const seen = new Map<string, Operation>();
    for (const target of targets) for (const op of candidateOperations(model.policiesFor(target), 8080)) seen.set(`${op.method} ${op.path} ${op.port}`, op);
    const operations = [...seen.values()].slice(0, 6);
    const cells = accessMatrix(model, callers, targets, operations, 8080);
    expect(cells).toHaveLength(callers.length * targets.length * operations.length);
    const targetByName = new Map(targets.map((t) => [`${t.namespace}/${t.name}`, t]));
    const callerOf = new Map(callers.map((c) => [c.label, c]));
    let allowed = 0;
    for (const cell of cells) {
      const target = targetByName.get(cell.to)!;
      const caller = callerOf.get(cell.from)!;
      const answer = checkAccess(model, caller, target, cell.operation!);
      expect(cell.decision, `${cell.from} -> ${cell.to} ${cell.operation!.method} ${cell.operation!.path}`).toBe(answer.decision);
      if (cell.decision === "ALLOW") allowed++;
    }
    // The corpus must exercise both answers for the comparison to mean anything.
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(cells.length);
  }, 60_000);
});
