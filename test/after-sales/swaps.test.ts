import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Account, AccountDevice } from '../../src/modules/accounts/models';
import { SystemLog } from '../../src/modules/audit/models';
import { Product, ProductType, WarrantyPolicy } from '../../src/modules/catalogue/models';
import { DeviceToken } from '../../src/modules/devices/models';
import { StockMovement } from '../../src/modules/inventory/models';
import { DeviceSwap, WarrantyClaim } from '../../src/modules/support/models';
import { approvedClaimSchema, deviceSwapSchema, warrantyClaimSchema } from '../../src/modules/support/support.responses';
import { loginAs } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { createMarket, type Market } from '../support/lending';
import { call, entryLines, pay } from '../lending/support';
import { registerDevice } from '../devices/support';
import { createWarehouse, expectDeclared, level } from '../inventory/support';
import { agentLocation, expectOnePlace, paidAccountWithDevice, whereIs, type Login } from './support';

const swapOf = (token: string, accountId: number, body: object, key = randomUUID()) =>
  call('post', `/accounts/${accountId}/device-swap`, token, body, { 'Idempotency-Key': key });

describe('warranty claims and device swaps: stock both ways, credit carried, fee booked', function () {
  this.timeout(180_000);
  let market: Market;
  let backOffice: Login;
  let backOffice2: Login;
  let agent: Login;
  let elsewhere: Login;

  before(async () => {
    market = await createMarket();
    backOffice = await loginAs('back_office');
    backOffice2 = await loginAs('back_office');
    agent = await loginAs('agent', { regionIds: [market.region.id] });
    elsewhere = await loginAs('agent', { regionIds: [(await createMarket()).region.id] });
  });

  it('a claim in warranty is approved by another employee: the unit is swapped free, stock moves both ways, the credit days go onto the new unit', async () => {
    const { account, device } = await paidAccountWithDevice(market, backOffice.token, 12);
    const warehouse = await createWarehouse(market.region.id);
    const replacement = await registerDevice(backOffice.token, account.productId, { warehouseId: warehouse.id });
    const attachedElsewhere = await paidAccountWithDevice(market, backOffice.token, 12);
    const otherAgent = await loginAs('agent', { regionIds: [market.region.id] });
    const otherBag = await agentLocation(market.region.id, otherAgent.user.employee.id);
    const inOtherBag = await registerDevice(backOffice.token, account.productId, { warehouseId: otherBag.id });
    expect(await level(warehouse.id, account.productId)).to.equal(1);
    const creditExpiresAt = (await Account.findByPk(account.id))!.creditExpiresAt!;

    // Bad input, another region, no permission.
    const noIssue = await call('post', '/support/warranty-claims', agent.token, { accountId: account.id });
    expect(noIssue.status).to.equal(400);
    expect(noIssue.body.errors[0].field).to.equal('issue');
    const wrongDevice = await call('post', '/support/warranty-claims', agent.token, { accountId: account.id, deviceId: replacement.id, issue: 'Battery dead' });
    expect(wrongDevice.status).to.equal(400);
    expect(wrongDevice.body.errors[0].field).to.equal('deviceId');
    expect((await call('post', '/support/warranty-claims', elsewhere.token, { accountId: account.id, issue: 'Battery dead' })).status).to.equal(404);

    const submitted = await call('post', '/support/warranty-claims', agent.token, { accountId: account.id, issue: 'Battery does not charge' });
    expect(submitted.status, JSON.stringify(submitted.body)).to.equal(201);
    expectDeclared(warrantyClaimSchema, submitted.body);
    // Installed on 2026-11-20 with 12 months: covered to 2027-11-19.
    expect(submitted.body).to.include({
      accountId: account.id,
      deviceId: device.id,
      status: 'submitted',
      submittedBy: agent.user.employee.id,
      warrantyExpiry: '2027-11-19',
    });
    const id = submitted.body.id as number;
    expect((await call('post', '/support/warranty-claims', agent.token, { accountId: account.id, issue: 'Again' })).status).to.equal(409);
    expect((await call('get', `/support/warranty-claims/${id}`, elsewhere.token)).status).to.equal(404);

    // Deciding: an agent may not (403); the replacement must be a unit in stock the decider may hand out (409), existing (400).
    expect((await call('post', `/support/warranty-claims/${id}/approve`, agent.token, { replacementDeviceId: replacement.id })).status).to.equal(403);
    const missing = await call('post', `/support/warranty-claims/${id}/approve`, backOffice.token, { replacementDeviceId: 2_000_000_000 });
    expect(missing.status).to.equal(400);
    expect(missing.body.errors[0].field).to.equal('replacementDeviceId');
    const attached = await call('post', `/support/warranty-claims/${id}/approve`, backOffice.token, { replacementDeviceId: attachedElsewhere.device.id });
    expect(attached.status).to.equal(409);
    expect(attached.body.type).to.match(/device-in-use/);
    const bag = await call('post', `/support/warranty-claims/${id}/approve`, backOffice.token, { replacementDeviceId: inOtherBag.id });
    expect(bag.status).to.equal(409);
    expect(bag.body.type).to.match(/not-in-your-stock/);
    expect(await whereIs(device.id)).to.deep.equal({ warehouseId: null, status: 'activated', activeLinks: [account.id] });

    const approved = await call('post', `/support/warranty-claims/${id}/approve`, backOffice.token, { replacementDeviceId: replacement.id });
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    expectDeclared(approvedClaimSchema, approved.body);
    const { claim, swap } = approved.body;
    expect(claim).to.include({ status: 'replaced', decidedBy: backOffice.user.employee.id, replacementDeviceId: replacement.id, deviceSwapId: swap.id });
    expect(swap).to.include({
      kind: 'warranty',
      oldDeviceId: device.id,
      newDeviceId: replacement.id,
      fromWarehouseId: warehouse.id,
      returnWarehouseId: warehouse.id,
      fee: null,
      accountChargeId: null,
    });

    // The credit: the new unit's SET_TIME token carries the days left (the account's expiry is unchanged).
    expect(swap.creditDays).to.be.within(19, 20);
    expect(swap.token).to.include({ tokenType: 'SET_TIME', value: swap.creditDays });
    const token = (await DeviceToken.findByPk(swap.deviceTokenId))!;
    expect(token).to.include({ deviceId: replacement.id, accountId: account.id, tokenType: 'SET_TIME', value: swap.creditDays });
    expect((await Account.findByPk(account.id))!.creditExpiresAt!.getTime()).to.equal(creditExpiresAt.getTime());

    // Stock: the old unit in the warehouse (in repair), the new one on the account; each in one place; movements both ways.
    expect(await whereIs(device.id)).to.deep.equal({ warehouseId: warehouse.id, status: 'in_repair', activeLinks: [] });
    expect(await whereIs(replacement.id)).to.deep.equal({ warehouseId: null, status: 'activated', activeLinks: [account.id] });
    for (const d of [device.id, replacement.id, attachedElsewhere.device.id, inOtherBag.id]) await expectOnePlace(d);
    const moves = await StockMovement.findAll({ where: { referenceType: 'deviceSwaps', referenceId: swap.id }, order: [['id', 'ASC']] });
    expect(moves.map((m) => [m.deviceId, m.warehouseId, m.quantity, m.movementType])).to.deep.equal([
      [replacement.id, warehouse.id, -1, 'sale'],
      [device.id, warehouse.id, 1, 'return'],
    ]);
    expect(await level(warehouse.id, account.productId)).to.equal(1);
    const oldLink = (await AccountDevice.findOne({ where: { accountId: account.id, deviceId: device.id } }))!;
    expect(oldLink.status).to.equal('faulty');
    // The replacement carries the original's warranty.
    const newLink = (await AccountDevice.findOne({ where: { accountId: account.id, deviceId: replacement.id } }))!;
    expect(newLink.warrantyExpiry).to.equal('2027-11-19');
    await expectAccountBooks(account.id, 'after a warranty swap');

    // Decided once: approving or rejecting again is a 409.
    expect((await call('post', `/support/warranty-claims/${id}/approve`, backOffice.token, { replacementDeviceId: inOtherBag.id })).status).to.equal(409);
    expect((await call('post', `/support/warranty-claims/${id}/reject`, backOffice.token, { reason: 'changed my mind' })).status).to.equal(409);
    const logs = await SystemLog.findAll({ where: { entity: 'warrantyClaims', entityId: id }, order: [['id', 'ASC']] });
    expect(logs.map((l) => l.action)).to.deep.equal(['warrantyClaim.submit', 'warrantyClaim.approve']);
    expect(await SystemLog.count({ where: { entity: 'deviceSwaps', entityId: swap.id, action: 'device.swap' } })).to.equal(1);
  });

  it('refuses a claim out of warranty (409) and one with no warranty at all; the claimant cannot decide their own claim (403); a rejection records its reason', async () => {
    const expired = await paidAccountWithDevice(market, backOffice.token, 12);
    await AccountDevice.update({ warrantyExpiry: '2026-01-31' }, { where: { accountId: expired.account.id } });
    const out = await call('post', '/support/warranty-claims', agent.token, { accountId: expired.account.id, issue: 'Panel cracked' });
    expect(out.status).to.equal(409);
    expect(out.body).to.include({ warrantyExpiry: '2026-01-31' });
    expect(out.body.type).to.match(/out-of-warranty/);
    const none = await paidAccountWithDevice(market, backOffice.token, null);
    expect((await call('post', '/support/warranty-claims', agent.token, { accountId: none.account.id, issue: 'Panel cracked' })).status).to.equal(409);
    expect(await WarrantyClaim.count({ where: { accountId: [expired.account.id, none.account.id] } })).to.equal(0);

    // No warranty period on the product: the active policy of its product type (a type of this test's own) covers it.
    const viaPolicy = await paidAccountWithDevice(market, backOffice.token, null);
    const type = await ProductType.create({ name: 'Radio', code: `RADIO-${randomUUID().slice(0, 8)}` });
    await Product.update({ productTypeId: type.id }, { where: { id: viaPolicy.account.productId } });
    const policy = await WarrantyPolicy.create({ name: 'Radios 6 months', durationMonths: 6, productTypeId: type.id });
    const covered = await call('post', '/support/warranty-claims', agent.token, { accountId: viaPolicy.account.id, issue: 'No sound' });
    expect(covered.status, JSON.stringify(covered.body)).to.equal(201);
    expect(covered.body).to.include({ warrantyPolicyId: policy.id, warrantyExpiry: '2027-05-19' });

    const { account } = await paidAccountWithDevice(market, backOffice.token, 24);
    const ticket = await call('post', '/support/tickets', agent.token, { accountId: account.id, category: 'device_fault', subject: 'Radio silent' });
    const own = await call('post', '/support/warranty-claims', backOffice.token, {
      accountId: account.id,
      issue: 'Radio silent',
      supportTicketId: ticket.body.id,
    });
    expect(own.status, JSON.stringify(own.body)).to.equal(201);
    expect(own.body.supportTicketId).to.equal(ticket.body.id);
    const selfApproval = await call('post', `/support/warranty-claims/${own.body.id}/reject`, backOffice.token, { reason: 'customer misuse' });
    expect(selfApproval.status).to.equal(403);
    const rejected = await call('post', `/support/warranty-claims/${own.body.id}/reject`, backOffice2.token, { reason: 'water damage: not covered' });
    expect(rejected.status, JSON.stringify(rejected.body)).to.equal(200);
    expect(rejected.body).to.include({ status: 'rejected', decidedBy: backOffice2.user.employee.id, resolution: 'water damage: not covered' });
    // The decision is an internal comment on the ticket the claim came from.
    const notes = await call('get', `/support/tickets/${ticket.body.id}/comments`, backOffice.token);
    expect(notes.body.data.map((c: { body: string; isInternal: boolean }) => [c.body, c.isInternal])).to.deep.equal([
      [`Warranty claim ${own.body.id} rejected: water damage: not covered`, true],
    ]);
  });

  it('a paid swap books its fee as an account charge (books balanced), replays by Idempotency-Key, and refuses what it must', async () => {
    const { account, device } = await paidAccountWithDevice(market, backOffice.token);
    const warehouse = await createWarehouse(market.region.id);
    const unit = await registerDevice(backOffice.token, account.productId, { warehouseId: warehouse.id });
    const bag = await agentLocation(market.region.id, agent.user.employee.id);
    const carried = await registerDevice(backOffice.token, account.productId, { warehouseId: bag.id });
    const balance = (await Account.findByPk(account.id))!.balance;

    // Bad input names the field; no permission 403; another region 404; a fee without charges:write 403.
    const badFee = await swapOf(backOffice.token, account.id, { newDeviceId: unit.id, reason: 'broken by customer', fee: '-5' });
    expect(badFee.status).to.equal(400);
    expect(badFee.body.errors[0].field).to.equal('fee');
    const noDevice = await swapOf(backOffice.token, account.id, { newDeviceId: 2_000_000_000, reason: 'broken by customer' });
    expect(noDevice.status).to.equal(400);
    expect(noDevice.body.errors[0].field).to.equal('newDeviceId');
    const finance = await loginAs('finance');
    expect((await swapOf(finance.token, account.id, { newDeviceId: unit.id, reason: 'broken by customer' })).status).to.equal(403);
    expect((await swapOf(elsewhere.token, account.id, { newDeviceId: unit.id, reason: 'broken by customer' })).status).to.equal(404);
    expect((await swapOf(agent.token, account.id, { newDeviceId: carried.id, reason: 'broken by customer', fee: '500.00' })).status).to.equal(403);
    // A unit in a warehouse of another region (back office sees every region): not handed out here.
    const farWarehouse = await createWarehouse((await createMarket()).region.id);
    const far = await registerDevice(backOffice.token, account.productId, { warehouseId: farWarehouse.id });
    const elsewhereUnit = await swapOf(backOffice.token, account.id, { newDeviceId: far.id, reason: 'wrong depot' });
    expect(elsewhereUnit.status).to.equal(409);
    expect(elsewhereUnit.body.type).to.match(/device-elsewhere/);
    expect(await DeviceSwap.count({ where: { accountId: account.id } })).to.equal(0);

    const key = randomUUID();
    const paid = await swapOf(backOffice.token, account.id, { newDeviceId: unit.id, reason: 'dropped by customer', fee: '500.00' }, key);
    expect(paid.status, JSON.stringify(paid.body)).to.equal(201);
    expectDeclared(deviceSwapSchema, paid.body);
    expect(paid.body).to.include({ kind: 'paid', oldDeviceId: device.id, newDeviceId: unit.id, fee: '500.00' });
    expect(paid.body.accountChargeId).to.be.a('number');
    const replay = await swapOf(backOffice.token, account.id, { newDeviceId: unit.id, reason: 'dropped by customer', fee: '500.00' }, key);
    expect(replay.status).to.equal(201);
    expect(replay.body).to.deep.equal(paid.body);
    expect(await DeviceSwap.count({ where: { accountId: account.id } })).to.equal(1);

    const after = (await Account.findByPk(account.id))!;
    expect(after.balance).to.equal((Number(balance) + 500).toFixed(2));
    expect(await entryLines('charge', paid.body.accountChargeId)).to.deep.equal([['1200 Dr 500.00', '4300 Cr 500.00']]);
    await expectAccountBooks(account.id, 'after a paid swap');

    // The old unit is in the warehouse now (in repair): it cannot be handed out; the new one is attached: 409 either way.
    expect((await swapOf(backOffice.token, account.id, { newDeviceId: device.id, reason: 'swap back' })).status).to.equal(409);
    expect((await swapOf(backOffice.token, account.id, { newDeviceId: unit.id, reason: 'same unit' })).status).to.equal(409);
    // The agent swaps with a unit they carry, no fee: it leaves their bag, the old one goes into it.
    const field = await swapOf(agent.token, account.id, { newDeviceId: carried.id, reason: 'flicker' });
    expect(field.status, JSON.stringify(field.body)).to.equal(201);
    expect(field.body).to.include({ fromWarehouseId: bag.id, returnWarehouseId: bag.id, oldDeviceId: unit.id, fee: null });
    expect(await level(bag.id, account.productId)).to.equal(1);
    for (const d of [device.id, unit.id, carried.id]) await expectOnePlace(d);
    await expectAccountBooks(account.id, 'after a field swap');
  });

  it('two swaps of one account at once: one wins, the other is a 409; stock and books stay consistent', async () => {
    const { account, device } = await paidAccountWithDevice(market, backOffice.token);
    const warehouse = await createWarehouse(market.region.id);
    const a = await registerDevice(backOffice.token, account.productId, { warehouseId: warehouse.id });
    const b = await registerDevice(backOffice.token, account.productId, { warehouseId: warehouse.id });
    const [r1, r2] = await Promise.all([
      swapOf(backOffice.token, account.id, { newDeviceId: a.id, reason: 'race one', fee: '100.00' }),
      swapOf(backOffice2.token, account.id, { newDeviceId: b.id, reason: 'race two', fee: '100.00' }),
    ]);
    expect([r1.status, r2.status].sort(), JSON.stringify([r1.body, r2.body])).to.deep.equal([201, 409]);
    const winner = r1.status === 201 ? r1.body : r2.body;
    const loser = r1.status === 201 ? b : a;
    expect(await DeviceSwap.count({ where: { accountId: account.id } })).to.equal(1);
    expect(await whereIs(winner.newDeviceId)).to.deep.equal({ warehouseId: null, status: 'activated', activeLinks: [account.id] });
    expect(await whereIs(loser.id)).to.deep.equal({ warehouseId: warehouse.id, status: 'stored', activeLinks: [] });
    expect(await whereIs(device.id)).to.deep.equal({ warehouseId: warehouse.id, status: 'in_repair', activeLinks: [] });
    // Two units in, one out, one back: 2 on hand.
    expect(await level(warehouse.id, account.productId)).to.equal(2);
    for (const d of [device.id, a.id, b.id]) await expectOnePlace(d);
    await expectAccountBooks(account.id, 'after racing swaps');
  });

  it('a paid swap racing a payment and a charge on the same account: all land, the books balance, the new unit holds every day paid for', async () => {
    const { account } = await paidAccountWithDevice(market, backOffice.token);
    const warehouse = await createWarehouse(market.region.id);
    const unit = await registerDevice(backOffice.token, account.productId, { warehouseId: warehouse.id });
    const [swapped, paid, charged] = await Promise.all([
      swapOf(backOffice.token, account.id, { newDeviceId: unit.id, reason: 'race with money', fee: '250.00' }),
      pay(backOffice.token, account.id, '500.00'),
      call(
        'post',
        `/accounts/${account.id}/charges`,
        backOffice2.token,
        { chargeType: 'fee', amount: '75.00', description: 'visit' },
        { 'Idempotency-Key': randomUUID() },
      ),
    ]);
    expect([swapped.status, paid.status, charged.status], JSON.stringify([swapped.body, paid.body, charged.body])).to.deep.equal([201, 201, 201]);
    await expectAccountBooks(account.id, 'after a swap raced a payment and a charge');
    await expectOnePlace(unit.id);
    // 1000.00 + 500.00 at 50.00 a day: 30 days bought; the new unit's newest time token leaves it with what remains of them.
    const a = (await Account.findByPk(account.id))!;
    const left = Math.ceil((a.creditExpiresAt!.getTime() - Date.now()) / 86_400_000);
    expect(left).to.be.within(29, 30);
    const tokens = await DeviceToken.findAll({ where: { deviceId: unit.id }, order: [['tokenCount', 'ASC']] });
    const days = tokens.reduce((d, t) => (t.tokenType === 'SET_TIME' ? t.value : t.tokenType === 'ADD_TIME' ? d + t.value : d), 0);
    expect(days).to.be.within(left - 1, left);
  });
});
