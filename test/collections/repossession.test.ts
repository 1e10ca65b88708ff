import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { Account, AccountDevice, InstallmentSchedule, Repossession } from '../../src/modules/accounts/models';
import { SystemLog } from '../../src/modules/audit/models';
import { Device, DeviceToken } from '../../src/modules/devices/models';
import { StockMovement } from '../../src/modules/inventory/models';
import { loginAs, testRuntime } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { call } from '../lending/support';
import { freshMarket, payNow } from '../operations/support';
import { registerDevice } from '../devices/support';
import { createWarehouse, expectDeclared, level } from '../inventory/support';
import { repossessionSchema } from '../../src/modules/repossession/repossession.responses';
import type { Market } from '../support/lending';
import { CLOSED, NEXT, caseOf, closeDay, lateAccount } from './support';

type Login = Awaited<ReturnType<typeof loginAs>>;

/** Where a unit is: its warehouse (null: in the field) and its active account link, if any. */
async function whereIs(deviceId: number) {
  const device = (await Device.findByPk(deviceId))!;
  const links = await AccountDevice.findAll({ where: { deviceId, status: 'active' } });
  return { warehouseId: device.warehouseId ?? null, status: device.status, activeLinks: links.map((l) => l.accountId) };
}

async function journalOf(sourceType: string, sourceId: number) {
  const { sequelize } = await testRuntime();
  return sequelize.query<{ code: string; debit: string; credit: string; accountId: number | null }>(
    `SELECT la.code, l.debit, l.credit, l.accountId FROM journalEntries e JOIN journalLines l ON l.journalEntryId = e.id
       JOIN ledgerAccounts la ON la.id = l.ledgerAccountId WHERE e.sourceType = ? AND e.sourceId = ? ORDER BY la.code`,
    { replacements: [sourceType, sourceId], type: QueryTypes.SELECT },
  );
}

