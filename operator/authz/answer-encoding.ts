// A decision's CheckResponse as bytes, for the gRPC server to send as they are. Allow answers
// differ only in the caller header's value and the headers removed, and a busy target sees
// the same few again and again: each is encoded once and kept, instead of building and
// encoding the message anew on every Check (protobufjs allocates for every field it writes).
import { checkResponseOf } from "./answers.js";
import type { Decision } from "./decision.js";
import { encodeCheckResponse } from "./protos.js";

// Bounds the kept answers: a caller header longer than this (a long token subject) is
// encoded each time, and the whole set is dropped once it holds this many.
const LONGEST_KEPT_CALLER = 256;
const MOST_KEPT = 1024;

export class AnswerEncoding {
  private readonly allows = new Map<string, Buffer>();

  bytesOf(decision: Decision): Buffer {
    if (decision.kind !== "allow") return encodeCheckResponse(checkResponseOf(decision));
    const caller = decision.callerHeader ?? "";
    if (caller.length > LONGEST_KEPT_CALLER) return encodeCheckResponse(checkResponseOf(decision));
    const key = keyOf(caller, decision.removeHeaders ?? []);
    let bytes = this.allows.get(key);
    if (bytes === undefined) {
      if (this.allows.size >= MOST_KEPT) this.allows.clear();
      bytes = encodeCheckResponse(checkResponseOf(decision));
      this.allows.set(key, bytes);
    }
    return bytes;
  }

  get size(): number {
    return this.allows.size;
  }
}

// Every part is preceded by its length, so no two different answers share a key, whatever
// characters a policy's header names or a token's subject hold.
function keyOf(caller: string, removed: readonly string[]): string {
  let key = `${caller.length}:${caller}`;
  for (const header of removed) key += `${header.length}:${header}`;
  return key;
}
