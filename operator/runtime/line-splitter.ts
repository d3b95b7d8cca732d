// Cuts a byte stream into lines for a watch (one JSON event per line). Chunks are kept as
// buffers until a newline arrives, so a large object spread over many chunks is decoded
// once, and a multi-byte character split between chunks is never decoded in halves.
export function splitLines(onLine: (line: string) => void): (chunk: Buffer) => void {
  let pending: Buffer[] = [];
  return (chunk: Buffer) => {
    let start = 0;
    let newline = chunk.indexOf(10);
    while (newline !== -1) {
      const piece = chunk.subarray(start, newline);
      const line = pending.length ? Buffer.concat([...pending, piece]).toString("utf8") : piece.toString("utf8");
      pending = [];
      if (line.trim()) onLine(line);
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  };
}
