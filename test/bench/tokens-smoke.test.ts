import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';

/**
 * bench:tokens at its --smoke size (no database): it must exit 0 and end with its JSON line, the
 * application's SipHash agreeing with the BigInt baseline on every hash and every minted token
 * decoding back (figures are printed, never asserted).
 */
describe('benchmarks: bench:tokens runs at its --smoke size', function () {
  this.timeout(60_000);

  it('mints, hashes both ways with no mismatch, and prints its figures', () => {
    const r = spawnSync(process.execPath, ['--import=tsx', 'bench/tokens.ts', '--smoke'], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: { PATH: process.env.PATH, TZ: process.env.TZ },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as Record<string, number>;
    expect(j).to.include({ tokens: 200, mismatches: 0, undecoded: 0 });
    for (const k of ['tokensPerSec', 'meanHashesPerToken', 'hashesPerSec', 'bigintHashesPerSec', 'speedup'])
      expect(j[k], k).to.be.a('number').and.greaterThan(0);
  });
});
