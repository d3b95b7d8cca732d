import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { attributesOf } from "../evaluate/request.js";
import { ruleMatches } from "../evaluate/rule-match.js";
import type { IstioRule } from "./istio-types.js";
import { mergeRulesWithSameCallers } from "./merge-rules.js";

const ledger = "cluster.local/ns/pay/sa/ledger";
const cart = "cluster.local/ns/shop/sa/cart";
const get = { operation: { methods: ["GET"] } };
const post = { operation: { methods: ["POST"], paths: ["/orders/*"] } };

describe("rules that admit the same callers become one", () => {
  it("lists the operations of rules with the same from and when in one rule, in the first rule's place", () => {
    const rules: IstioRule[] = [
      { from: [{ source: { principals: [ledger] } }], to: [get] },
      { from: [{ source: { principals: [cart] } }], to: [get] },
      { from: [{ source: { principals: [ledger] } }], to: [post, get] },
    ];
    expect(mergeRulesWithSameCallers(rules)).toEqual([
      { from: [{ source: { principals: [ledger] } }], to: [get, post] },
      { from: [{ source: { principals: [cart] } }], to: [get] },
    ]);
  });

  it("merges rules naming long lists of equal content, shared or not, and keeps lists that differ by one member apart", () => {
    const tenant = Array.from({ length: 100 }, (_, i) => `cluster.local/ns/t/sa/member-${i}`);
    const copy = [...tenant];
    const changed = [...tenant.slice(0, 99), "cluster.local/ns/t/sa/other"];
    const rules: IstioRule[] = [
      { from: [{ source: { principals: tenant } }], to: [get] },
      { from: [{ source: { principals: copy } }], to: [post] },
      { from: [{ source: { principals: changed } }], to: [get] },
    ];
    const merged = mergeRulesWithSameCallers(rules);
    expect(merged).toEqual([
      { from: [{ source: { principals: tenant } }], to: [get, post] },
      { from: [{ source: { principals: changed } }], to: [get] },
    ]);
    // A list one member longer is another list, whatever it starts with.
    expect(mergeRulesWithSameCallers([rules[0]!, { from: [{ source: { principals: [...tenant, "x"] } }], to: [post] }])).toHaveLength(2);
  });

  it("keeps rules apart whose conditions differ, and lets a rule for every operation absorb the others", () => {
    const when = [{ key: "request.auth.claims[role]", values: ["admin"] }];
    const rules: IstioRule[] = [
      { from: [{ source: { principals: [ledger] } }], to: [get], when },
      { from: [{ source: { principals: [ledger] } }], to: [post] },
      { from: [{ source: { principals: [ledger] } }] },
    ];
    expect(mergeRulesWithSameCallers(rules)).toEqual([
      { from: [{ source: { principals: [ledger] } }], to: [get], when },
      { from: [{ source: { principals: [ledger] } }] },
    ]);
  });

  it("matches exactly the requests the separate rules match, for any rules and requests", () => {
    const principal = fc.constantFrom(ledger, cart, "cluster.local/ns/pay/sa/audit");
    const source = fc.oneof(
      fc.record({ principals: fc.uniqueArray(principal, { minLength: 1, maxLength: 2 }) }),
      fc.record({ namespaces: fc.constantFrom("pay", "shop").map((ns) => [ns]) }),
    );
    const operation = fc.record({ methods: fc.constantFrom("GET", "POST", "GET POST").map((m) => m.split(" ")), paths: fc.constantFrom("/orders/*", "/admin", "/*").map((p) => [p]) }, { requiredKeys: [] });
    const rule: fc.Arbitrary<IstioRule> = fc.record(
      {
        from: fc.array(source.map((s) => ({ source: s })), { minLength: 1, maxLength: 2 }),
        to: fc.array(operation.map((o) => ({ operation: o })), { maxLength: 2 }),
        when: fc.constantFrom([{ key: "request.headers[x-team]", values: ["a"] }]),
      },
      { requiredKeys: ["from"] },
    );
    const request = fc.record({
      principal,
      method: fc.constantFrom("GET", "POST", "DELETE"),
      path: fc.constantFrom("/orders/1", "/admin", "/other"),
      team: fc.constantFrom("a", "b"),
    });
    let merged = 0;
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 6 }), fc.array(request, { minLength: 1, maxLength: 8 }), (rules, requests) => {
        const result = mergeRulesWithSameCallers(rules);
        if (result.length < rules.length) merged++;
        for (const r of requests) {
          const attributes = attributesOf({
            source: { principal: r.principal },
            workload: { namespace: "pay", labels: {} },
            operation: { method: r.method, path: r.path, port: 8080, headers: { "x-team": r.team } },
          });
          expect(result.some((x) => ruleMatches(x, attributes))).toBe(rules.some((x) => ruleMatches(x, attributes)));
        }
      }),
      { numRuns: 1000 },
    );
    // Says nothing unless rules were actually combined.
    expect(merged).toBeGreaterThan(100);
  });
});
