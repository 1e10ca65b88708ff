import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Transaction } from 'sequelize';
import { Account } from '../../src/modules/accounts/models';
import { modules } from '../../src/modules';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import { closeSteps } from '../../src/modules/operations/close-steps';
import { paymentSubscriptions } from '../../src/modules/payments/events';
import { Payment } from '../../src/modules/payments/models';
import { PaymentPostingService } from '../../src/modules/payments/posting.service';
import type { AppModule } from '../../src/platform/context';
import { createSequelize } from '../../src/platform/db/sequelize';
import { testRuntime } from '../support/app';
import { openAccount } from '../support/lending';
import { CLOSED, NEXT, freshMarket } from '../operations/support';

const plan = { price: '1000.00', downPayment: '100.00', duration: 4, frequency: 'weekly' as const, startDate: '2026-10-30' };

async function pay(accountId: number, amount = '100.00') {
  const rt = await testRuntime();
  return new PaymentPostingService(rt.sequelize).post({
    accountId,
    amount,
    paymentTypeCode: 'MPESA',
    channel: 'mobile_money',
    transactionRef: `TX${randomUUID().slice(0, 12)}`,
  });
}

/** A module as a new workflow would write one: it subscribes and adds its steps in register(ctx). */
function probeModule(
  seen: { posted: { paymentId: number; visibleOutside: number; visibleInside: number }[]; chunks: number[][]; country: string[] },
  options: { failPosting?: boolean } = {},
): AppModule {
  return {
    name: 'probe',
    register(ctx) {
      paymentSubscriptions(ctx.sequelize).onPosted('probe.posted', async ({ payment }, t: Transaction) => {
        // Read committed: another connection does not see the payment until its transaction commits.
        const visibleOutside = await Payment.count({ where: { id: payment.id } });
        const visibleInside = await Payment.count({ where: { id: payment.id }, transaction: t });
        seen.posted.push({ paymentId: payment.id, visibleOutside, visibleInside });
        if (options.failPosting) throw new Error('probe refuses the payment');
        return { probed: true };
      });
      const steps = closeSteps(ctx.sequelize);
      steps.addChunkStep({
        name: 'probe',
        run: async ({ accountIds }, t) => {
          // The chunk's accounts are already taken to the business date in this same transaction.
          const done = await Account.count({ where: { id: accountIds, lastNightlyBusinessDate: NEXT }, transaction: t });
          seen.chunks.push(accountIds);
          return { accounts: accountIds.length, stepped: done };
        },
      });
      steps.addCountryStep({
        name: 'probe',
        run: async ({ countryId, closedDate, businessDate }) => {
          seen.country.push(`${countryId}:${closedDate}:${businessDate}`);
          return { ran: 1 };
        },
      });
    },
  };
}

/** Leaves the shared test runtime as it was: the probe's names replaced by ones that do nothing. */
async function unregisterProbe(): Promise<void> {
  const rt = await testRuntime();
  paymentSubscriptions(rt.sequelize).onPosted('probe.posted', async () => undefined);
  closeSteps(rt.sequelize).addChunkStep({ name: 'probe', run: async () => undefined });
  closeSteps(rt.sequelize).addCountryStep({ name: 'probe', run: async () => undefined });
}

