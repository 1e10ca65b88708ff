import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Runs the operator CLI as an operator would (`node bin/amt.cjs token ...`); needs no database.

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'amt.cjs');

interface Vector {
  starting_code: number;
  key: string;
  count: number;
  token_type: string;
  value_raw: number | null;
  restricted_digit_set: boolean;
  extended_token: boolean;
  new_count: number;
  token: string;
}

const vectors = readFileSync(join(ROOT, 'test', 'fixtures', 'openpaygo', 'token-vectors.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Vector);

function runAmt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

function argsOf(v: Vector): string[] {
  const args = ['token', '--key', v.key, '--starting-code', String(v.starting_code), '--count', String(v.count), '--type', v.token_type];
  if (v.value_raw !== null) args.push('--value', String(v.value_raw));
  if (v.extended_token) args.push('--extended');
  if (v.restricted_digit_set) args.push('--restricted-digits');
  return args;
}

describe('amt token (operator CLI)', function () {
  this.timeout(120_000);

  // Standard, extended, restricted, extended+restricted, SET_TIME, DISABLE_PAYG and COUNTER_SYNC lines.
  const picked = [0, 1, 2, 3, 28, 33, 38].map((i) => ({ lineNo: i + 1, v: vectors[i]! }));

  for (const { lineNo, v } of picked) {
    it(`prints exactly the JSON of vector line ${lineNo} (${v.token_type}${v.extended_token ? ' extended' : ''}${v.restricted_digit_set ? ' restricted' : ''})`, async () => {
      const r = await runAmt([...argsOf(v), '--json']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.equal(`${JSON.stringify({ token: v.token, newCount: v.new_count })}\n`);
    });
  }

  it('prints a friendly line without --json', async () => {
    const v = vectors[0]!;
    const r = await runAmt(argsOf(v));
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include(v.token).and.include(`store count ${v.new_count}`);
  });

  it('exits non-zero and names the argument when an argument is bad', async () => {
    const v = vectors[0]!;
    const badValue = await runAmt([...argsOf({ ...v, value_raw: 996 }), '--json']);
    expect(badValue.code).to.not.equal(0);
    expect(badValue.stdout).to.equal('');
    expect(badValue.stderr).to.include('--value').and.include('reserved');

    const badKey = await runAmt([...argsOf({ ...v, key: 'abc123' }), '--json']);
    expect(badKey.code).to.not.equal(0);
    expect(badKey.stdout).to.equal('');
    expect(badKey.stderr).to.include('--key');
  });
});
