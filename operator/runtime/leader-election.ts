// Leader election on a coordination.k8s.io Lease, as client-go does it: the holder renews
// every retry period; a candidate takes the lease once it has seen no renewal for a whole
// lease duration (measured on its own clock, so clock skew between nodes does not matter);
// every write is guarded by resourceVersion, so two candidates cannot both win.
import type { Logger } from "pino";
import { isConflict, type KubeClient, type KubeObject } from "./kube-client.js";
import { resources } from "./resources.js";

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRenewal = 0;
  /** The lease as last seen, and when we saw it change: expiry is judged from that. */
  private observed: { record: string; at: number } | undefined;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;

  constructor(private readonly options: LeaderElectionOptions) {
    this.leaseMs = (options.leaseDurationSeconds ?? 15) * 1000;
    this.renewDeadlineMs = (options.renewDeadlineSeconds ?? 10) * 1000;
    this.retryMs = (options.retryPeriodSeconds ?? 2) * 1000;
    if (!(this.leaseMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryMs)) {
      throw new Error("leader election needs lease duration > renew deadline > retry period");
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** Stops campaigning; a leader gives the lease up so a successor need not wait it out. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.options.identity) {
        const now = microTime(new Date());
        await this.options.client.update({
          ...lease,
          spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
        });
        this.options.log.info({ lease: this.options.name }, "released leadership");
      }
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, "could not release the lease; successors wait for it to expire");
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let renewed = false;
    try {
      renewed = await this.tryAcquireOrRenew();
    } catch (err) {
      this.options.log.debug({ err: (err as Error).message }, "lease request failed");
    }
    const now = Date.now();
    if (renewed) {
      this.lastRenewal = now;
      if (!this.leading) {
        this.leading = true;
        this.options.log.info({ lease: this.options.name, identity: this.options.identity }, "became leader");
        this.options.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenewal > this.renewDeadlineMs) {
      this.leading = false;
      this.options.log.warn({ lease: this.options.name }, "lost leadership: could not renew within the renew deadline");
      this.options.onStoppedLeading();
      return;
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.retryMs);
    this.timer.unref();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, identity, namespace, name } = this.options;
    const now = new Date();
    const lease = await this.read();
    if (!lease) {
      await client.create({
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name, namespace },
        spec: { holderIdentity: identity, leaseDurationSeconds: this.leaseMs / 1000, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify(spec);
    if (this.observed?.record !== record) this.observed = { record, at: now.getTime() };
    const holder = spec.holderIdentity ?? "";
    const heldByOther = holder !== "" && holder !== identity;
    const expired = this.observed.at + (spec.leaseDurationSeconds ?? this.leaseMs / 1000) * 1000 <= now.getTime();
    if (heldByOther && !expired) return false;
    const takingOver = holder !== identity;
    try {
      const updated = await client.update<Lease>({
        ...lease,
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: this.leaseMs / 1000,
          acquireTime: takingOver ? microTime(now) : spec.acquireTime,
          renewTime: microTime(now),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver && holder !== "" ? 1 : 0),
        },
      });
      this.observed = { record: JSON.stringify(updated.spec ?? {}), at: now.getTime() };
      return true;
    } catch (err) {
      if (isConflict(err)) return false; // someone else wrote first; look again next period
      throw err;
    }
  }

  private read(): Promise<Lease | undefined> {
    return this.options.client.getIfExists<Lease>(resources.lease, this.options.name, this.options.namespace);
  }
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
