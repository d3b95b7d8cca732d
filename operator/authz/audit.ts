// One audit record per decision: who asked for what, the answer and why, and the policy
// version that decided. Built from the decision's facts only, so no key, token,
// Authorization header, cookie or query string can reach it.
import type pino from "pino";
import { STATUS_OF, type Decision } from "./decision.js";
import { MAX_RECORDED_LENGTH, type GateRequest } from "./request.js";
import { textChunks } from "../render/text-chunks.js";

export interface AuditRecord {
  time: string;
  audit: true;
  decision: Decision["kind"];
  status: number;
  reason: string;
  caller: Decision["caller"];
  /** service: the Service a waypoint's Check was about (its destination address's). */
  target: { principal?: string; service?: string; host: string; port?: number };
  method: string;
  path: string;
  policy?: string;
  policyHash?: string;
  requestId?: string;
  latencyMs: number;
}

// Every Check writes a record: optional fields are set one by one rather than spread in,
// which keeps one object shape and costs a fraction of the spreads.
export function auditRecordOf(decision: Decision, request: GateRequest, at: number, latencyMs: number): AuditRecord {
  const target: AuditRecord["target"] = request.destinationPrincipal ? { principal: request.destinationPrincipal, host: request.host } : { host: request.host };
  if (decision.service !== undefined) target.service = decision.service;
  if (request.port !== undefined) target.port = request.port;
  const record = {
    time: isoTime(at),
    audit: true,
    decision: decision.kind,
    status: STATUS_OF[decision.kind],
    reason: decision.reason,
    caller: decision.caller,
    target,
    method: request.method,
    // Matched whole, recorded cut: a hostile path must not make the record large.
    path: request.path.length > MAX_RECORDED_LENGTH ? `${request.path.slice(0, MAX_RECORDED_LENGTH)}...` : request.path,
  } as AuditRecord;
  const policy = decision.policy;
  if (policy) {
    record.policy = `${policy.namespace}/${policy.name}`;
    if (policy.policyHash) record.policyHash = policy.policyHash;
  }
  if (request.requestId) record.requestId = request.requestId;
  record.latencyMs = Math.round(latencyMs * 1000) / 1000;
  return record;
}

// Date#toISOString for every record costs more than the rest of the record's fields; the
// part up to the second is reused while the second lasts.
let isoSecond = Number.NaN;
let isoPrefix = "";

/** The same text as new Date(at).toISOString(). */
export function isoTime(at: number): string {
  const second = Math.floor(at / 1000);
  if (second !== isoSecond) {
    const text = new Date(second * 1000).toISOString();
    // Years beyond 9999 or before 0 are not in the "YYYY-...sss" form the reuse relies on.
    if (text.length !== 24) return new Date(at).toISOString();
    isoSecond = second;
    isoPrefix = text.slice(0, 20);
  }
  const ms = at - isoSecond * 1000;
  return `${isoPrefix}${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}Z`;
}

/** Where records go: a file of their own, or standard output beside the log lines. */
export interface AuditSink {
  write(record: AuditRecord): void;
  /** Hands every record to the destination and resolves once it has written them. */
  flush(): Promise<void>;
  flushSync(): void;
  /** Stops the quarter-second hand-on and flushes what is gathered; records written after are dropped. */
  close(): Promise<void>;
}

type Destination = pino.DestinationStream & { flushSync(): void; flush?(cb?: (err?: Error) => void): void };

/**
 * Records are gathered into blocks of BLOCK_BYTES (or whatever a quarter second brings) and
 * each block is one write to the destination: a write per record to the destination costs
 * several microseconds, more than building the record. Nothing is dropped: a block is only
 * ever handed on whole, and flush/flushSync hand on the rest at shutdown.
 *
 * Records are turned into text RECORDS_PER_BATCH at a time, not one per Check: at the gate's
 * rates the serializer's code and data are cold by the next Check (a record cost two to
 * three times as much at 2,000 Checks/s as in a loop), and a run of them shares the warm-up.
 *
 * `bytes`: the destination takes Buffers (a sonic-boom in contentMode "buffer"), and each
 * record is encoded once, straight into the block. Otherwise blocks are strings, for a
 * destination shared with the log lines.
 */
const BLOCK_BYTES = 64 * 1024;
const FLUSH_EVERY_MS = 250;
const RECORDS_PER_BATCH = 32;

export function auditSinkOn(destination: Destination, options: { bytes?: boolean } = {}): AuditSink {
  const blocks = options.bytes ? byteBlocks(destination) : stringBlocks(destination);
  let pending: AuditRecord[] = [];
  const serializePending = () => {
    const records = pending;
    pending = [];
    for (const record of records) blocks.add(JSON.stringify(record));
  };
  const handOn = () => {
    serializePending();
    blocks.handOn();
  };
  const handOnTimer = setInterval(handOn, FLUSH_EVERY_MS).unref();
  let closed = false;
  const flush = () =>
    new Promise<void>((resolve) => {
      handOn();
      if (!destination.flush) return resolve();
      // A destination that is not open yet or already closed has nothing in flight.
      try {
        destination.flush(() => resolve());
      } catch {
        resolve();
      }
    });
  return {
    write: (record) => {
      if (closed) return;
      if (pending.push(record) >= RECORDS_PER_BATCH) serializePending();
    },
    flush,
    flushSync: () => {
      handOn();
      destination.flushSync();
    },
    close: () => {
      closed = true;
      clearInterval(handOnTimer);
      return flush();
    },
  };
}

interface Blocks {
  /** One record, without its line end. */
  add(line: string): void;
  handOn(): void;
}

function byteBlocks(destination: Destination): Blocks {
  let block = Buffer.allocUnsafe(BLOCK_BYTES);
  let used = 0;
  const handOn = () => {
    if (used === 0) return;
    const full = block.subarray(0, used);
    // The destination keeps the block until it is written: the next one is a new buffer.
    block = Buffer.allocUnsafe(BLOCK_BYTES);
    used = 0;
    destination.write(full as never);
  };
  return {
    handOn,
    add: (line) => {
      // UTF-8 takes at most 3 bytes per UTF-16 unit, plus the line end.
      const most = line.length * 3 + 1;
      if (used + most > block.length) {
        handOn();
        if (most > block.length) block = Buffer.allocUnsafe(most);
      }
      used += block.write(line, used);
      block[used++] = 0x0a;
    },
  };
}

function stringBlocks(destination: Destination): Blocks {
  const chunks = textChunks((block) => void destination.write(block), BLOCK_BYTES);
  return { handOn: chunks.flush, add: (line) => chunks.add(`${line}\n`) };
}
