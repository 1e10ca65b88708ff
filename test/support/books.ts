import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { Decimal } from '../../src/platform/money';
import { testRuntime } from './app';
import { expectBooksBalanced } from './lending';

/**
 * Every invariant of one account's books, from the database alone (shared by the concurrency
 * tests; the property test checks a subset the same way):
 *  - every journal entry balances; receivable 1200 = balance and 2100 = creditBalance, per account
 *    (expectBooksBalanced);
 *  - balance = what the open instalments and charges still owe (waived items owe nothing);
 *  - every instalment's and charge's paidAmount = the sum of its live allocations (reversedAt NULL);
 *  - allocations = paid: a reversed payment has no live allocation left; a completed payment with
 *    nothing refunded settles exactly its amount (or nothing: a recovery on a written-off account);
 *  - every shilling is somewhere: completed payments less what refunds gave back = what items
 *    hold paid + the credit balance less what credit notes credited + recoveries (payments that
 *    settled nothing, on a written-off account);
 *  - nothing is negative.
 * `context` names the round or step in failure messages.
 */
export async function expectAccountBooks(accountId: number, context = ''): Promise<void> {
  const { sequelize } = await testRuntime();
  const at = (what: string) => `${context ? `${context}: ` : ''}${what} (account ${accountId})`;
  await expectBooksBalanced([accountId]);

  const [account] = await sequelize.query<{ balance: string; creditBalance: string; status: string }>(
    'SELECT balance, creditBalance, status FROM accounts WHERE id = ?',
    { replacements: [accountId], type: QueryTypes.SELECT },
  );
  expect(account, at('account exists')).to.not.equal(undefined);
  expect(new Decimal(account!.balance).isNegative(), at(`balance ${account!.balance} not negative`)).to.equal(false);
  expect(new Decimal(account!.creditBalance).isNegative(), at(`credit balance ${account!.creditBalance} not negative`)).to.equal(false);

  const items = await sequelize.query<{ kind: string; id: number; amount: string; paidAmount: string; status: string; allocated: string | null }>(
    `SELECT 'installment' AS kind, i.id, i.amount, i.paidAmount, i.status,
            (SELECT SUM(pa.amount) FROM paymentAllocations pa WHERE pa.installmentScheduleId = i.id AND pa.reversedAt IS NULL) AS allocated
       FROM installmentSchedules i WHERE i.accountId = ?
     UNION ALL
     SELECT 'charge' AS kind, c.id, c.amount, c.paidAmount, c.status,
            (SELECT SUM(pa.amount) FROM paymentAllocations pa WHERE pa.accountChargeId = c.id AND pa.reversedAt IS NULL) AS allocated
       FROM accountCharges c WHERE c.accountId = ?`,
    { replacements: [accountId, accountId], type: QueryTypes.SELECT },
  );
  let owed = new Decimal(0);
  for (const i of items) {
    const paid = new Decimal(i.paidAmount);
    expect(paid.isNegative(), at(`${i.kind} ${i.id} paidAmount ${i.paidAmount} not negative`)).to.equal(false);
    expect(paid.greaterThan(i.amount), at(`${i.kind} ${i.id} paidAmount ${i.paidAmount} within its amount ${i.amount}`)).to.equal(false);
    expect(paid.toFixed(2), at(`${i.kind} ${i.id} paidAmount = its live allocations`)).to.equal(new Decimal(i.allocated ?? 0).toFixed(2));
    if (i.status === 'paid') expect(paid.toFixed(2), at(`${i.kind} ${i.id} paid in full`)).to.equal(new Decimal(i.amount).toFixed(2));
    // Waived and superseded lines owe nothing (a schedule change re-issued what a superseded one owed).
    if (i.status !== 'waived' && i.status !== 'superseded') owed = owed.plus(new Decimal(i.amount).minus(paid));
  }
  expect(new Decimal(account!.balance).toFixed(2), at('balance = what open instalments and charges owe')).to.equal(owed.toFixed(2));

  const payments = await sequelize.query<{
    id: number;
    amount: string;
    status: string;
    live: string | null;
    refunded: string | null;
    everAllocated: number | string;
  }>(
    `SELECT p.id, p.amount, p.status,
            (SELECT SUM(pa.amount) FROM paymentAllocations pa WHERE pa.paymentId = p.id AND pa.reversedAt IS NULL) AS live,
            (SELECT SUM(r.amount) FROM refunds r WHERE r.paymentId = p.id AND r.status IN ('approved', 'completed')) AS refunded,
            (SELECT COUNT(*) FROM paymentAllocations pa WHERE pa.paymentId = p.id) AS everAllocated
       FROM payments p WHERE p.accountId = ?`,
    { replacements: [accountId], type: QueryTypes.SELECT },
  );
  let received = new Decimal(0);
  for (const p of payments) {
    if (p.status === 'completed') received = received.plus(p.amount).minus(p.refunded ?? 0);
    const live = new Decimal(p.live ?? 0);
    if (p.status === 'reversed') {
      expect(live.toFixed(2), at(`reversed payment ${p.id} has no live allocation`)).to.equal('0.00');
    } else if (p.status === 'completed' && p.refunded === null) {
      expect([new Decimal(p.amount).toFixed(2), '0.00'], at(`payment ${p.id} of ${p.amount} allocates exactly its amount`)).to.include(live.toFixed(2));
    } else {
      expect(live.greaterThan(p.amount), at(`payment ${p.id} allocates no more than its amount`)).to.equal(false);
    }
  }
  // Credit notes (billing corrections) credit the balance without money coming in.
  const [notes] = await sequelize.query<{ credited: string | null }>(
    "SELECT SUM(amount) AS credited FROM creditNotes WHERE accountId = ? AND status = 'issued'",
    {
      replacements: [accountId],
      type: QueryTypes.SELECT,
    },
  );
  let held = new Decimal(account!.creditBalance).minus(notes?.credited ?? 0);
  for (const i of items) held = held.plus(i.paidAmount);
  for (const p of payments) {
    if (p.status === 'completed' && Number(p.everAllocated) === 0) held = held.plus(p.amount).minus(p.refunded ?? 0);
  }
  expect(held.toFixed(2), at('money received (less refunds) = paid on items + credit balance + recoveries')).to.equal(received.toFixed(2));
}
