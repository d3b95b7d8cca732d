import { describe, expect, it } from "vitest";
import { Fifo } from "./fifo.js";

describe("Fifo", () => {
  it("gives items back in the order they were pushed, across compactions", () => {
    const fifo = new Fifo<number>();
    const taken: number[] = [];
    let next = 0;
    // Interleave pushes and takes so the head passes the compaction threshold several times.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) fifo.push(next++);
      for (let i = 0; i < 250; i++) taken.push(fifo.take()!);
    }
    while (fifo.length > 0) taken.push(fifo.take()!);
    expect(taken).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(fifo.take()).toBeUndefined();
  });

  it("counts what it holds and empties on clear", () => {
    const fifo = new Fifo<string>();
    fifo.push("a");
    fifo.push("b");
    expect(fifo.length).toBe(2);
    expect(fifo.take()).toBe("a");
    expect(fifo.length).toBe(1);
    fifo.clear();
    expect(fifo.length).toBe(0);
    expect(fifo.take()).toBeUndefined();
  });
});
