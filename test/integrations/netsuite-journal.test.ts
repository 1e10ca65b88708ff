import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { NetsuiteAccountMapping, NetsuiteJournal, ledgerDayKey } from '../../src/modules/integrations/netsuite';
import { SyncOutbox } from '../../src/modules/integrations/models';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import { JobRun } from '../../src/modules/operations/models';
import { postEntry } from '../../src/modules/ledger/journal.service';
import type { SyncItem } from '../../src/modules/integrations/sync-target';
import { Decimal } from '../../src/platform/money';
import { withTransaction } from '../../src/platform/db/transaction';
import { loginAs, testRuntime } from '../support/app';
import { createMarket, openAccount, type Market } from '../support/lending';
import { call, pay } from '../lending/support';
import { createCommissionPlan, sellAccount } from '../commissions/support';
import { createEmployee } from '../support/app';
import type { FakeNetsuite } from '../fakes/netsuite';
import { mapSubsidiary, restConfig, startFake, target } from './netsuite-support';

const DAY = '2026-11-20';
const plan = { price: '1000.00', downPayment: '100.00', duration: 4, frequency: 'weekly' as const, startDate: DAY };

/** Every ledger code the app posts to, mapped to NetSuite account 9<code> (two codes share one account, as a chart may). */
async function mapChart(countryId: number): Promise<void> {
  const { sequelize } = await testRuntime();
  const codes = await sequelize.query<{ code: string }>('SELECT code FROM ledgerAccounts', { type: QueryTypes.SELECT });
  await NetsuiteAccountMapping.bulkCreate(
    codes.map(({ code }) => ({ countryId, ledgerCode: code, netsuiteAccountId: code === '4300' ? '94400' : `9${code}` })),
  );
}

/** The day's journal lines of the country, summed per NetSuite account as the mapping says (debit - credit). */
async function expectedNet(countryId: number, date: string): Promise<Record<string, string>> {
  const { sequelize } = await testRuntime();
  const rows = await sequelize.query<{ code: string; debit: string; credit: string }>(
    `SELECT la.code, SUM(jl.debit) AS debit, SUM(jl.credit) AS credit FROM journalLines jl JOIN journalEntries je ON je.id = jl.journalEntryId
       JOIN ledgerAccounts la ON la.id = jl.ledgerAccountId WHERE je.countryId = :countryId AND je.businessDate = :date GROUP BY la.code`,
    { replacements: { countryId, date }, type: QueryTypes.SELECT },
  );
  const out: Record<string, Decimal> = {};
  for (const r of rows) {
    const account = r.code === '4300' ? '94400' : `9${r.code}`;
    out[account] = (out[account] ?? new Decimal(0)).plus(r.debit).minus(r.credit);
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.toFixed(2)]));
}

type Line = { account: { id: string }; debit?: number; credit?: number };
function netOf(lines: Line[]): Record<string, string> {
  const out: Record<string, Decimal> = {};
  for (const l of lines) out[l.account.id] = (out[l.account.id] ?? new Decimal(0)).plus(l.debit ?? 0).minus(l.credit ?? 0);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.toFixed(2)]));
}

