import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Account } from '../../src/modules/accounts/models';
import { SystemLog } from '../../src/modules/audit/models';
import { CreditNote } from '../../src/modules/billing/models';
import { SyncOutbox } from '../../src/modules/integrations/models';
import { SystemSetting } from '../../src/modules/organisation/reference.models';
import { Decimal } from '../../src/platform/money';
import { loginAs } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { createMarket, openAccount, type Market } from '../support/lending';
import { call, entryLines, loginWithPermissions, pay } from './support';
import { expectRejectedOnce } from '../support/approvals';

describe('billing: credit notes on invoices', () => {
  let market: Market;
  let other: Market;
  let staff: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    other = await createMarket({ businessDate: '2026-11-20' });
    ({ token: staff } = await loginAs('back_office'));
  });

  const issue = (invoiceId: number, body: object, token = staff, key = randomUUID()) =>
    call('post', `/invoices/${invoiceId}/credit-notes`, token, body, { 'Idempotency-Key': key });

  /** An account with its November statement: down payment 100 paid, three weekly instalments of 300 due in November (total 900). */
  async function invoiced(m: Market = market): Promise<{ account: Account; invoice: { id: number; totalAmount: string; invoiceNumber: string } }> {
    const account = await openAccount(m, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-11-06' });
    expect((await pay(staff, account.id, '100.00')).status).to.equal(201);
    const res = await call('post', `/accounts/${account.id}/invoices`, staff, { period: '2026-11' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return { account, invoice: res.body };
  }

  it('credits the account (Dr 4100 / Cr 2100), audited, listed on the invoice; a retry with the same key gets the first answer', async () => {
    const { account, invoice } = await invoiced();
    expect(new Decimal(invoice.totalAmount).greaterThan(0)).to.equal(true);
    const before = (await Account.findByPk(account.id))!;
    const key = randomUUID();
    const res = await issue(invoice.id, { amount: '150.00', reason: 'instalment billed twice' }, staff, key);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.creditNote).to.include({ accountId: account.id, invoiceId: invoice.id, amount: '150.00', reason: 'instalment billed twice' });
    expect(res.body.creditNote.creditNoteNumber).to.match(/^CN\d+/);
    expect(res.body.account).to.include({ creditBalance: new Decimal(before.creditBalance).plus(150).toFixed(2), balance: before.balance });
    expect(await entryLines('credit_note', res.body.creditNote.id)).to.deep.equal([['4100 Dr 150.00', '2100 Cr 150.00']]);
    const log = await SystemLog.findOne({ where: { action: 'credit_note.issue', entityId: res.body.creditNote.id } });
    expect(log!.newValues).to.include({ accountId: account.id, invoiceId: invoice.id, amount: '150.00' });
    expect(await SyncOutbox.count({ where: { eventType: 'account.credit_noted', aggregateId: account.id } })).to.be.greaterThan(0);

    const again = await issue(invoice.id, { amount: '150.00', reason: 'instalment billed twice' }, staff, key);
    expect(again.status).to.equal(201);
    expect(again.body.creditNote.id).to.equal(res.body.creditNote.id);
    expect(await CreditNote.count({ where: { invoiceId: invoice.id } })).to.equal(1);

    const shown = await call('get', `/invoices/${invoice.id}`, staff);
    expect(shown.body.creditNotes.map((c: { id: number; amount: string }) => [c.id, c.amount])).to.deep.equal([[res.body.creditNote.id, '150.00']]);
    const listed = await call('get', `/invoices/${invoice.id}/credit-notes`, staff);
    expect(listed.body.data.map((c: { id: number }) => c.id)).to.deep.equal([res.body.creditNote.id]);
    await expectAccountBooks(account.id);
  });

  it('409 beyond the invoice total less earlier credit notes; 409 on a written-off account', async () => {
    const { account, invoice } = await invoiced();
    const total = new Decimal(invoice.totalAmount);
    expect((await issue(invoice.id, { amount: total.minus(100).toFixed(2), reason: 'plan repriced' })).status).to.equal(201);
    const over = await issue(invoice.id, { amount: '100.01', reason: 'again' });
    expect(over.status).to.equal(409);
    expect(over.body.type).to.match(/credit-note-exceeds-invoice/);
    expect(over.body.available).to.equal('100.00');
    expect((await issue(invoice.id, { amount: '100.00', reason: 'the rest' })).status).to.equal(201);
    expect((await issue(invoice.id, { amount: '0.01', reason: 'one cent more' })).status).to.equal(409);
    await expectAccountBooks(account.id);

    const w = await invoiced();
    await Account.update({ status: 'written_off' }, { where: { id: w.account.id } });
    const off = await issue(w.invoice.id, { amount: '10.00', reason: 'late correction' });
    expect(off.status).to.equal(409);
    expect(off.body.type).to.match(/account-not-creditable/);
  });

  it("400 naming the field and nothing written; 403 without the permission; 404 for another region's invoice", async () => {
    const { invoice } = await invoiced();
    const bad = await issue(invoice.id, { amount: '-5', reason: '' });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['amount', 'reason']);
    const zero = await issue(invoice.id, { amount: '0.00', reason: 'nothing' });
    expect(zero.status).to.equal(400);
    const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await issue(invoice.id, { amount: '5.00', reason: 'agent tries' }, agent)).status).to.equal(403);
    const outsider = await loginWithPermissions(['credit-notes:write', 'accounts:read'], [other.region.id]);
    expect((await issue(invoice.id, { amount: '5.00', reason: 'other region' }, outsider.token)).status).to.equal(404);
    expect(await CreditNote.count({ where: { invoiceId: invoice.id } })).to.equal(0);
  });

  describe('above the approval threshold: maker-checker', () => {
    before(() => SystemSetting.upsert({ key: 'creditNotes.approvalThreshold', value: '100.00' }));
    after(() => SystemSetting.destroy({ where: { key: 'creditNotes.approvalThreshold' } }));

    it('waits for another employee: nothing booked while pending, the pending amount holds its part of the invoice; approve books it, reject frees it', async () => {
      // Two finance employees: both may issue and decide, never their own.
      const { token: maker } = await loginAs('finance');
      const { token: checker } = await loginAs('finance');
      const { account, invoice } = await invoiced();
      const before = (await Account.findByPk(account.id))!;
      const asked = await issue(invoice.id, { amount: '300.00', reason: 'repriced plan' }, maker);
      expect(asked.status, JSON.stringify(asked.body)).to.equal(201);
      expect(asked.body.creditNote).to.include({ status: 'pending', journalEntryId: null, approvedBy: null });
      expect(asked.body.account.creditBalance).to.equal(before.creditBalance);
      expect(await entryLines('credit_note', asked.body.creditNote.id)).to.deep.equal([]);
      // 900 billed, 300 pending: 600 left.
      const over = await issue(invoice.id, { amount: '600.01', reason: 'too much' });
      expect(over.status).to.equal(409);
      expect(over.body.available).to.equal('600.00');

      const self = await call('post', `/credit-notes/${asked.body.creditNote.id}/approve`, maker);
      expect(self.status).to.equal(403);
      expect(self.body.type).to.match(/four-eyes/);
      const inbox = await call('get', '/approvals?limit=100', checker);
      expect(inbox.body.data.map((i: { kind: string; id: number }) => `${i.kind}:${i.id}`)).to.include(`credit_note:${asked.body.creditNote.id}`);
      const approved = await call('post', `/credit-notes/${asked.body.creditNote.id}/approve`, checker);
      expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
      expect(approved.body).to.include({ status: 'issued' });
      expect(approved.body.journalEntryId).to.be.a('number');
      expect(await entryLines('credit_note', asked.body.creditNote.id)).to.deep.equal([['4100 Dr 300.00', '2100 Cr 300.00']]);
      expect((await Account.findByPk(account.id))!.creditBalance).to.equal(new Decimal(before.creditBalance).plus(300).toFixed(2));
      expect(await SystemLog.count({ where: { action: 'credit_note.approve', entityId: asked.body.creditNote.id } })).to.equal(1);
      expect((await call('post', `/credit-notes/${asked.body.creditNote.id}/reject`, checker, { reason: 'too late' })).status).to.equal(409);

      const second = await issue(invoice.id, { amount: '600.00', reason: 'the rest, by mistake' });
      expect(second.body.creditNote.status).to.equal('pending');
      const rejected = await call('post', `/credit-notes/${second.body.creditNote.id}/reject`, checker, { reason: 'not justified' });
      expect(rejected.status).to.equal(200);
      expect(rejected.body).to.include({ status: 'rejected', rejectionReason: 'not justified', journalEntryId: null });
      await expectRejectedOnce(
        { path: '/credit-notes', action: 'credit_note.reject', entity: 'creditNotes' },
        second.body.creditNote.id,
        'not justified',
        checker,
      );
      // Rejected: its part of the invoice is free again.
      expect((await issue(invoice.id, { amount: '600.00', reason: 'the rest, justified' })).status).to.equal(201);
      await expectAccountBooks(account.id);
    });
  });

  it('credit notes racing payments on the same account: the invoice limit holds, the books hold', async () => {
    for (let round = 0; round < 3; round++) {
      const { account, invoice } = await invoiced();
      const half = new Decimal(invoice.totalAmount).div(2).plus('0.01').toFixed(2);
      const results = await Promise.all([
        issue(invoice.id, { amount: half, reason: 'correction one' }),
        pay(staff, account.id, '120.00'),
        issue(invoice.id, { amount: half, reason: 'correction two' }),
        pay(staff, account.id, '80.00'),
      ]);
      // Two halves plus a cent exceed the total: exactly one credit note is issued.
      expect(results.map((r) => r.status).sort(), `round ${round}`).to.deep.equal([201, 201, 201, 409]);
      expect(await CreditNote.count({ where: { invoiceId: invoice.id } })).to.equal(1);
      await expectAccountBooks(account.id, `round ${round}`);
    }
  });
});
