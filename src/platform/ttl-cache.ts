/**
 * A small read-through cache for reference data read on every request (payplan terms, payment
 * type ids, API clients): a value is used for `ttlMs`, then read again, so a change or a retirement applies
 * within that time without a restart. Only found values are kept; a miss (a load that throws, or
 * answers null) is asked again.
 *
 * One read per key at a time: the callers that find the entry expired while it is being read wait
 * for that read rather than each sending its own (every 30 s, each payment in flight sent the same
 * SELECT, and a model read in a payment's transaction also flushes its deferred writes: a round
 * trip more each). A caller whose shared read failed (the reader's transaction, say) reads for
 * itself, so one caller's failure is never another's.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expires: number }>();
  private readonly loading = new Map<K, Promise<V>>();
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.now()) return hit.value;
    const pending = this.loading.get(key);
    if (pending) {
      try {
        return await pending;
      } catch {
        // Read for ourselves below.
      }
    }
    const read = load().then((value) => {
      // Nothing found (null) is answered, not kept: it is asked again next time.
      if (value !== null) this.entries.set(key, { value, expires: this.now() + this.ttlMs });
      return value;
    });
    this.loading.set(key, read);
    try {
      return await read;
    } finally {
      if (this.loading.get(key) === read) this.loading.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
