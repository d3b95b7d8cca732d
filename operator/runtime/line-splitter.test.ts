import { describe, expect, it } from "vitest";
import { splitLines } from "./line-splitter.js";

function collect(chunks: Buffer[]): string[] {
  const lines: string[] = [];
  const feed = splitLines((line) => lines.push(line));
  for (const chunk of chunks) feed(chunk);
  return lines;
}

describe("splitLines", () => {
  it("hands on each complete line and holds a partial one until its newline arrives", () => {
    expect(collect([Buffer.from('{"a":1}\n{"b"'), Buffer.from(':2}\n{"c":')])).toEqual(['{"a":1}', '{"b":2}']);
  });

  it("decodes a character whose bytes arrive in two chunks as one character", () => {
    const bytes = Buffer.from('{"name":"é€"}\n', "utf8");
    const cut = bytes.indexOf(0xe2) + 1;
    expect(collect([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['{"name":"é€"}']);
  });

  it("skips blank lines and splits several lines of one chunk", () => {
    expect(collect([Buffer.from("x\n\n  \ny\n")])).toEqual(["x", "y"]);
  });

  it("joins a line spread over many chunks", () => {
    const line = "z".repeat(10_000);
    const chunks = [];
    for (let i = 0; i < line.length; i += 999) chunks.push(Buffer.from(line.slice(i, i + 999)));
    chunks.push(Buffer.from("\n"));
    expect(collect(chunks)).toEqual([line]);
  });
});
