import { expect } from 'chai';
import { TtlCache } from '../../src/platform/ttl-cache';

describe('TtlCache (reference data read on every payment)', () => {
  it('answers null (nothing found) without keeping it: the next call reads again', async () => {
    const cache = new TtlCache<string, number | null>(30_000, () => 1_000);
    let stored: number | null = null;
    let reads = 0;
    const load = async () => (reads++, stored);
    expect(await cache.get('client-1', load)).to.equal(null);
    stored = 5;
    expect(await cache.get('client-1', load)).to.equal(5);
    expect(await cache.get('client-1', load)).to.equal(5);
    expect(reads).to.equal(2);
  });

  it('answers from memory within the TTL, reads again after it, and never keeps a failed read', async () => {
    let clock = 1_000;
    const cache = new TtlCache<string, number>(30_000, () => clock);
    let reads = 0;
    let stored: number | undefined = 7;
    const load = async () => {
      reads++;
      if (stored === undefined) throw new Error('retired');
      return stored;
    };
    expect(await cache.get('MPESA', load)).to.equal(7);
    clock += 29_999;
    stored = 8;
    expect(await cache.get('MPESA', load)).to.equal(7);
    expect(reads).to.equal(1);
    clock += 1;
    expect(await cache.get('MPESA', load)).to.equal(8);
    expect(reads).to.equal(2);

    // Retired: once the entry has expired, the read fails every time and nothing stale is served.
    stored = undefined;
    clock += 30_000;
    for (let i = 0; i < 2; i++) {
      let err: unknown;
      await cache.get('MPESA', load).catch((e: unknown) => (err = e));
      expect((err as Error).message).to.equal('retired');
    }
    expect(reads).to.equal(4);
  });
});

describe('TtlCache: callers that find the entry expired at once', () => {
  it('share one read; when that read fails, each reads for itself', async () => {
    let clock = 1_000;
    const cache = new TtlCache<string, number>(30_000, () => clock);
    let reads = 0;
    let fail = false;
    const load = async () => {
      reads++;
      await new Promise((resolve) => setImmediate(resolve));
      if (fail) throw new Error('the reader’s transaction was rolled back');
      return 7;
    };
    expect(await Promise.all(Array.from({ length: 10 }, () => cache.get('MPESA', load)))).to.deep.equal(Array(10).fill(7));
    expect(reads).to.equal(1);

    clock += 30_000;
    fail = true;
    // The first caller's read fails; the two waiting on it then read for themselves (and succeed).
    const retry = () => ((fail = false), load());
    const answers = await Promise.all(
      [cache.get('MPESA', load), cache.get('MPESA', retry), cache.get('MPESA', retry)].map((p) => p.catch((e: Error) => e.message)),
    );
    expect(answers).to.deep.equal(['the reader’s transaction was rolled back', 7, 7]);
    expect(reads).to.equal(4);
  });
});
