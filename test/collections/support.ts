import { QueryTypes } from 'sequelize';
import { AccountService } from '../../src/modules/accounts/account.service';
import { Account } from '../../src/modules/accounts/models';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import { addDays } from '../../src/platform/dates';
import { testRuntime } from '../support/app';
import { createCustomer, createPlan, type Market } from '../support/lending';
import { payNow } from '../operations/support';

/** Collections tests close 2026-11-20 first: accounts are as of 2026-11-21 after it. */
export const CLOSED = '2026-11-20';
export const NEXT = '2026-11-21';

/**
 * An account of `market` whose DPD is `dpd` once CLOSED is closed (as of NEXT): weekly plan of
 * 10 x 90 after a 100 down payment (paid), the first instalment due `dpd` days before NEXT and
 * unpaid (0: due in a week). Opened with agentId (or none). The market's date must be CLOSED.
 */
export async function lateAccount(market: Market, dpd: number, options: { agentId?: number | null; daysUntilSuspension?: number } = {}): Promise<Account> {
  const rt = await testRuntime();
  const firstDue = dpd > 0 ? addDays(NEXT, -dpd) : addDays(NEXT, 7);
  const { product, payplan } = await createPlan({
    price: '1000.00',
    downPayment: '100.00',
    duration: 10,
    frequency: 'weekly',
    daysUntilSuspension: options.daysUntilSuspension ?? 30,
  });
  const customer = await createCustomer(market.region.id);
  const account = await new AccountService(rt.sequelize).open(
    { customerId: customer.id, productId: product.id, payplanId: payplan.id, startDate: addDays(firstDue, -7), agentId: options.agentId ?? null },
    { all: true },
    null,
  );
  await payNow(account.id, '100.00');
  return (await Account.findByPk(account.id))!;
}

export async function closeDay(market: Market, date: string) {
  const rt = await testRuntime();
  return closeDayInline(rt, market.country.id, date, { partitions: 1 });
}

/** Every collections row of a market's region, to compare two runs. */
export async function collectionTables(market: Market) {
  const { sequelize } = await testRuntime();
  const q = (sql: string) => sequelize.query(sql, { replacements: { region: market.region.id }, type: QueryTypes.SELECT });
  return {
    cases: await q('SELECT c.* FROM collectionCases c JOIN accounts a ON a.id = c.accountId WHERE a.regionId = :region ORDER BY c.id'),
    promises: await q('SELECT p.* FROM promisesToPay p JOIN accounts a ON a.id = p.accountId WHERE a.regionId = :region ORDER BY p.id'),
    activities: await q(
      'SELECT x.* FROM collectionActivities x JOIN collectionCases c ON c.id = x.collectionCaseId JOIN accounts a ON a.id = c.accountId WHERE a.regionId = :region ORDER BY x.id',
    ),
  };
}

/** How many changeLog rows (the agents' feed) name a collection case of the market's region. */
export async function caseChanges(market: Market): Promise<number> {
  const { sequelize } = await testRuntime();
  const [row] = await sequelize.query<{ n: number }>("SELECT COUNT(*) AS n FROM changeLog WHERE entityType = 'collectionCase' AND regionId = :region", {
    replacements: { region: market.region.id },
    type: QueryTypes.SELECT,
  });
  return Number(row!.n);
}

export async function caseOf(accountId: number) {
  const { sequelize } = await testRuntime();
  const rows = await sequelize.query<Record<string, unknown>>('SELECT * FROM collectionCases WHERE accountId = ? ORDER BY id', {
    replacements: [accountId],
    type: QueryTypes.SELECT,
  });
  return rows;
}
