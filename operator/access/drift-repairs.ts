// Repairs of rendered objects that someone else changed. A first repair is immediate; when
// the same object has to be repaired again and again (another controller or a script
// fighting over it) the repairs are spaced out, doubling up to a ceiling, so a fight costs
// a bounded number of writes per minute instead of a hot loop. Each other writer is named
// in one Warning Event per rendered object, not one per repair.
import { recordedContentHash } from "../render/content-hash.js";
import { objectKey } from "../runtime/object-key.js";
import type { EventRecorder } from "../runtime/events.js";
import { otherFieldManagers } from "../runtime/field-managers.js";
import type { KubeObject } from "../runtime/kube-client.js";

export const DRIFT_REASON = "ChangedByAnotherManager";

export interface DriftRepairOptions {
  /** Wait before the second repair in a row; each further one waits twice as long. */
  firstHoldOffMs?: number;
  maxHoldOffMs?: number;
  /** An object left alone this long starts over with immediate repairs. */
  quietResetMs?: number;
  now?: () => number;
}

interface RepairHistory {
  repairs: number;
  lastRepairAt: number;
  reportedManagers: Set<string>;
}

const MAX_TRACKED = 10_000;

export class DriftRepairs {
  private readonly history = new Map<string, RepairHistory>();
  private readonly requeues = new Map<string, number>();
  private readonly firstHoldOffMs: number;
  private readonly maxHoldOffMs: number;
  private readonly quietResetMs: number;
  private readonly now: () => number;

  constructor(
    private readonly events: Pick<EventRecorder, "record">,
    options: DriftRepairOptions = {},
  ) {
    this.firstHoldOffMs = options.firstHoldOffMs ?? 1_000;
    this.maxHoldOffMs = options.maxHoldOffMs ?? 30_000;
    this.quietResetMs = options.quietResetMs ?? 2 * this.maxHoldOffMs;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Called for a rendered object that needs a write. Returns true to write it now, false
   * to leave it for later (the owner's key is then due again: see requeueAfter). A live
   * object that carries the hash of what we render now was changed by someone else; any
   * other write (a new rendering, a missing object) is never held back.
   */
  mayWrite(owner: KubeObject, desired: KubeObject, live: KubeObject | undefined): boolean {
    const hash = recordedContentHash(desired);
    if (!live?.metadata.uid || hash === undefined || recordedContentHash(live) !== hash) return true;
    const now = this.now();
    let history = this.history.get(live.metadata.uid);
    if (history && now - history.lastRepairAt > this.quietResetMs) history = undefined;
    if (!history) {
      history = { repairs: 0, lastRepairAt: now, reportedManagers: new Set() };
      this.track(live.metadata.uid, history);
    }
    this.report(owner, live, history);
    if (history.repairs > 0) {
      const holdOff = Math.min(this.maxHoldOffMs, this.firstHoldOffMs * 2 ** (history.repairs - 1));
      const wait = history.lastRepairAt + holdOff - now;
      if (wait > 0) {
        const ownerKey = objectKey(owner.metadata.namespace, owner.metadata.name);
        const earlier = this.requeues.get(ownerKey);
        this.requeues.set(ownerKey, earlier === undefined ? wait : Math.min(earlier, wait));
        return false;
      }
    }
    history.repairs++;
    history.lastRepairAt = now;
    return true;
  }

  /** How long until a held-back repair of the owner (by its queue key) is due; asked once. */
  requeueAfter(ownerKey: string): number | undefined {
    const wait = this.requeues.get(ownerKey);
    this.requeues.delete(ownerKey);
    return wait === undefined ? undefined : Math.ceil(wait);
  }

  private report(owner: KubeObject, live: KubeObject, history: RepairHistory): void {
    const managers = otherFieldManagers(live);
    const writer = managers[0] ?? "";
    if (history.reportedManagers.has(writer)) return;
    history.reportedManagers.add(writer);
    const who = writer ? `field manager "${writer}"` : "a writer that left no field manager";
    this.events.record(
      owner,
      "Warning",
      DRIFT_REASON,
      `${live.kind} ${live.metadata.name} was changed by ${who}; the rendered version is restored, and repeated changes are repaired at most every ${Math.round(this.maxHoldOffMs / 1000)}s`,
    );
  }

  private track(uid: string, history: RepairHistory): void {
    this.history.delete(uid);
    this.history.set(uid, history);
    if (this.history.size > MAX_TRACKED) this.history.delete(this.history.keys().next().value as string);
  }
}
