import { expect } from 'chai';
import { Account, AccountTransfer } from '../../src/modules/accounts/models';
import { SystemLog } from '../../src/modules/audit/models';
import { Customer } from '../../src/modules/customers/models';
import { SyncOutbox } from '../../src/modules/integrations/models';
import { Notification } from '../../src/modules/notifications/models';
import { loginAs } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { createCustomer, createMarket, openAccount, type Market } from '../support/lending';
import { call, loginWithPermissions, pay } from '../lending/support';
import { expectRejectedOnce } from '../support/approvals';

async function verifiedCustomer(regionId: number): Promise<Customer> {
  const c = await createCustomer(regionId);
  await c.update({ kycStatus: 'verified', phone: '+254722000111' });
  return c;
}

describe('accounts: ownership transfer (maker-checker)', () => {
  let market: Market;
  let other: Market;
  let maker: string;
  let checker: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    other = await createMarket({ businessDate: '2026-11-20' });
    ({ token: maker } = await loginAs('back_office'));
    ({ token: checker } = await loginAs('supervisor', { regionIds: [market.region.id] }));
  });

  const ask = (accountId: number, toCustomerId: number, token = maker) =>
    call('post', `/accounts/${accountId}/transfer`, token, { toCustomerId, reason: 'moved to her daughter' });

  async function liveAccount(): Promise<Account> {
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-11-20' });
    expect((await pay(maker, account.id, '100.00')).status).to.equal(201);
    return account;
  }

  it('moves the account to the new owner on approval: payments stay with the account, audited, outbox event, SMS to the new owner', async () => {
    const account = await liveAccount();
    await pay(maker, account.id, '150.00');
    const to = await verifiedCustomer(market.region.id);
    const paymentsBefore = (await call('get', `/accounts/${account.id}/payments`, maker)).body.data;

    const asked = await ask(account.id, to.id);
    expect(asked.status, JSON.stringify(asked.body)).to.equal(201);
    expect(asked.body).to.include({ status: 'pending', accountId: account.id, fromCustomerId: account.customerId, toCustomerId: to.id, approvedBy: null });
    // Nothing moves until another employee approves; the requester may not.
    expect((await Account.findByPk(account.id))!.customerId).to.equal(account.customerId);
    const self = await call('post', `/account-transfers/${asked.body.id}/approve`, maker);
    expect(self.status).to.equal(403);
    expect(self.body.type).to.match(/four-eyes/);
    const inbox = await call('get', '/approvals?limit=100', checker);
    expect(inbox.status, JSON.stringify(inbox.body)).to.equal(200);
    expect(inbox.body.data.map((i: { id: number; kind: string }) => `${i.kind}:${i.id}`)).to.include(`account_transfer:${asked.body.id}`);

    const approved = await call('post', `/account-transfers/${asked.body.id}/approve`, checker);
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    expect(approved.body).to.include({ status: 'approved' });
    expect(approved.body.transferredAt).to.be.a('string');
    const after = (await Account.findByPk(account.id))!;
    expect(after.customerId).to.equal(to.id);
    expect(after.accountNumber).to.equal(account.accountNumber);
    expect((await call('get', `/accounts/${account.id}/payments`, maker)).body.data).to.deep.equal(paymentsBefore);

    const log = await SystemLog.findOne({ where: { action: 'account_transfer.approve', entityId: account.id } });
    expect(log!.oldValues).to.deep.equal({ customerId: account.customerId });
    expect(log!.newValues).to.deep.equal({ customerId: to.id, transferId: asked.body.id });
    const outbox = await SyncOutbox.findAll({ where: { eventType: 'account.transferred', aggregateId: account.id } });
    expect(outbox.map((o) => [o.aggregateType, o.target])).to.deep.equal([['account', 'salesforce']]);
    const sms = await Notification.findAll({ where: { templateCode: 'account_transferred', accountId: account.id } });
    expect(sms.map((n) => [n.customerId, n.recipient])).to.deep.equal([[to.id, '+254722000111']]);
    expect(sms[0]!.body).to.contain(account.accountNumber).and.contain(to.firstName);

    // Decided once: a second decision is a 409.
    const again = await call('post', `/account-transfers/${asked.body.id}/reject`, checker, { reason: 'changed my mind' });
    expect(again.status).to.equal(409);
    expect(again.body.type).to.match(/already-decided/);
    await expectAccountBooks(account.id);
  });

  it('reject: nothing moves, the reason is kept; the requester may not reject their own', async () => {
    const account = await liveAccount();
    const to = await verifiedCustomer(market.region.id);
    const asked = await ask(account.id, to.id);
    expect((await call('post', `/account-transfers/${asked.body.id}/reject`, maker, { reason: 'nope' })).status).to.equal(403);
    const rejected = await call('post', `/account-transfers/${asked.body.id}/reject`, checker, { reason: 'no proof of the family link' });
    expect(rejected.status, JSON.stringify(rejected.body)).to.equal(200);
    expect(rejected.body).to.include({ status: 'rejected', rejectionReason: 'no proof of the family link', transferredAt: null });
    await expectRejectedOnce(
      { path: '/account-transfers', action: 'account_transfer.reject', entity: 'accountTransfers' },
      asked.body.id,
      'no proof of the family link',
      checker,
    );
    expect((await Account.findByPk(account.id))!.customerId).to.equal(account.customerId);
    expect(await Notification.count({ where: { templateCode: 'account_transferred', accountId: account.id } })).to.equal(0);
    // Rejected, so a new request may be made.
    expect((await ask(account.id, to.id)).status).to.equal(201);
  });

  it('409: new owner not KYC-verified, the same owner, a transfer already pending, a closed account', async () => {
    const account = await liveAccount();
    const unverified = await createCustomer(market.region.id);
    const r1 = await ask(account.id, unverified.id);
    expect(r1.status).to.equal(409);
    expect(r1.body.type).to.match(/customer-not-verified/);
    const same = await ask(account.id, account.customerId);
    expect(same.status).to.equal(409);
    const to = await verifiedCustomer(market.region.id);
    expect((await ask(account.id, to.id)).status).to.equal(201);
    const twice = await ask(account.id, to.id);
    expect(twice.status).to.equal(409);
    expect(twice.body.type).to.match(/transfer-pending/);

    const closed = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    await pay(maker, closed.id, '500.00');
    const r2 = await ask(closed.id, to.id);
    expect(r2.status).to.equal(409);
    expect(r2.body.type).to.match(/account-not-transferable/);
    expect(await AccountTransfer.count({ where: { accountId: closed.id } })).to.equal(0);
  });

  it("404 for a customer or an account outside the caller's regions, 403 without the permission, 400 naming the field", async () => {
    const account = await liveAccount();
    const elsewhere = await verifiedCustomer(other.region.id);
    // The supervisor of the market's region asks for a customer of another region: 404.
    const scoped = await ask(account.id, elsewhere.id, checker);
    expect(scoped.status).to.equal(404);
    const outsider = await loginWithPermissions(['transfers:request', 'accounts:read'], [other.region.id]);
    const to = await verifiedCustomer(market.region.id);
    expect((await ask(account.id, to.id, outsider.token)).status).to.equal(404);
    const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await ask(account.id, to.id, agent)).status).to.equal(403);
    const bad = await call('post', `/accounts/${account.id}/transfer`, maker, { reason: 'x' });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['toCustomerId', 'reason']);
    expect(await AccountTransfer.count({ where: { accountId: account.id } })).to.equal(0);
    // A decision on a transfer of another region is a 404 too.
    const asked = await ask(account.id, to.id);
    const otherChecker = await loginWithPermissions(['transfers:approve', 'accounts:read'], [other.region.id]);
    expect((await call('post', `/account-transfers/${asked.body.id}/approve`, otherChecker.token)).status).to.equal(404);
  });

  it('an approval racing payments on the same account: both land, the books hold', async () => {
    for (let round = 0; round < 3; round++) {
      const account = await liveAccount();
      const to = await verifiedCustomer(market.region.id);
      const asked = await ask(account.id, to.id);
      const [approved, p1, p2] = await Promise.all([
        call('post', `/account-transfers/${asked.body.id}/approve`, checker),
        pay(maker, account.id, '120.00'),
        pay(maker, account.id, '80.00'),
      ]);
      expect([approved.status, p1.status, p2.status], `round ${round}`).to.deep.equal([200, 201, 201]);
      const after = (await Account.findByPk(account.id))!;
      expect(after.customerId).to.equal(to.id);
      expect(after.balance).to.equal('700.00');
      await expectAccountBooks(account.id, `round ${round}`);
    }
  });
});
