import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { ApiClient } from '../../src/modules/access/clients.models';
import { MobileMoneyTransaction } from '../../src/modules/payments/models';
import { testRuntime } from '../support/app';
import { testEnv } from '../support/env';
import { c2bBody, sendAs } from '../fakes/mpesa';

// The operator creates API clients with `amt clients:create` (as deployed: node bin/amt.cjs).
const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'amt.cjs');

function runAmt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 120_000, env: testEnv() }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('mobile money: amt clients commands', function () {
  this.timeout(180000);

  it('clients:create prints the secret once; only its ciphertext is stored; the client can sign callbacks', async () => {
    await testRuntime();
    const out = await runAmt(['clients:create', '--name', 'Daraja test', '--scopes', 'mobile-money:callback', '--allowed-ips', '10.20.0.0/16', '--json']);
    expect(out.code, out.stderr).to.equal(0);
    const { clientId, secret, auth } = JSON.parse(out.stdout) as { clientId: string; secret: string; auth: string };
    expect(auth).to.equal('signature');
    expect(secret).to.match(/^[A-Za-z0-9_-]{43}$/);
    const row = (await ApiClient.scope('withSecret').findOne({ where: { clientId } }))!;
    expect(row.secretHash).to.match(/^v1:/);
    expect(row.secretHash).to.not.contain(secret);
    expect(row).to.deep.include({ allowedIps: ['10.20.0.0/16'], scopes: ['mobile-money:callback'], isActive: true });

    const body = c2bBody({ billRef: 'CLI-UNKNOWN' });
    const res = await sendAs({ clientId, secret, auth: 'signature', ip: '10.20.3.4' }, '/mobile-money/mpesa/confirmation', body);
    expect(res.status).to.equal(200);
    expect(await MobileMoneyTransaction.count({ where: { transactionId: body.TransID } })).to.equal(1);

    const list = await runAmt(['clients:list']);
    expect(list.code).to.equal(0);
    expect(list.stdout).to.contain(clientId);
    expect(list.stdout).to.not.contain(secret);
  });

  it('a shared-secret client is stored as a SHA-256 hash', async () => {
    const out = await runAmt(['clients:create', '--name', 'Gateway', '--scopes', 'mobile-money:callback', '--auth', 'shared-secret', '--json']);
    expect(out.code, out.stderr).to.equal(0);
    const { clientId, secret } = JSON.parse(out.stdout) as { clientId: string; secret: string };
    const row = (await ApiClient.scope('withSecret').findOne({ where: { clientId } }))!;
    expect(row.secretHash).to.match(/^sha256:[0-9a-f]{64}$/);
    expect(row.allowedIps).to.equal(null);
    expect(
      (await sendAs({ clientId, secret, auth: 'shared-secret', ip: '192.0.2.1' }, '/mobile-money/mpesa/validation', c2bBody({ billRef: 'X' }))).status,
    ).to.equal(200);
  });

  it('refuses unknown scopes and malformed addresses, and deactivates', async () => {
    const badScope = await runAmt(['clients:create', '--name', 'X', '--scopes', 'everything']);
    expect(badScope.code).to.equal(1);
    expect(badScope.stderr).to.contain('unknown permission code(s) everything');
    const badIp = await runAmt(['clients:create', '--name', 'X', '--scopes', 'mobile-money:callback', '--allowed-ips', '10.0.0.300']);
    expect(badIp.code).to.equal(1);
    expect(badIp.stderr).to.contain('10.0.0.300');
    const created = JSON.parse((await runAmt(['clients:create', '--name', 'Y', '--scopes', 'mobile-money:callback', '--json'])).stdout) as { clientId: string };
    const off = await runAmt(['clients:deactivate', created.clientId]);
    expect(off.code, off.stderr).to.equal(0);
    expect((await ApiClient.findOne({ where: { clientId: created.clientId } }))!.isActive).to.equal(false);
  });
});
