// Runs last (see test/sequencer.ts): every AuthorizationPolicy, PeerAuthentication and
// RequestAuthentication the operator left in the suite's cluster passes istiod's admission
// validation, with only the warnings istio-warnings.ts names.
import { describe, expect, inject, it } from "vitest";
import { resources } from "../../operator/runtime/resources.js";
import type { KubeObject } from "../../operator/runtime/kube-client.js";
import { adminClient } from "../support/kube.js";
import { expectedWarnings } from "./istio-warnings.js";
import { useIstioJudge } from "./judge-hooks.js";

const judge = useIstioJudge();

describe("what the operator wrote during the integration suite", () => {
  it("passes istiod's admission validation", async (context) => {
    const client = adminClient(inject("kubeconfig"));
    const written: KubeObject[] = [];
    for (const type of [resources.authorizationPolicy, resources.peerAuthentication, resources.requestAuthentication]) {
      written.push(...(await client.list<KubeObject>(type, undefined, "app.kubernetes.io/managed-by=nexus-operator")).items);
    }
    if (written.length === 0) {
      console.log("istiod's validation of the suite's objects: no operator wrote any in this run (file run alone), nothing to check");
      context.skip();
    }
    const results = await judge.validate(written);
    const name = (o: { kind?: string; namespace?: string; name: string }) => `${o.kind} ${o.namespace}/${o.name}`;
    expect(results.flatMap((r) => r.errors.map((e) => `${name(r)}: ${e}`))).toEqual([]);
    expect(results.map((r) => ({ object: name(r), warnings: r.warnings }))).toEqual(
      written.map((o) => ({ object: name({ kind: o.kind, ...o.metadata }), warnings: expectedWarnings(o) })),
    );
    console.log(`istiod's validation of the suite's objects: ${written.length} objects the operator left in the cluster, all accepted`);
  });
});