describe('repossession: assign, recover (device, stock, books, write-off) or fail', function () {
  this.timeout(120_000);
  let backOffice: Login;
  let finance: Login;

  before(async () => {
    backOffice = await loginAs('back_office');
    finance = await loginAs('finance');
  });

  /** An account 10 days in arrears (10 x 90.00 owed, price 1000.00) with a registered unit attached, as of the close of CLOSED. */
  async function lateWithDevice(market: Market) {
    const account = await lateAccount(market, 10);
    const device = await registerDevice(backOffice.token, account.productId);
    const attached = await call('post', `/accounts/${account.id}/devices`, backOffice.token, { deviceId: device.id });
    expect(attached.status, JSON.stringify(attached.body)).to.equal(201);
    return { account, device };
  }

  async function marked(accountId: number): Promise<number> {
    const res = await call('post', `/accounts/${accountId}/mark-for-repossession`, backOffice.token, { reason: 'no payment for weeks' });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.repossessionId as number;
  }

  const photos = [{ reference: 's3://photos/unit-front.jpg', mimeType: 'image/jpeg' }];
  const recovery = (warehouseId: number, condition = 'refurbishable') => ({ condition, warehouseId, latitude: -1.2921, longitude: 36.8219, photos });

  it('takes a unit back from an account in arrears: marked, assigned, recovered, the rest written off (books and stock checked at each step)', async () => {
    const market = await freshMarket();
    const { account, device } = await lateWithDevice(market);
    const warehouse = await createWarehouse(market.region.id);
    const agent = await loginAs('agent', { regionIds: [market.region.id] });
    const otherAgent = await loginAs('agent', { regionIds: [market.region.id] });
    const supervisor = await loginAs('supervisor', { regionIds: [market.region.id] });
    const elsewhere = await loginAs('supervisor', { regionIds: [(await freshMarket()).region.id] });
    await closeDay(market, CLOSED);
    await expectAccountBooks(account.id, 'in arrears');
    expect(await whereIs(device.id)).to.deep.equal({ warehouseId: null, status: 'activated', activeLinks: [account.id] });

    const id = await marked(account.id);
    const seen = await call('get', `/repossessions/${id}`, agent.token);
    expect(seen.status).to.equal(200);
    expectDeclared(repossessionSchema, seen.body);
    expect(seen.body).to.include({ accountId: account.id, deviceId: device.id, status: 'scheduled', assignedTo: null });
    expect((await call('get', `/repossessions/${id}`, elsewhere.token)).status).to.equal(404);

    // Not assigned yet: nobody records an outcome.
    expect((await call('post', `/repossessions/${id}/recover`, agent.token, recovery(warehouse.id))).status).to.equal(409);
    // Assigning: an agent may not (403); a supervisor of another region does not see it (404); a collector cannot be assigned (422).
    expect((await call('post', `/repossessions/${id}/assign`, agent.token, { employeeId: agent.user.employee.id })).status).to.equal(403);
    expect((await call('post', `/repossessions/${id}/assign`, elsewhere.token, { employeeId: agent.user.employee.id })).status).to.equal(404);
    const collector = await loginAs('collections');
    expect((await call('post', `/repossessions/${id}/assign`, supervisor.token, { employeeId: collector.user.employee.id })).status).to.equal(422);
    const assigned = await call('post', `/repossessions/${id}/assign`, supervisor.token, { employeeId: agent.user.employee.id });
    expect(assigned.status, JSON.stringify(assigned.body)).to.equal(200);
    expect(assigned.body).to.include({ status: 'assigned', assignedTo: agent.user.employee.id, assignedBy: supervisor.user.employee.id });

    // Another agent, a bad grade, a warehouse of another region: refused, nothing written.
    expect((await call('post', `/repossessions/${id}/recover`, otherAgent.token, recovery(warehouse.id))).status).to.equal(403);
    expect((await call('post', `/repossessions/${id}/recover`, agent.token, recovery(warehouse.id, 'shiny'))).status).to.equal(400);
    const farWarehouse = await createWarehouse((await freshMarket()).region.id);
    const far = await call('post', `/repossessions/${id}/recover`, agent.token, recovery(farWarehouse.id));
    expect(far.status).to.equal(400);
    expect(far.body.errors[0].field).to.equal('warehouseId');
    expect((await Account.findByPk(account.id))!.status).to.equal('suspended');

    const recovered = await call('post', `/repossessions/${id}/recover`, agent.token, recovery(warehouse.id));
    expect(recovered.status, JSON.stringify(recovered.body)).to.equal(200);
    expectDeclared(repossessionSchema, recovered.body);
    // Refurbishable: half the unit's cost (no purchase order line: the product's price, 1000.00) = 500.00 of the 900.00 owed.
    expect(recovered.body).to.include({
      status: 'completed',
      condition: 'refurbishable',
      warehouseId: warehouse.id,
      recoveredValue: '500.00',
      performedBy: agent.user.employee.id,
    });
    expect(recovered.body.writeoffId).to.be.a('number');
    expect(recovered.body.fieldVisitId).to.be.a('number');

    // The account: repossessed, 400.00 left; the five newest instalments waived, the sixth lowered to 40.00.
    const after = (await Account.findByPk(account.id))!;
    expect(after).to.include({ status: 'repossessed', balance: '400.00' });
    const schedule = await InstallmentSchedule.findAll({ where: { accountId: account.id }, order: [['installmentNumber', 'ASC']] });
    expect(schedule.filter((i) => i.status === 'waived').map((i) => i.installmentNumber)).to.deep.equal([6, 7, 8, 9, 10]);
    expect(schedule.find((i) => i.installmentNumber === 5)!.amount).to.equal('40.00');
    await expectAccountBooks(account.id, 'after the recovery');
    expect(await journalOf('repossession', id)).to.deep.equal([
      { code: '1200', debit: '0.00', credit: '500.00', accountId: account.id },
      { code: '1300', debit: '500.00', credit: '0.00', accountId: null },
    ]);

    // The device: locked out by a SET_TIME 0 token, detached, in the warehouse (in repair), one repossession movement.
    const token = (await DeviceToken.findByPk(recovered.body.deviceTokenId))!;
    expect(token).to.include({ tokenType: 'SET_TIME', value: 0, source: 'system', accountId: account.id });
    expect(await whereIs(device.id)).to.deep.equal({ warehouseId: warehouse.id, status: 'in_repair', activeLinks: [] });
    const moves = await StockMovement.findAll({ where: { deviceId: device.id, movementType: 'repossession' } });
    expect(moves.map((m) => [m.warehouseId, m.quantity, m.referenceType, m.referenceId])).to.deep.equal([[warehouse.id, 1, 'repossessions', id]]);
    expect(await level(warehouse.id, account.productId)).to.equal(1);

    // Recovering twice, or failing after: 409.
    expect((await call('post', `/repossessions/${id}/recover`, agent.token, recovery(warehouse.id))).status).to.equal(409);
    expect((await call('post', `/repossessions/${id}/fail`, agent.token, { reason: 'gone' })).status).to.equal(409);

    // The next close escalated the case when marked; now it closes it: the account left the portfolio.
    await closeDay(market, NEXT);
    expect((await caseOf(account.id)).at(-1)).to.include({ status: 'closed', resolution: 'account repossessed' });
    await expectAccountBooks(account.id, 'after the next close');
    expect(await whereIs(device.id)).to.deep.equal({ warehouseId: warehouse.id, status: 'in_repair', activeLinks: [] });

    // The write-off of the rest: pending, requested by the agent; the agent cannot approve it, finance does.
    const w = await call('get', `/writeoffs/${recovered.body.writeoffId}`, finance.token);
    expect(w.body).to.include({ accountId: account.id, amount: '400.00', status: 'pending', requestedBy: agent.user.employee.id });
    expect((await call('post', `/writeoffs/${w.body.id}/approve`, agent.token, {})).status).to.equal(403);
    const approved = await call('post', `/writeoffs/${w.body.id}/approve`, finance.token, {});
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    expect((await Account.findByPk(account.id))!).to.include({ status: 'written_off', balance: '0.00' });
    await expectAccountBooks(account.id, 'after the write-off');
    expect(await journalOf('writeoff', w.body.id)).to.deep.equal([
      { code: '1200', debit: '0.00', credit: '400.00', accountId: account.id },
      { code: '5200', debit: '400.00', credit: '0.00', accountId: null },
    ]);

    const logs = await SystemLog.findAll({ where: { entity: 'repossessions', entityId: id }, order: [['id', 'ASC']] });
    expect(logs.map((l) => l.action)).to.deep.equal(['repossession.assign', 'repossession.recover']);
    const listed = await call('get', `/repossessions?accountId=${account.id}`, agent.token);
    expect(listed.body.data.map((r: { id: number }) => r.id)).to.deep.equal([id]);
    expect((await call('get', `/repossessions?accountId=${account.id}`, elsewhere.token)).body.data).to.deep.equal([]);
  });

  it('refuses a repossession of a current account; a failed repossession records its reason and takes nothing back', async () => {
    const market = await freshMarket();
    const current = await lateAccount(market, 0);
    const { account, device } = await lateWithDevice(market);
    const agent = await loginAs('agent', { regionIds: [market.region.id] });
    await closeDay(market, CLOSED);
    const refused = await call('post', `/accounts/${current.id}/mark-for-repossession`, backOffice.token, { reason: 'try' });
    expect(refused.status).to.equal(409);
    expect(await Repossession.count({ where: { accountId: current.id } })).to.equal(0);

    const id = await marked(account.id);
    expect((await call('post', `/repossessions/${id}/assign`, backOffice.token, { employeeId: agent.user.employee.id })).status).to.equal(200);
    // Assigned is still pending: no second mark, and the next close escalates the case as marked.
    expect((await call('post', `/accounts/${account.id}/mark-for-repossession`, backOffice.token, { reason: 'again' })).status).to.equal(409);
    await closeDay(market, NEXT);
    expect((await caseOf(account.id))[0]).to.include({ status: 'repossession_review', escalationReason: 'marked for repossession' });
    expect((await call('post', `/repossessions/${id}/fail`, agent.token, { reason: 'x' })).status).to.equal(400);
    const failed = await call('post', `/repossessions/${id}/fail`, agent.token, { reason: 'customer moved away', latitude: -1.3, longitude: 36.8 });
    expect(failed.status, JSON.stringify(failed.body)).to.equal(200);
    expect(failed.body).to.include({ status: 'failed', failureReason: 'customer moved away', recoveredValue: null });
    expect((await call('post', `/repossessions/${id}/recover`, agent.token, recovery((await createWarehouse(market.region.id)).id))).status).to.equal(409);
    expect((await Account.findByPk(account.id))!.status).to.equal('suspended');
    expect(await whereIs(device.id)).to.deep.equal({ warehouseId: null, status: 'activated', activeLinks: [account.id] });
    await expectAccountBooks(account.id, 'after a failed repossession');
    // Marked again later: a new repossession.
    expect(await marked(account.id)).to.not.equal(id);
  });

  it('recorded twice at once: one recovery wins, the other is a 409; the good unit is stock again and sold on a new account', async () => {
    const market = await freshMarket();
    const { account, device } = await lateWithDevice(market);
    const warehouse = await createWarehouse(market.region.id);
    const agent = await loginAs('agent', { regionIds: [market.region.id] });
    await closeDay(market, CLOSED);
    const id = await marked(account.id);
    expect((await call('post', `/repossessions/${id}/assign`, backOffice.token, { employeeId: agent.user.employee.id })).status).to.equal(200);

    // Three recordings and a payment at once: the account lock orders them.
    const [answers, paid] = await Promise.all([
      Promise.all([1, 2, 3].map(() => call('post', `/repossessions/${id}/recover`, agent.token, recovery(warehouse.id, 'good')))),
      payNow(account.id, '50.00').then(
        () => 'posted',
        (err: Error) => err.message,
      ),
    ]);
    expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 409, 409]);
    expect(paid).to.equal('posted');
    const won = answers.find((a) => a.status === 200)!;
    // Good: the whole cost (1000.00), at most what the instalments owe (900.00, or 850.00 when the payment came first): nothing left to write off.
    expect(['900.00', '850.00']).to.include(won.body.recoveredValue);
    expect(won.body.writeoffId).to.equal(null);
    expect((await Account.findByPk(account.id))!).to.include({ status: 'repossessed', balance: '0.00' });
    await expectAccountBooks(account.id, 'after the race');
    expect(await StockMovement.count({ where: { deviceId: device.id, movementType: 'repossession' } })).to.equal(1);
    expect(await whereIs(device.id)).to.deep.equal({ warehouseId: warehouse.id, status: 'stored', activeLinks: [] });
    expect(await level(warehouse.id, account.productId)).to.equal(1);

    // Resold: the unit is installed on a new account of the same product.
    const next = await lateAccount(market, 0);
    await Account.update({ productId: account.productId }, { where: { id: next.id } });
    const attached = await call('post', `/accounts/${next.id}/devices`, backOffice.token, { deviceId: device.id });
    expect(attached.status, JSON.stringify(attached.body)).to.equal(201);
    expect(await whereIs(device.id)).to.deep.include({ warehouseId: null, activeLinks: [next.id] });
    expect(await level(warehouse.id, account.productId)).to.equal(0);
  });
});
