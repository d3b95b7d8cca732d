import { describe, expect, it } from "vitest";
import { OwnWrites, type EventOrigin } from "./own-writes.js";

const target = (name: string) => ({ kind: "ServiceAccount", metadata: { name, namespace: "ns" } });
const watched = (name: string, uid: string, resourceVersion: string) => ({ kind: "ServiceAccount", metadata: { name, namespace: "ns", uid, resourceVersion } });

/** Whether the origin lets a reaction run now, later (returned as a check), or never. */
function reactions(origin: EventOrigin): () => number {
  let count = 0;
  origin.unlessOwnWrite(() => count++);
  return () => count;
}

describe("OwnWrites", () => {
  it("takes the event of exactly the version a finished write produced as its echo, once", () => {
    const writes = new OwnWrites();
    writes.started(target("a"))({ uid: "u", resourceVersion: "10" });
    expect(reactions(writes.originOf(watched("a", "u", "10")))()).toBe(0);
    expect(reactions(writes.originOf(watched("a", "u", "10")))()).toBe(1);
    expect(writes.size).toBe(0);
  });

  it("never takes another object's or another version's event as an echo", () => {
    const writes = new OwnWrites();
    writes.started(target("a"))({ uid: "u", resourceVersion: "10" });
    expect(reactions(writes.originOf(watched("b", "v", "10")))()).toBe(1);
    expect(reactions(writes.originOf(watched("a", "u", "11")))()).toBe(1);
    expect(reactions(writes.originOf(watched("a", "u", "10")))()).toBe(1);
  });

  it("holds an event that arrives while a write of the object is in flight until the write is answered", () => {
    const writes = new OwnWrites();
    const done = writes.started(target("a"));
    const echo = reactions(writes.originOf(watched("a", "u", "10")));
    expect(writes.holding).toBe(1);
    done({ uid: "u", resourceVersion: "10" });
    expect(echo()).toBe(0);
    expect(writes.holding).toBe(0);
    expect(writes.size).toBe(0);

    const next = writes.started(target("a"));
    const someoneElse = reactions(writes.originOf(watched("a", "u", "11")));
    expect(someoneElse()).toBe(0);
    next({ uid: "u", resourceVersion: "12" });
    expect(someoneElse()).toBe(1);
  });

  it("lets a held event react when the write fails, and waits for every write of the object in flight", () => {
    const writes = new OwnWrites();
    const first = writes.started(target("a"));
    const second = writes.started(target("a"));
    const held = reactions(writes.originOf(watched("a", "u", "20")));
    first(undefined);
    expect(held()).toBe(0);
    second({ uid: "u", resourceVersion: "20" });
    expect(held()).toBe(0);

    const failing = writes.started(target("a"));
    const change = reactions(writes.originOf(watched("a", "u", "21")));
    failing(undefined);
    failing({ uid: "u", resourceVersion: "21" });
    expect(change()).toBe(1);
    expect(writes.holding).toBe(0);
  });

  it("keeps a write while an older version's event arrives, and forgets it once a newer one has", () => {
    const writes = new OwnWrites();
    writes.started(target("a"))({ uid: "u", resourceVersion: "100" });
    expect(reactions(writes.originOf(watched("a", "u", "99")))()).toBe(1);
    expect(reactions(writes.originOf(watched("a", "u", "100")))()).toBe(0);
    writes.started(target("a"))({ uid: "u", resourceVersion: "200" });
    expect(reactions(writes.originOf(watched("a", "u", "1000")))()).toBe(1);
    expect(writes.size).toBe(0);
  });

  it("forgets the oldest writes beyond its bound", () => {
    const writes = new OwnWrites();
    for (let i = 0; i < 10_005; i++) writes.started(target(`n${i}`))({ uid: `u${i}`, resourceVersion: "1" });
    expect(writes.size).toBe(10_000);
    expect(reactions(writes.originOf(watched("n0", "u0", "1")))()).toBe(1);
    expect(reactions(writes.originOf(watched("n10004", "u10004", "1")))()).toBe(0);
  });
});