describe('modules register payment listeners and nightly steps through register(ctx)', () => {
  afterEach(unregisterProbe);

  it('a listener registered through register() runs once, inside the payment transaction, and its effects reach the answer', async () => {
    const rt = await testRuntime();
    const seen = { posted: [] as { paymentId: number; visibleOutside: number; visibleInside: number }[], chunks: [] as number[][], country: [] as string[] };
    const probe = probeModule(seen);
    probe.register!(rt);
    probe.register!(rt); // idempotent: a second registration replaces the first
    const market = await freshMarket();
    const account = await openAccount(market, plan);
    const posted = await pay(account.id);
    expect(seen.posted).to.deep.equal([{ paymentId: posted.payment.id, visibleOutside: 0, visibleInside: 1 }]);
    expect(posted.effects).to.include({ probed: true });
  });

  it('a listener that throws rolls the payment back: it runs in the payment transaction', async () => {
    const rt = await testRuntime();
    const seen = { posted: [] as { paymentId: number; visibleOutside: number; visibleInside: number }[], chunks: [] as number[][], country: [] as string[] };
    probeModule(seen, { failPosting: true }).register!(rt);
    const market = await freshMarket();
    const account = await openAccount(market, plan);
    let failed: unknown;
    await pay(account.id).catch((e: unknown) => (failed = e));
    expect(String(failed)).to.match(/probe refuses the payment/);
    expect(seen.posted).to.have.length(1);
    expect(await Payment.count({ where: { id: seen.posted[0]!.paymentId } })).to.equal(0);
    expect(await Payment.count({ where: { accountId: account.id } })).to.equal(0);
  });

  it('steps registered through register() run in the close: chunk steps per chunk with its accounts, country steps once', async () => {
    const rt = await testRuntime();
    const seen = { posted: [] as { paymentId: number; visibleOutside: number; visibleInside: number }[], chunks: [] as number[][], country: [] as string[] };
    probeModule(seen).register!(rt);
    const market = await freshMarket();
    const a = await openAccount(market, plan);
    const b = await openAccount(market, plan);
    const summary = await closeDayInline(rt, market.country.id, CLOSED, { chunkSize: 1_000_000 });
    const mine = seen.chunks.flat().filter((id) => id === a.id || id === b.id);
    expect(mine.sort((x, y) => x - y)).to.deep.equal([a.id, b.id].sort((x, y) => x - y));
    expect(seen.country).to.deep.equal([`${market.country.id}:${CLOSED}:${NEXT}`]);
    expect(summary.counts).to.include({ 'probe.accounts': 2, 'probe.stepped': 2, 'probe.ran': 1 });
    // The commissions module's own step, registered the same way, ran in this close too.
    expect(summary.counts).to.have.property('commissions.payable');
  });

  it('what one runtime registers never runs for another', async () => {
    const rt = await testRuntime();
    const other = createSequelize({ databaseUrl: rt.config.databaseUrl }, { logging: false });
    try {
      const seen = { posted: [] as { paymentId: number; visibleOutside: number; visibleInside: number }[], chunks: [] as number[][], country: [] as string[] };
      probeModule(seen).register!({ ...rt, sequelize: other });
      const market = await freshMarket();
      const account = await openAccount(market, plan);
      await pay(account.id);
      await closeDayInline(rt, market.country.id, CLOSED);
      expect(seen).to.deep.equal({ posted: [], chunks: [], country: [] });
      expect(
        closeSteps(other)
          .countrySteps()
          .map((s) => s.name),
      ).to.deep.equal(['probe']);
    } finally {
      await other.close();
    }
  });

  it('the composition root registered every module that has register(), nothing by import side effect', async () => {
    const rt = await testRuntime();
    expect(modules.filter((m) => m.register).map((m) => m.name)).to.have.members([
      'devices',
      'commissions',
      'mobile-money',
      'collections',
      'operations',
      'cash',
      'billing',
      'inventory',
      'change-feed',
    ]);
    expect(
      closeSteps(rt.sequelize)
        .countrySteps()
        .map((s) => s.name),
    ).to.include.members(['commissions', 'changeLogPrune']);
    // operations registers the sync's chunk step (integrations/close-step.ts: integrations may not import operations).
    expect(
      closeSteps(rt.sequelize)
        .chunkSteps()
        .map((s) => s.name),
    ).to.include('sync');
    // A Sequelize no runtime registered on has no listeners and no steps.
    const bare = createSequelize({ databaseUrl: rt.config.databaseUrl }, { logging: false });
    try {
      expect(closeSteps(bare).countrySteps()).to.deep.equal([]);
      expect(closeSteps(bare).chunkSteps()).to.deep.equal([]);
    } finally {
      await bare.close();
    }
  });
});
