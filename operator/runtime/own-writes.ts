// The versions the operator's own writes produced. Every write comes back through the
// watch of its kind as an event of exactly the resourceVersion the write's response named;
// the reconciler that wrote it already knows that state, so reconciling its owner again
// for that event finds nothing to do. At 10,000 policies that was half the reconciles
// of a first sync, and, since such reconciles need no I/O, long runs of them held up the
// event loop. Any other change to the object (another writer, istiod's status, a delete)
// is a different resourceVersion and is handled as before.
//
// The event often arrives before the write's response has been read (two connections, read
// in whatever order they become readable). An event for an object with a write of ours in
// flight is therefore held until that write is answered: then it is known whether the
// event was its echo. A write always ends (answered, refused, timed out or cut off when the
// client closes), so nothing is held for longer than a request lasts.

export interface WrittenVersion {
  uid?: string;
  resourceVersion?: string;
}

/** What a write is about, as the client sends it. */
export interface WriteTarget {
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** A watched object's event, as the informer hands it on. */
export interface WatchedVersion extends WriteTarget {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

/** Ends one write: with the response's metadata, or undefined when it failed. */
export type WriteDone = (written: WrittenVersion | undefined) => void;

/** Told by the client about each write it sends and how it ended. */
export interface WriteObserver {
  started(target: WriteTarget): WriteDone;
}

/**
 * Whether an event is the echo of one of our writes, for handlers whose only job is to
 * look at an object's owner again. Decided once per event, for every handler of it.
 */
export interface EventOrigin {
  /** Runs react now, later (once the write in flight is answered), or never (an echo). */
  unlessOwnWrite(react: () => void): void;
}

/** The origin of an event no write of ours can have caused. */
export const NOT_OWN_WRITE: EventOrigin = { unlessOwnWrite: (react) => react() };
const OWN_WRITE: EventOrigin = { unlessOwnWrite: () => undefined };

/**
 * Bound on remembered writes whose event never comes (an apply that changed nothing gets
 * no event): the oldest are forgotten, which only means one more reconcile with nothing
 * to do.
 */
const MAX_REMEMBERED = 10_000;

interface HeldEvent {
  uid: string | undefined;
  resourceVersion: string;
  reactions: Array<() => void>;
}

export class OwnWrites implements WriteObserver {
  private readonly versionByUid = new Map<string, string>();
  private readonly inFlight = new Map<string, number>();
  private readonly held = new Map<string, HeldEvent[]>();

  started(target: WriteTarget): WriteDone {
    const key = keyOf(target);
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    let ended = false;
    return (written) => {
      if (ended) return;
      ended = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.inFlight.set(key, left);
      else this.inFlight.delete(key);
      this.record(written);
      this.release(key, left);
    };
  }

  /**
   * The origin of a watched add or update. A deletion is never an echo: the writes watched
   * here are applies.
   */
  originOf(object: WatchedVersion): EventOrigin {
    const { uid, resourceVersion } = object.metadata;
    if (!resourceVersion) return NOT_OWN_WRITE;
    if (this.takeEcho(uid, resourceVersion)) return OWN_WRITE;
    const key = keyOf(object);
    if (!this.inFlight.has(key)) return NOT_OWN_WRITE;
    const held: HeldEvent = { uid, resourceVersion, reactions: [] };
    const list = this.held.get(key);
    if (list) list.push(held);
    else this.held.set(key, [held]);
    return { unlessOwnWrite: (react) => void held.reactions.push(react) };
  }

  /** Writes remembered, for tests and bounds. */
  get size(): number {
    return this.versionByUid.size;
  }

  /** Events held for writes in flight. */
  get holding(): number {
    let count = 0;
    for (const list of this.held.values()) count += list.length;
    return count;
  }

  private record(written: WrittenVersion | undefined): void {
    const uid = written?.uid;
    const version = written?.resourceVersion;
    if (!uid || !version) return;
    // Re-inserted so that the order of the map stays the order of the writes.
    this.versionByUid.delete(uid);
    this.versionByUid.set(uid, version);
    if (this.versionByUid.size > MAX_REMEMBERED) this.versionByUid.delete(this.versionByUid.keys().next().value as string);
  }

  /** Whether this version of the object is one our write produced; each is taken once. */
  private takeEcho(uid: string | undefined, version: string): boolean {
    if (!uid) return false;
    const written = this.versionByUid.get(uid);
    if (written === undefined) return false;
    if (written !== version) {
      // The object moved past our write (or the event of it was missed): what we remember is stale.
      if (!olderThan(version, written)) this.versionByUid.delete(uid);
      return false;
    }
    this.versionByUid.delete(uid);
    return true;
  }

  /** After a write of the object ended: its held events that are echoes go, the others react once no write of it is left in flight. */
  private release(key: string, stillInFlight: number): void {
    const list = this.held.get(key);
    if (!list) return;
    const waiting: HeldEvent[] = [];
    for (const held of list) {
      if (this.takeEcho(held.uid, held.resourceVersion)) continue;
      if (stillInFlight > 0) waiting.push(held);
      else for (const react of held.reactions) react();
    }
    if (waiting.length > 0) this.held.set(key, waiting);
    else this.held.delete(key);
  }
}

function keyOf(target: WriteTarget): string {
  return `${target.kind}/${target.metadata.namespace ?? ""}/${target.metadata.name}`;
}

/**
 * resourceVersions are opaque to clients in general, but this apiserver's (etcd revisions)
 * are decimal integers; when either is not, neither is taken as older, so a stale entry is
 * dropped rather than kept.
 */
function olderThan(a: string, b: string): boolean {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return a.length < b.length || (a.length === b.length && a < b);
}
