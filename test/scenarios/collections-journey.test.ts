import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { Account, InstallmentSchedule } from '../../src/modules/accounts/models';
import { PromiseToPay } from '../../src/modules/collections/models';
import { Device, DeviceToken } from '../../src/modules/devices/models';
import { StockMovement } from '../../src/modules/inventory/models';
import { Country } from '../../src/modules/organisation/models';
import { addDays } from '../../src/platform/dates';
import { Decimal } from '../../src/platform/money';
import { loginAs, testRuntime } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { createMarket } from '../support/lending';
import { call } from '../lending/support';
import { freshMarket } from '../operations/support';
import { createDeviceModel, registerDevice } from '../devices/support';
import { createSupplier, createWarehouse, level, newUnit, orderedPurchaseOrder, receiveUnits } from '../inventory/support';
import { expectOnePlace, paidAccountWithDevice, whereIs } from '../after-sales/support';
import { CLOSED, caseOf, closeDay, lateAccount } from '../collections/support';

/**
 * Issue 15, "How it will be checked": an account driven from current to 60 DPD by the nightly close,
 * following the case (opened, assigned), a promise to pay broken by the close, the escalation, the
 * repossession and the write-off of the rest, with the books and the stock checked at each step.
 */

type Login = Awaited<ReturnType<typeof loginAs>>;

async function journalOf(sourceType: string, sourceId: number) {
  const { sequelize } = await testRuntime();
  return sequelize.query<{ code: string; debit: string; credit: string; accountId: number | null }>(
    `SELECT la.code, l.debit, l.credit, l.accountId FROM journalEntries e JOIN journalLines l ON l.journalEntryId = e.id
       JOIN ledgerAccounts la ON la.id = l.ledgerAccountId WHERE e.sourceType = ? AND e.sourceId = ? ORDER BY la.code`,
    { replacements: [sourceType, sourceId], type: QueryTypes.SELECT },
  );
}

/** What the open instalments still owe, from the schedule. */
async function owedBySchedule(accountId: number): Promise<string> {
  const rows = await InstallmentSchedule.findAll({ where: { accountId } });
  return rows
    .filter((i) => i.status !== 'waived' && i.status !== 'superseded')
    .reduce((sum, i) => sum.plus(new Decimal(i.amount).minus(i.paidAmount)), new Decimal(0))
    .toFixed(2);
}

