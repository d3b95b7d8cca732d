// Text built from many small pieces and handed on in large ones: each hand-off (a hash
// update, a write to a stream) costs more than a few bytes are worth, and joining tens of
// MB into one string costs more than the writes themselves.

export interface TextChunks {
  add(text: string): void;
  /** Hands on what has gathered, if anything; adding may go on afterwards. */
  flush(): void;
}

/** Gathers text and gives it to `out` in consecutive pieces of at least `size` characters (the last one may be shorter). */
export function textChunks(out: (chunk: string) => void, size: number): TextChunks {
  let pending = "";
  return {
    add: (text) => {
      pending += text;
      if (pending.length >= size) {
        const chunk = pending;
        pending = "";
        out(chunk);
      }
    },
    flush: () => {
      if (pending === "") return;
      const chunk = pending;
      pending = "";
      out(chunk);
    },
  };
}
