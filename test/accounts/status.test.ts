import { expect } from 'chai';
import fc from 'fast-check';
import { accountDaysPastDue, daysPastDue, parBucket } from '../../src/modules/accounts/arrears';
import { canTransition } from '../../src/modules/accounts/lifecycle';
import { ACCOUNT_STATUSES, type AccountStatus } from '../../src/modules/accounts/models';
import { downPaymentOwed, nextAccountState, type AccountFacts, type StatusOccasion } from '../../src/modules/accounts/status';
import { addDays } from '../../src/platform/dates';
import { toMoneyString } from '../../src/platform/money';

const BD = '2026-11-21';

const facts: fc.Arbitrary<AccountFacts> = fc
  .record({
    status: fc.constantFrom<AccountStatus>(...ACCOUNT_STATUSES),
    balanceCents: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10_000_000 })),
    limit: fc.oneof(fc.integer({ min: 0, max: 130 }), fc.constantFrom(0, 14, 30)),
    items: fc.array(
      fc.record({
        dueOffset: fc.integer({ min: -150, max: 30 }),
        amountCents: fc.integer({ min: 1, max: 500_000 }),
        paidShare: fc.constantFrom(0, 0.5, 1),
      }),
      { maxLength: 8 },
    ),
    withDown: fc.boolean(),
  })
  .map(({ status, balanceCents, limit, items, withDown }) => ({
    status,
    activationDate: status === 'pending' ? null : addDays(BD, -200),
    balance: toMoneyString(balanceCents / 100),
    daysUntilSuspension: limit,
    businessDate: BD,
    installments: items.map((r, k) => {
      const paidCents = Math.floor(r.amountCents * r.paidShare);
      const dueDate = addDays(BD, r.dueOffset);
      const paid = paidCents >= r.amountCents;
      return {
        installmentNumber: withDown ? k : k + 1,
        dueDate,
        amount: toMoneyString(r.amountCents / 100),
        paidAmount: toMoneyString(paidCents / 100),
        status: paid ? ('paid' as const) : dueDate < BD ? ('overdue' as const) : paidCents > 0 ? ('partial' as const) : ('pending' as const),
      };
    }),
  }));

const OCCASIONS: StatusOccasion[] = ['close', 'payment', 'balance'];

/** The rules of status.ts on random accounts, for every occasion (the SQL of the close: test/operations/arrears-sql.test.ts). */
describe('accounts: nextAccountState (status.ts)', () => {
  it('derives DPD and PAR from the resulting status, and reaches it by legal transitions only', () => {
    fc.assert(
      fc.property(facts, fc.constantFrom(...OCCASIONS), (f, occasion) => {
        const next = nextAccountState(f, occasion);
        const dpd = accountDaysPastDue(next.status, f.installments, BD);
        expect({ dpd: next.daysPastDue, bucket: next.parBucket }).to.deep.equal({ dpd, bucket: parBucket(dpd) });
        let at = f.status;
        for (const step of next.steps) {
          expect(step.from).to.equal(at);
          expect(canTransition(step.from, step.to), `${step.from} -> ${step.to}`).to.equal(true);
          at = step.to;
        }
        expect(at).to.equal(next.status);
      }),
      { numRuns: 500 },
    );
  });

  it("the close only suspends an active account beyond its plan's limit", () => {
    fc.assert(
      fc.property(facts, (f) => {
        const next = nextAccountState(f, 'close');
        const beyond = f.status === 'active' && daysPastDue(f.installments, BD) > f.daysUntilSuspension;
        expect(next.status).to.equal(beyond ? 'suspended' : f.status);
        expect(next.activationDate).to.equal(f.activationDate);
      }),
      { numRuns: 500 },
    );
  });

  it('a payment activates a pending account once its down payment is paid (on the business date), and closes one that owes nothing', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const next = nextAccountState(f, 'payment');
        if (f.status === 'pending') {
          const activated = !downPaymentOwed(f.installments);
          expect(next.activationDate).to.equal(activated ? BD : null);
          if (!activated) expect(next.status).to.equal('pending');
        }
        if (['active', 'suspended'].includes(f.status) || (f.status === 'pending' && !downPaymentOwed(f.installments))) {
          const zero = f.balance === '0.00';
          if (zero) expect(next.status).to.equal('closed');
          else expect(next.status).to.equal(f.status === 'suspended' && daysPastDue(f.installments, BD) > 0 ? 'suspended' : 'active');
        }
        if (['closed', 'written_off', 'repossessed'].includes(f.status)) expect(next.steps).to.deep.equal([]);
      }),
      { numRuns: 500 },
    );
  });

  it('a balance change re-opens, closes, suspends and re-activates as the balance, the down payment and DPD say', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const next = nextAccountState(f, 'balance');
        const owes = f.balance !== '0.00';
        const dpd = daysPastDue(f.installments, BD);
        const down = downPaymentOwed(f.installments);
        let want: AccountStatus = f.status;
        if (down && (f.status === 'active' || f.status === 'suspended' || (f.status === 'closed' && owes))) want = 'pending';
        else if (f.status === 'closed' && owes) want = dpd > f.daysUntilSuspension ? 'suspended' : 'active';
        else if ((f.status === 'active' || f.status === 'suspended') && !owes) want = 'closed';
        else if (f.status === 'active' && dpd > f.daysUntilSuspension) want = 'suspended';
        else if (f.status === 'suspended' && dpd === 0) want = 'active';
        expect(next.status, JSON.stringify(f)).to.equal(want);
        expect(next.activationDate).to.equal(want === 'pending' && f.status !== 'pending' ? null : f.activationDate);
      }),
      { numRuns: 500 },
    );
  });
});