describe('scenario (issue 15): from current to 60 DPD, the case, a broken promise, escalation, repossession and write-off', function () {
  this.timeout(600_000);
  let backOffice: Login;
  let finance: Login;

  before(async () => {
    backOffice = await loginAs('back_office');
    finance = await loginAs('finance');
  });

  it('drives one account through the nightly closes and follows it to the write-off (books and stock at every step)', async () => {
    const market = await freshMarket();
    const agent = await loginAs('agent', { regionIds: [market.region.id] });
    const supervisor = await loginAs('supervisor', { regionIds: [market.region.id] });
    await loginAs('collections', { regionIds: [market.region.id] }); // region staff: the rule still picks the account's agent first

    // Current: 10 weekly instalments of 90.00 from 2026-11-28, the 100.00 down payment paid; sold by the agent.
    const account = await lateAccount(market, 0, { agentId: agent.user.employee.id });
    expect(account).to.include({ balance: '900.00', status: 'active' });
    const firstDue = (await InstallmentSchedule.findOne({ where: { accountId: account.id, installmentNumber: 1 } }))!.dueDate;

    // The unit: bought on a purchase order at 600.00, received into the region's warehouse, attached to the account.
    const model = await createDeviceModel();
    const [supplier, warehouse] = await Promise.all([createSupplier(), createWarehouse(market.region.id)]);
    const po = await orderedPurchaseOrder(backOffice.token, {
      supplierId: supplier.id,
      warehouseId: warehouse.id,
      productId: account.productId,
      deviceModelId: model.id,
      quantity: 1,
      unitCost: '600.00',
    });
    const [deviceId] = await receiveUnits(backOffice.token, po, [newUnit()]);
    expect(await level(warehouse.id, account.productId)).to.equal(1);
    await expectOnePlace(deviceId!);
    const attached = await call('post', `/accounts/${account.id}/devices`, backOffice.token, { deviceId });
    expect(attached.status, JSON.stringify(attached.body)).to.equal(201);
    expect(await level(warehouse.id, account.productId)).to.equal(0);
    expect(await whereIs(deviceId!)).to.deep.equal({ warehouseId: null, status: 'activated', activeLinks: [account.id] });
    await expectAccountBooks(account.id, 'sold');

    /** Closes the market's business date; the account as of the next day, its books and its unit checked. */
    let day = CLOSED;
    async function close() {
      const closed = day;
      await closeDay(market, closed);
      day = addDays(day, 1);
      expect((await Country.findByPk(market.country.id))!.businessDate, `the close of ${closed} moved the business date`).to.equal(day);
      const a = (await Account.findByPk(account.id))!;
      const expected = Math.max(0, Math.round((Date.parse(day) - Date.parse(firstDue)) / 86_400_000));
      expect(a.daysPastDue, `DPD as of ${day}`).to.equal(expected);
      await expectAccountBooks(account.id, `after the close of ${closed}`);
      await expectOnePlace(deviceId!);
      expect(await StockMovement.count({ where: { deviceId } }), 'no stock movement from a close').to.equal(2);
      return a;
    }

    // 1. Current until the first instalment is 7 days late: then the case opens, assigned to the account's agent.
    let a = await close();
    expect(a).to.include({ daysPastDue: 0, status: 'active' });
    while (a.daysPastDue < 7) {
      expect(await caseOf(account.id), `no case at DPD ${a.daysPastDue}`).to.deep.equal([]);
      a = await close();
    }
    let [kase] = await caseOf(account.id);
    expect(kase).to.include({
      status: 'open',
      openedOn: day,
      daysPastDueAtOpen: 7,
      daysPastDue: 7,
      assignedTo: agent.user.employee.id,
      openAccountId: account.id,
      brokenPromises: 0,
    });
    const caseId = Number(kase!.id);
    const worklist = await call('get', '/collections/worklist', agent.token);
    expect(worklist.body.data.map((c: { id: number }) => c.id)).to.deep.equal([caseId]);

    // 2. The agent calls; the customer promises 90.00 in three days. A date in the past is refused.
    const reached = await call('post', `/collections/cases/${caseId}/activities`, agent.token, {
      activityType: 'call',
      outcome: 'reached',
      notes: 'will pay Friday',
    });
    expect(reached.status, JSON.stringify(reached.body)).to.equal(201);
    expect((await call('post', `/collections/cases/${caseId}/promises`, agent.token, { amount: '90.00', date: addDays(day, -1) })).status).to.equal(422);
    const promisedDate = addDays(day, 3);
    const promised = await call('post', `/collections/cases/${caseId}/promises`, agent.token, {
      amount: '90.00',
      date: promisedDate,
      collectionActivityId: reached.body.id,
    });
    expect(promised.status, JSON.stringify(promised.body)).to.equal(201);
    expect(promised.body).to.include({
      promisedAmount: '90.00',
      promisedDate,
      promisedOn: day,
      status: 'open',
      createdBy: agent.user.employee.id,
      collectionActivityId: reached.body.id,
    });
    expect((await caseOf(account.id))[0]).to.include({ status: 'promise' });
    await expectAccountBooks(account.id, 'after the promise');

    // 3. No payment: the close of the promised date breaks it; the case counts it and rises in priority.
    while (day <= promisedDate) {
      const before = (await caseOf(account.id))[0]!;
      a = await close();
      const now = (await caseOf(account.id))[0]!;
      if (day <= promisedDate) {
        expect((await PromiseToPay.findByPk(promised.body.id))!.status, `open as of ${day}`).to.equal('open');
        expect(now.brokenPromises).to.equal(0);
      } else {
        expect((await PromiseToPay.findByPk(promised.body.id))!.toJSON()).to.include({ status: 'broken', paidAmount: '0.00', resolvedOn: day });
        // No open promise left: back to in progress (contacted).
        expect(now).to.include({ brokenPromises: 1, status: 'in_progress' });
        // A broken promise weighs on the priority beyond the day's DPD.
        expect(Number(now.priorityScore) - Number(before.priorityScore)).to.be.greaterThan(10);
      }
    }
    expect((await Account.findByPk(account.id))!.balance).to.equal('900.00');

    // 4. One broken promise does not escalate (two would); the DPD does: at 60 the case goes to repossession review.
    while (a.daysPastDue < 60) {
      expect((await caseOf(account.id))[0]!.status, `not escalated at DPD ${a.daysPastDue}`).to.not.equal('repossession_review');
      a = await close();
    }
    kase = (await caseOf(account.id))[0];
    expect(kase).to.include({ status: 'repossession_review', escalatedOn: day, escalationReason: 'DPD 60', brokenPromises: 1, priority: 'urgent' });
    expect(a.status).to.equal('suspended');
    expect(a.balance).to.equal('900.00');
    expect(await owedBySchedule(account.id)).to.equal('900.00');

    // 5. Back office marks the account; a supervisor assigns the repossession to the agent; the agent recovers the unit.
    const marked = await call('post', `/accounts/${account.id}/mark-for-repossession`, backOffice.token, { reason: '60 days late, promise broken' });
    expect(marked.status, JSON.stringify(marked.body)).to.equal(200);
    const repossessionId = marked.body.repossessionId as number;
    await expectAccountBooks(account.id, 'marked');
    expect(await whereIs(deviceId!)).to.deep.equal({ warehouseId: null, status: 'activated', activeLinks: [account.id] });
    const assigned = await call('post', `/repossessions/${repossessionId}/assign`, supervisor.token, { employeeId: agent.user.employee.id });
    expect(assigned.status, JSON.stringify(assigned.body)).to.equal(200);
    expect(assigned.body).to.include({ status: 'assigned', assignedTo: agent.user.employee.id });
    await expectAccountBooks(account.id, 'assigned');
    await expectOnePlace(deviceId!);

    const recovered = await call('post', `/repossessions/${repossessionId}/recover`, agent.token, {
      condition: 'refurbishable',
      warehouseId: warehouse.id,
      latitude: -1.2921,
      longitude: 36.8219,
      photos: [{ reference: 's3://photos/recovered-unit.jpg', mimeType: 'image/jpeg' }],
    });
    expect(recovered.status, JSON.stringify(recovered.body)).to.equal(200);
    // Refurbishable: half the purchase order's 600.00; the rest of the 900.00 owed goes to a write-off.
    expect(recovered.body).to.include({ status: 'completed', condition: 'refurbishable', recoveredValue: '300.00', warehouseId: warehouse.id });
    expect((await Account.findByPk(account.id))!).to.include({ status: 'repossessed', balance: '600.00' });
    expect(await journalOf('repossession', repossessionId)).to.deep.equal([
      { code: '1200', debit: '0.00', credit: '300.00', accountId: account.id },
      { code: '1300', debit: '300.00', credit: '0.00', accountId: null },
    ]);
    await expectAccountBooks(account.id, 'recovered');
    // The unit: locked (SET_TIME 0), off the account, back in the warehouse for repair; one more movement.
    const lock = (await DeviceToken.findByPk(recovered.body.deviceTokenId))!;
    expect(lock).to.include({ deviceId, tokenType: 'SET_TIME', value: 0, accountId: account.id });
    expect(await whereIs(deviceId!)).to.deep.equal({ warehouseId: warehouse.id, status: 'in_repair', activeLinks: [] });
    await expectOnePlace(deviceId!);
    expect(await level(warehouse.id, account.productId)).to.equal(1);
    const trail = await StockMovement.findAll({ where: { deviceId }, order: [['id', 'ASC']] });
    expect(trail.map((m) => [m.movementType, m.warehouseId, m.quantity])).to.deep.equal([
      ['receipt', warehouse.id, 1],
      ['sale', warehouse.id, -1],
      ['repossession', warehouse.id, 1],
    ]);

    // 6. The rest, 600.00: a pending write-off the agent requested; they cannot approve it (maker-checker), finance does.
    const w = await call('get', `/writeoffs/${recovered.body.writeoffId}`, finance.token);
    expect(w.body).to.include({ accountId: account.id, amount: '600.00', status: 'pending', requestedBy: agent.user.employee.id });
    expect((await call('post', `/writeoffs/${w.body.id}/approve`, agent.token, {})).status).to.equal(403);
    expect((await Account.findByPk(account.id))!.balance).to.equal('600.00');
    const approved = await call('post', `/writeoffs/${w.body.id}/approve`, finance.token, {});
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    expect((await Account.findByPk(account.id))!).to.include({ status: 'written_off', balance: '0.00' });
    expect(await journalOf('writeoff', w.body.id)).to.deep.equal([
      { code: '1200', debit: '0.00', credit: '600.00', accountId: account.id },
      { code: '5200', debit: '600.00', credit: '0.00', accountId: null },
    ]);
    await expectAccountBooks(account.id, 'written off');
    await expectOnePlace(deviceId!);

    // 7. The next close closes the case: the account left the portfolio (written off by now). Nothing in the books or the stock moves.
    await closeDay(market, day);
    expect((await caseOf(account.id)).at(-1)).to.include({ status: 'closed', resolution: 'account written_off', openAccountId: null });
    await expectAccountBooks(account.id, 'after the last close');
    expect(await whereIs(deviceId!)).to.deep.equal({ warehouseId: warehouse.id, status: 'in_repair', activeLinks: [] });
    expect(await StockMovement.count({ where: { deviceId } })).to.equal(3);
    expect((await Device.findByPk(deviceId))!.warehouseId).to.equal(warehouse.id);

    // 8. The collections report (to the day the case closed) shows the agent's work: one contact, one promise made and broken, nothing recovered.
    const report = await call('get', `/reports/collections?from=2026-11-01&to=${addDays(day, 1)}&regionId=${market.region.id}`, backOffice.token);
    expect(report.status, JSON.stringify(report.body)).to.equal(200);
    const mine = report.body.collectors.filter((c: { employeeId: number }) => c.employeeId === agent.user.employee.id);
    expect(mine).to.have.length(1);
    expect(mine[0]).to.include({
      cases: 1,
      casesOpened: 1,
      casesClosed: 1,
      contacts: 1,
      promisesMade: 1,
      promisesKept: 0,
      promisesBroken: 1,
      amountRecovered: '0.00',
    });
  });

  it('after-sales on another account: a warranty claim approved by back office swaps the unit; stock moves both ways, the credit goes onto the new unit', async () => {
    const market = await createMarket({ businessDate: '2026-11-20' });
    const agent = await loginAs('agent', { regionIds: [market.region.id] });
    const { account, device } = await paidAccountWithDevice(market, backOffice.token, 12);
    const warehouse = await createWarehouse(market.region.id);
    const replacement = await registerDevice(backOffice.token, account.productId, { warehouseId: warehouse.id });
    expect(await level(warehouse.id, account.productId)).to.equal(1);
    for (const d of [device.id, replacement.id]) await expectOnePlace(d);
    const before = (await Account.findByPk(account.id))!;
    await expectAccountBooks(account.id, 'before the claim');

    const claim = await call('post', '/support/warranty-claims', agent.token, { accountId: account.id, issue: 'The lamp does not light' });
    expect(claim.status, JSON.stringify(claim.body)).to.equal(201);
    expect(claim.body).to.include({ deviceId: device.id, status: 'submitted', warrantyExpiry: '2027-11-19' });
    expect((await call('post', `/support/warranty-claims/${claim.body.id}/approve`, agent.token, { replacementDeviceId: replacement.id })).status).to.equal(
      403,
    );
    const approved = await call('post', `/support/warranty-claims/${claim.body.id}/approve`, backOffice.token, { replacementDeviceId: replacement.id });
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    const { swap } = approved.body;
    expect(approved.body.claim).to.include({ status: 'replaced', replacementDeviceId: replacement.id });

    // Stock: the old unit back in the warehouse (in repair), the new one on the account, each in one place, the level unchanged.
    expect(await whereIs(device.id)).to.deep.equal({ warehouseId: warehouse.id, status: 'in_repair', activeLinks: [] });
    expect(await whereIs(replacement.id)).to.deep.equal({ warehouseId: null, status: 'activated', activeLinks: [account.id] });
    for (const d of [device.id, replacement.id]) await expectOnePlace(d);
    expect(await level(warehouse.id, account.productId)).to.equal(1);
    const moves = await StockMovement.findAll({ where: { referenceType: 'deviceSwaps', referenceId: swap.id }, order: [['id', 'ASC']] });
    expect(moves.map((m) => [m.deviceId, m.warehouseId, m.quantity, m.movementType])).to.deep.equal([
      [replacement.id, warehouse.id, -1, 'sale'],
      [device.id, warehouse.id, 1, 'return'],
    ]);
    // The credit the customer paid for is carried: a SET_TIME token on the new unit, the expiry and the books unchanged.
    const token = (await DeviceToken.findByPk(swap.deviceTokenId))!;
    expect(token).to.include({ deviceId: replacement.id, accountId: account.id, tokenType: 'SET_TIME', value: swap.creditDays });
    expect(swap.creditDays).to.be.greaterThan(0);
    const after = (await Account.findByPk(account.id))!;
    expect(after.creditExpiresAt!.getTime()).to.equal(before.creditExpiresAt!.getTime());
    expect(after.balance).to.equal(before.balance);
    await expectAccountBooks(account.id, 'after the warranty swap');
  });
});
