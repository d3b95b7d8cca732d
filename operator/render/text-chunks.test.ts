import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { textChunks } from "./text-chunks.js";

describe("textChunks", () => {
  it("hands on every piece in order, in chunks of at least the size but the last", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 200 }), fc.integer({ min: 1, max: 100 }), (pieces, size) => {
        const chunks: string[] = [];
        const gathered = textChunks((chunk) => void chunks.push(chunk), size);
        for (const piece of pieces) gathered.add(piece);
        gathered.flush();
        expect(chunks.join("")).toBe(pieces.join(""));
        expect(chunks.every((chunk) => chunk.length > 0)).toBe(true);
        expect(chunks.slice(0, -1).every((chunk) => chunk.length >= size)).toBe(true);
      }),
    );
  });

  it("hands nothing on for a flush with nothing gathered, and keeps gathering after a flush", () => {
    const chunks: string[] = [];
    const gathered = textChunks((chunk) => void chunks.push(chunk), 10);
    gathered.flush();
    gathered.add("ab");
    gathered.flush();
    gathered.add("cd");
    gathered.flush();
    expect(chunks).toEqual(["ab", "cd"]);
  });
});
