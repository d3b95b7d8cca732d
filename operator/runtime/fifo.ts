// A first-in-first-out list of keys whose take() costs the same at any length. An array's
// shift() moves every element behind the first once the array is large, and a work queue
// after a first sync holds tens of thousands of keys: taking them one by one that way made
// the queue itself a visible share of the operator's CPU.

/** Below this many taken slots the array is not compacted: copying it would cost more than it frees. */
const COMPACT_AFTER = 1024;

export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, removed; undefined when empty. */
  take(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined as T; // let the taken item be collected
    this.head++;
    if (this.head === this.items.length) this.clear();
    else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