describe('integrations: the NetSuite day journal and commission vendor bills', () => {
  let fake: FakeNetsuite;
  let market: Market;
  let cashier: string;
  before(async () => {
    fake = await startFake();
    market = await createMarket({ businessDate: DAY });
    await mapSubsidiary(market.country.id, '7');
    await mapChart(market.country.id);
    ({ token: cashier } = await loginAs('finance'));
  });
  after(() => fake.stop());

  it("after the nightly close, the closed day is one ledgerDay outbox row; its journal equals the day's journalLines per mapped account, debits = credits; a re-push sends nothing", async () => {
    const rt = await testRuntime();
    const a = await openAccount(market, plan);
    const b = await openAccount(market, plan);
    expect((await pay(cashier, a.id, '100.00')).status).to.equal(201);
    expect((await pay(cashier, b.id, '350.00')).status).to.equal(201);
    expect((await pay(cashier, a.id, '80.00')).status).to.equal(201);

    await closeDayInline(rt, market.country.id, DAY, { chunkSize: 1_000_000 });
    const key = ledgerDayKey(market.country.id, DAY);
    const rows = await SyncOutbox.findAll({ where: { aggregateType: 'ledgerDay', aggregateId: key } });
    expect(rows.map((r) => [r.target, r.eventType, r.payload])).to.deep.equal([['netsuite', 'ledger.day_closed', { countryId: market.country.id, date: DAY }]]);

    const t = await target(restConfig(fake));
    const item: SyncItem = { aggregate: 'ledgerDay', id: key, events: ['ledger.day_closed'], payloads: [{}] };
    const [out] = await t.push([item]);
    const je = fake.byExternalId('journalEntry', `amt-je-${market.country.code}-${DAY}`)!;
    expect(out).to.deep.equal({ status: 'done', remoteId: je.id });
    expect(je.fields).to.include({ tranDate: DAY });
    expect(je.fields.subsidiary).to.deep.equal({ id: '7' });
    const lines = (je.fields.line as { items: Line[] }).items;
    expect(netOf(lines)).to.deep.equal(await expectedNet(market.country.id, DAY));
    const debits = lines.reduce((s, l) => s.plus(l.debit ?? 0), new Decimal(0));
    const credits = lines.reduce((s, l) => s.plus(l.credit ?? 0), new Decimal(0));
    expect(debits.toFixed(2)).to.equal(credits.toFixed(2));
    expect(debits.greaterThan(0)).to.equal(true);
    // Sales revenue of the two accounts was credited that day.
    expect(lines.some((l) => l.account.id === '94100' && l.credit !== undefined)).to.equal(true);
    expect(fake.requests.at(-1)!.path).to.match(/\?replace=line$/);
    const runs = () => JobRun.findAll({ where: { jobName: 'netsuite.ledgerDay', countryId: market.country.id }, order: [['id', 'ASC']] });
    expect((await runs()).map((r) => [r.status, r.businessDate, r.counts])).to.deep.equal([['succeeded', DAY, { lines: lines.length }]]);

    const writes = fake.writes().length;
    expect(await t.push([item])).to.deep.equal([{ status: 'done', remoteId: je.id }]);
    expect(fake.writes().length).to.equal(writes);
    expect(fake.all('journalEntry').filter((r) => r.externalId === je.externalId)).to.have.length(1);
    expect(await NetsuiteJournal.findOne({ where: { countryId: market.country.id, businessDate: DAY } })).to.deep.include({
      status: 'sent',
      netsuiteId: je.id,
    });

    // The close re-run enqueues again: still nothing new is sent.
    await closeDayInline(rt, market.country.id, DAY, { chunkSize: 1_000_000 });
    expect(await t.push([item])).to.deep.equal([{ status: 'done', remoteId: je.id }]);
    expect(fake.writes().length).to.equal(writes);

    // A posting that lands on the closed day afterwards: the day now differs from what was sent.
    await withTransaction(rt.sequelize, (tx) =>
      postEntry(
        {
          businessDate: DAY,
          countryId: market.country.id,
          description: 'late posting',
          sourceType: 'test',
          currency: 'KES',
          lines: [
            { ledger: '1130', debit: '5.00' },
            { ledger: '4300', credit: '5.00' },
          ],
        },
        tx,
      ),
    );
    const [changed] = await t.push([item]);
    expect(changed!.status).to.equal('dead');
    expect((changed as { error: string }).error).to.match(new RegExp(`^amt-je-${market.country.code}-${DAY} was already sent to NetSuite`));
    expect((changed as { error: string }).error).to.include('1130: sent Dr');
    expect((changed as { error: string }).error).to.include('4300: sent Dr 0.00 Cr 0.00, now Dr 0.00 Cr 5.00');
    expect((changed as { error: string }).error).to.match(/Not overwritten: finance must review/);
    expect(fake.writes().length).to.equal(writes);
    // Sent once (the re-pushes that sent nothing left no run); the refusal is a failed run with its message.
    expect((await runs()).map((r) => [r.status, r.errors?.[0]?.message.slice(0, 40)])).to.deep.equal([
      ['succeeded', undefined],
      ['failed', (changed as { error: string }).error.slice(0, 40)],
    ]);
    expect(netOf((fake.byExternalId('journalEntry', je.externalId)!.fields.line as { items: Line[] }).items)).to.deep.equal(netOf(lines));
  });

  it('the answer lost after NetSuite applied the journal: retried with ?replace=line, so the lines are not duplicated', async () => {
    const m = await createMarket({ businessDate: DAY });
    await mapSubsidiary(m.country.id, '8');
    await mapChart(m.country.id);
    const a = await openAccount(m, plan);
    expect((await pay(cashier, a.id, '100.00')).status).to.equal(201);
    await closeDayInline(await testRuntime(), m.country.id, DAY, { chunkSize: 1_000_000 });
    const item: SyncItem = { aggregate: 'ledgerDay', id: ledgerDayKey(m.country.id, DAY), events: ['ledger.day_closed'], payloads: [{}] };
    const t = await target(restConfig(fake));
    fake.dropAfterApplyNext(1);
    expect((await t.push([item]))[0]).to.include({ status: 'retry' });
    const externalId = `amt-je-${m.country.code}-${DAY}`;
    const firstLines = (fake.byExternalId('journalEntry', externalId)!.fields.line as { items: Line[] }).items;
    expect(await NetsuiteJournal.findOne({ where: { countryId: m.country.id } })).to.deep.include({ status: 'sending' });
    expect((await t.push([item]))[0]).to.include({ status: 'done' });
    const record = fake.byExternalId('journalEntry', externalId)!;
    expect(record.writes).to.equal(2);
    expect((record.fields.line as { items: Line[] }).items).to.deep.equal(firstLines);
    expect(netOf(firstLines)).to.deep.equal(await expectedNet(m.country.id, DAY));
  });

  it('a day not yet closed, a ledger code without a mapping and a day without postings: dead with a message, dead, and done with nothing sent', async () => {
    const m = await createMarket({ businessDate: DAY });
    await mapSubsidiary(m.country.id, '9');
    const a = await openAccount(m, plan);
    expect((await pay(cashier, a.id, '100.00')).status).to.equal(201);
    const t = await target(restConfig(fake));
    const item: SyncItem = { aggregate: 'ledgerDay', id: ledgerDayKey(m.country.id, DAY), events: ['ledger.day_closed'], payloads: [{}] };
    expect(await t.push([item])).to.deep.equal([
      { status: 'dead', error: `${m.country.code}'s business day ${DAY} is not closed (business date ${DAY}): its journal is sent after the close` },
    ]);
    await closeDayInline(await testRuntime(), m.country.id, DAY, { chunkSize: 1_000_000 });
    const [unmapped] = await t.push([item]);
    expect(unmapped!.status).to.equal('dead');
    expect((unmapped as { error: string }).error).to.match(new RegExp(`^ledger code\\(s\\) [0-9, ]+ have no NetSuite account mapped for ${m.country.code}`));
    expect(await NetsuiteJournal.count({ where: { countryId: m.country.id } })).to.equal(0);
    const before = fake.writes().length;
    expect(await t.push([{ ...item, id: ledgerDayKey(m.country.id, '2026-11-01') }])).to.deep.equal([{ status: 'done' }]);
    expect(fake.writes().length).to.equal(before);
  });

  it('an approved commission payment enqueues commissionPayment; pushed, the agent is upserted as vendor amt-emp-{id} and the payment as vendor bill amt-cpay-{id}', async () => {
    const checker = (await loginAs('finance')).token;
    const closer = (await loginAs('finance')).token;
    await createCommissionPlan([{ eventType: 'sale', amount: '300.00', regionId: market.region.id }]);
    const agent = await createEmployee('agent', { regionIds: [market.region.id] });
    await market.setDate('2026-11-25');
    const account = await sellAccount(market, agent.employee.id, {
      price: '6000.00',
      downPayment: '600.00',
      duration: 10,
      frequency: 'monthly',
      startDate: '2026-11-25',
    });
    expect((await pay(cashier, account.id, '600.00')).status).to.equal(201);
    const closed = await call('post', '/commissions/payments/close', closer, { period: '2026-11' });
    expect(closed.status, JSON.stringify(closed.body)).to.equal(200);
    const p = (closed.body.payments as { id: number; employeeId: number; amount: string }[]).find((x) => x.employeeId === agent.employee.id)!;
    expect(p.amount).to.equal('300.00');
    expect(await SyncOutbox.count({ where: { aggregateType: 'commissionPayment', aggregateId: p.id } })).to.equal(0);

    const t = await target(restConfig(fake));
    const item: SyncItem = { aggregate: 'commissionPayment', id: p.id, events: ['commission_payment.approved'], payloads: [{}] };
    expect((await t.push([item]))[0]).to.deep.equal({ status: 'dead', error: `commission payment ${p.id} is pending, not approved: no vendor bill` });

    expect((await call('post', `/commissions/payments/${p.id}/approve`, checker)).status).to.equal(200);
    const rows = await SyncOutbox.findAll({ where: { aggregateType: 'commissionPayment', aggregateId: p.id } });
    expect(rows.map((r) => [r.target, r.eventType])).to.deep.equal([['netsuite', 'commission_payment.approved']]);

    const [out] = await t.push([item]);
    const vendor = fake.byExternalId('vendor', `amt-emp-${agent.employee.id}`)!;
    const bill = fake.byExternalId('vendorBill', `amt-cpay-${p.id}`)!;
    expect(out).to.deep.equal({ status: 'done', remoteId: bill.id });
    expect(vendor.fields).to.include({ entityId: agent.employee.employeeCode, firstName: 'Test', lastName: 'agent', isPerson: true, isInactive: false });
    expect(bill.fields).to.deep.include({ entity: { id: vendor.id }, subsidiary: { id: '7' }, tranId: `CPAY-${p.id}`, tranDate: '2026-11-25' });
    expect(bill.fields.expense).to.deep.equal({ items: [{ account: { id: '92500' }, amount: 300, memo: 'Commission 2026-11' }] });

    // Again (a crash before the outbox row was marked): the same vendor and bill, the line not repeated.
    expect((await t.push([item]))[0]).to.deep.equal({ status: 'done', remoteId: bill.id });
    expect(fake.all('vendorBill').filter((r) => r.externalId === `amt-cpay-${p.id}`)).to.have.length(1);
    expect((fake.byExternalId('vendorBill', `amt-cpay-${p.id}`)!.fields.expense as { items: unknown[] }).items).to.have.length(1);
    expect(fake.all('vendor').filter((r) => r.externalId === `amt-emp-${agent.employee.id}`)).to.have.length(1);
  });
});
