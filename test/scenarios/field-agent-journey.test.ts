import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Op } from 'sequelize';
import { Account, AccountDevice } from '../../src/modules/accounts/models';
import { FieldVisit, FieldVisitPhoto } from '../../src/modules/collections/models';
import { CustomerDocument, KycCheck } from '../../src/modules/customers/models';
import { Device, DeviceToken } from '../../src/modules/devices/models';
import { spacedToken } from '../../src/modules/devices/tokens';
import { StockMovement } from '../../src/modules/inventory/models';
import { Notification } from '../../src/modules/notifications/models';
import { Warehouse } from '../../src/modules/organisation/reference.models';
import { SETTLE_SECONDS } from '../../src/modules/change-feed/change-feed.service';
import { api, freshIp, loginAs } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { testEnv } from '../support/env';
import { createMarket, createPlan, type Market } from '../support/lending';
import { call, pay } from '../lending/support';
import { createDeviceModel, decodeOnDevice } from '../devices/support';
import { createSupplier, createWarehouse, level, newUnit, orderedPurchaseOrder, receiveUnits } from '../inventory/support';

/**
 * Issue 14, "How it will be checked": an operator creates an agent with the CLI, that agent logs in,
 * receives stock, onboards and sells, installs with photos and GPS, and the customer gets a token,
 * all through the API; the agent's change feed shows it and an agent of another region sees none of it.
 */

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'amt.cjs');

function runAmt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 120_000, env: testEnv() }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('an ID card, front')]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('a selfie')]);
const PHOTO = { reference: 'photos/2026/11/20/roof.jpg', mimeType: 'image/jpeg', sizeBytes: 120_000, sha256: 'cd'.repeat(32), caption: 'panel on the roof' };

interface Page {
  customers: { id: number; regionId: number; kycStatus?: string }[];
  accounts: { id: number; regionId: number; balance: string; customerId: number }[];
  payments: { id: number; regionId: number; accountId: number }[];
  tokens: { id: number; accountId?: number }[];
  collectionCases: { id: number }[];
  repossessions: { id: number }[];
  deleted: { entityType: string; id: number }[];
  next: string;
  hasMore: boolean;
}

/** Every page of the agent's feed from `since` (none: a first sync). */
async function drain(token: string, since?: string): Promise<{ pages: Page[]; next: string }> {
  const pages: Page[] = [];
  let cursor = since;
  for (;;) {
    const res = await (
      await api()
    )
      .get('/api/v1/sync/changes')
      .set('Authorization', `Bearer ${token}`)
      .query({ limit: 500, ...(cursor ? { since: cursor } : {}) });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const page = res.body as Page;
    pages.push(page);
    cursor = page.next;
    if (!page.hasMore) return { pages, next: cursor };
  }
}

function keysOf(pages: Page[]): string[] {
  return [
    ...new Set(
      pages.flatMap((p) => [
        ...p.customers.map((c) => `customer:${c.id}`),
        ...p.accounts.map((a) => `account:${a.id}`),
        ...p.payments.map((x) => `payment:${x.id}`),
        ...p.tokens.map((x) => `token:${x.id}`),
        ...p.collectionCases.map((x) => `collectionCase:${x.id}`),
        ...p.repossessions.map((x) => `repossession:${x.id}`),
      ]),
    ),
  ].sort();
}

/** Changes are handed out once settled. */
const settle = () => sleep(SETTLE_SECONDS * 1000 + 150);

describe('scenario (issue 14): a field agent from the CLI to the customer’s first token and the change feed', function () {
  this.timeout(240_000);
  let market: Market;
  let elsewhere: Market;

  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    elsewhere = await createMarket({ businessDate: '2026-11-20' });
  });

  it('CLI agent -> login -> stock received -> customer onboarded and KYC-approved -> sale -> installation -> token; feeds per region', async () => {
    // 1. The operator creates the agent with the CLI; the agent sets a password with the one-time token and logs in.
    const email = `journey.${randomUUID().slice(0, 8)}@field.amt`;
    const created = await runAmt(['staff:create', '--email', email, '--role', 'agent', '--regions', market.region.code, '--name', 'Achieng Odhiambo']);
    expect(created.code, created.stderr).to.equal(0);
    const agentId = Number(/employee (\d+) /.exec(created.stdout)?.[1]);
    const resetToken = /token .*: ([A-Za-z0-9_-]{43})$/m.exec(created.stdout)?.[1];
    expect(agentId).to.be.greaterThan(0);
    expect(resetToken, created.stdout).to.be.a('string');
    const noPasswordYet = await (await api()).post('/api/v1/auth/login').set('X-Forwarded-For', freshIp()).send({ email, password: 'Lantern-Over-Kisumu-7' });
    expect(noPasswordYet.status).to.equal(401);
    await (await api()).post('/api/v1/auth/password-reset').send({ token: resetToken, newPassword: 'Lantern-Over-Kisumu-7' }).expect(204);
    const login = await (await api()).post('/api/v1/auth/login').set('X-Forwarded-For', freshIp()).send({ email, password: 'Lantern-Over-Kisumu-7' });
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    const agent = login.body.accessToken as string;
    const me = await call('get', '/auth/me', agent);
    expect(me.body.regions.map((r: { code: string }) => r.code)).to.deep.equal([market.region.code]);

    const { token: backOffice } = await loginAs('back_office');
    const { token: checker } = await loginAs('back_office');
    const { token: admin } = await loginAs('admin');
    const farAgent = (await loginAs('agent', { regionIds: [elsewhere.region.id] })).token;
    const farSince = (await drain(farAgent)).next;

    // 2. Stock: a purchase order received into a warehouse, sent to the agent, received by the agent.
    const { product, payplan } = await createPlan({ price: '10000.00', downPayment: '1000.00', duration: 10, frequency: 'weekly' });
    const model = await createDeviceModel();
    const [supplier, warehouse] = await Promise.all([createSupplier(), createWarehouse(market.region.id)]);
    const po = await orderedPurchaseOrder(backOffice, {
      supplierId: supplier.id,
      warehouseId: warehouse.id,
      productId: product.id,
      deviceModelId: model.id,
      quantity: 2,
      unitCost: '4500.00',
    });
    const units = [newUnit(), newUnit()];
    const deviceIds = await receiveUnits(backOffice, po, units);
    expect(deviceIds).to.have.length(2);
    expect(await level(warehouse.id, product.id)).to.equal(2);
    const sent = await call('post', '/stock-transfers', backOffice, { fromWarehouseId: warehouse.id, toEmployeeId: agentId, deviceIds });
    expect(sent.status, JSON.stringify(sent.body)).to.equal(201);
    expect(await level(warehouse.id, product.id)).to.equal(0);
    const incoming = await call('get', '/my-stock', agent);
    expect(incoming.body.incoming.map((t: { id: number }) => t.id)).to.deep.equal([sent.body.id]);
    const received = await call('post', `/my-stock/transfers/${sent.body.id}/receive`, agent);
    expect(received.status, JSON.stringify(received.body)).to.equal(200);
    const van = (await Warehouse.findOne({ where: { employeeId: agentId } }))!;
    expect(await level(van.id, product.id)).to.equal(2);
    const myStock = await call('get', '/my-stock', agent);
    expect(myStock.body.devices.map((d: { id: number }) => d.id).sort()).to.deep.equal([...deviceIds].sort());
    for (const id of deviceIds) expect((await Device.findByPk(id))!.warehouseId, `device ${id} is in the agent's stock`).to.equal(van.id);

    // 3. The agent onboards the customer and uploads the KYC documents; back office (not the uploader) approves.
    const phone = `+2547${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const customer = await call('post', '/customers', agent, {
      firstName: 'Atieno',
      lastName: 'Were',
      phone,
      nationalId: `ID ${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`,
      regionId: market.region.id,
    });
    expect(customer.status, JSON.stringify(customer.body)).to.equal(201);
    const customerId = customer.body.id as number;
    expect(customer.body.kycStatus).to.equal('pending');
    const upload = async (documentType: string, bytes: Buffer, filename: string) =>
      (await api())
        .post(`/api/v1/customers/${customerId}/documents`)
        .set('Authorization', `Bearer ${agent}`)
        .field('documentType', documentType)
        .attach('file', bytes, { filename, contentType: 'application/octet-stream' });
    const front = await upload('id_front', JPEG, 'front.jpg');
    expect(front.status, JSON.stringify(front.body)).to.equal(201);
    expect(front.body).to.include({ mimeType: 'image/jpeg', uploadedBy: agentId, checksum: createHash('sha256').update(JPEG).digest('hex') });
    const selfie = await upload('selfie', PNG, 'selfie.png');
    expect(selfie.status, JSON.stringify(selfie.body)).to.equal(201);
    expect(selfie.body.mimeType).to.equal('image/png');
    expect(await CustomerDocument.count({ where: { customerId } })).to.equal(2);
    // The uploader cannot decide it, and agents have no KYC permission at all.
    expect((await call('post', `/customers/${customerId}/kyc`, agent, { decision: 'verified' })).status).to.equal(403);
    const approved = await call('post', `/customers/${customerId}/kyc`, checker, { decision: 'verified' });
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    expect(approved.body.kycStatus).to.equal('verified');
    expect(await KycCheck.count({ where: { customerId } })).to.equal(1);
    // Another region's agent cannot see the customer.
    expect((await call('get', `/customers/${customerId}`, farAgent)).status).to.equal(404);

    // 4. The sale: an account by the agent, the down payment collected.
    const sale = await call('post', '/accounts', agent, { customerId, productId: product.id, payplanId: payplan.id });
    expect(sale.status, JSON.stringify(sale.body)).to.equal(201);
    const accountId = sale.body.id as number;
    expect(sale.body).to.include({ agentId, customerId, status: 'pending' });
    expect(sale.body.balance).to.equal('10000.00');
    const down = await pay(admin, accountId, '1000.00');
    expect(down.status, JSON.stringify(down.body)).to.equal(201);
    expect((await Account.findByPk(accountId))!.balance).to.equal('9000.00');
    await expectAccountBooks(accountId, 'after the down payment');

    // 5. Installation by the agent, from their own stock, with GPS and photos: the first token.
    const installed = await call('post', `/accounts/${accountId}/installation`, agent, {
      deviceId: deviceIds[0],
      latitude: -0.0917,
      longitude: 34.768,
      photos: [PHOTO, { reference: 'photos/2026/11/20/meter.png', mimeType: 'image/png' }],
      notes: 'installed by the south window',
    });
    expect(installed.status, JSON.stringify(installed.body)).to.equal(201);
    expect(installed.body.accountDevice).to.include({ accountId, deviceId: deviceIds[0], status: 'active', installationDate: '2026-11-20' });
    expect(installed.body.device).to.include({ status: 'activated', warehouseId: null });
    expect(installed.body.token).to.include({ tokenType: 'SET_TIME', tokenCount: 1 });
    const days = installed.body.token.value as number;
    expect(days).to.be.greaterThan(0);
    const unit = units.find((u) => u.serialNumber === installed.body.device.serialNumber)!;
    expect(decodeOnDevice({ id: deviceIds[0]!, ...unit, key: unit.openpaygoSecretKey }, installed.body.token.token, 0)).to.include({
      status: 'VALID',
      type: 'SET_TIME',
      value: days,
    });
    const visit = (await FieldVisit.findByPk(installed.body.fieldVisit.id))!;
    expect(visit).to.include({ employeeId: agentId, accountId, customerId, purpose: 'installation', latitude: '-0.0917000', longitude: '34.7680000' });
    expect(await FieldVisitPhoto.count({ where: { fieldVisitId: visit.id } })).to.equal(2);
    // The unit left the agent's stock (one place: the customer's account), the other is still there.
    expect(await level(van.id, product.id)).to.equal(1);
    expect((await call('get', '/my-stock', agent)).body.devices.map((d: { id: number }) => d.id)).to.deep.equal([deviceIds[1]]);
    expect(await AccountDevice.count({ where: { deviceId: deviceIds[0], status: 'active' } })).to.equal(1);
    const trail = await StockMovement.findAll({ where: { deviceId: deviceIds[0] }, order: [['id', 'ASC']] });
    expect(trail.map((m) => [m.movementType, m.warehouseId, m.quantity])).to.deep.equal([
      ['receipt', warehouse.id, 1],
      ['transfer_out', warehouse.id, -1],
      ['transfer_in', van.id, 1],
      ['sale', van.id, -1],
    ]);
    const firstToken = (await DeviceToken.findAll({ where: { accountId } })).map((t) => t.get({ plain: true }));
    expect(firstToken.map((t) => [t.deviceId, t.tokenType, t.value, t.tokenCount])).to.deep.equal([[deviceIds[0], 'SET_TIME', days, 1]]);

    // 6. The agent's feed: the customer, the account, the payment and the token; none of it reaches the other region.
    await settle();
    const mine = await drain(agent);
    const keys = keysOf(mine.pages);
    // The region is the agent's alone: the whole working set is this one sale.
    expect(keys).to.deep.equal([`customer:${customerId}`, `account:${accountId}`, `payment:${down.body.payment.id}`, `token:${firstToken[0]!.id}`].sort());
    const account = mine.pages.flatMap((p) => p.accounts).find((a) => a.id === accountId)!;
    expect(account.balance).to.equal('9000.00');
    expect(mine.pages.flatMap((p) => p.customers).find((c) => c.id === customerId)!.kycStatus).to.equal('verified');
    const regions = mine.pages.flatMap((p) => [...p.customers, ...p.accounts, ...p.payments].map((x) => x.regionId));
    expect([...new Set(regions)]).to.deep.equal([market.region.id]);
    const far = await drain(farAgent, farSince);
    const farKeys = keysOf(far.pages);
    for (const k of keys) expect(farKeys, `${k} is not in the other region's feed`).to.not.include(k);
    expect(keysOf((await drain(farAgent)).pages).filter((k) => keys.includes(k))).to.deep.equal([]);

    // 7. A payment: the customer gets the new token by SMS; the incremental sync returns just that change.
    await settle();
    const since = (await drain(agent, mine.next)).next;
    const weekly = await pay(admin, accountId, '900.00');
    expect(weekly.status, JSON.stringify(weekly.body)).to.equal(201);
    expect(weekly.body.account.balance).to.equal('8100.00');
    const tokens = await DeviceToken.findAll({ where: { accountId }, order: [['tokenCount', 'ASC']] });
    expect(tokens).to.have.length(2);
    const addTime = tokens[1]!;
    expect(addTime).to.include({ deviceId: deviceIds[0], paymentId: weekly.body.payment.id, tokenCount: 2 });
    const sms = await Notification.findAll({ where: { accountId, templateCode: 'payment_received' }, order: [['id', 'ASC']] });
    const forWeekly = sms.find((n) => n.dedupeKey === `payment_received:${weekly.body.payment.id}`)!;
    expect(forWeekly, 'an SMS for the payment').to.not.equal(undefined);
    expect(forWeekly).to.include({ channel: 'sms', recipient: phone, customerId });
    expect(forWeekly.body, 'the SMS carries the new token').to.contain(spacedToken(addTime.token));
    await expectAccountBooks(accountId, 'after the weekly payment');

    await settle();
    const incremental = await drain(agent, since);
    expect(keysOf(incremental.pages)).to.deep.equal([`account:${accountId}`, `payment:${weekly.body.payment.id}`, `token:${addTime.id}`].sort());
    expect(incremental.pages.flatMap((p) => p.accounts).find((a) => a.id === accountId)!.balance).to.equal('8100.00');
    expect(keysOf((await drain(farAgent, far.next)).pages)).to.deep.equal([]);
    expect(await Notification.count({ where: { accountId, recipient: { [Op.ne]: phone } } })).to.equal(0);
    expect((await call('get', `/accounts/${accountId}`, farAgent)).status, "another region's account").to.equal(404);

    // 8. The agent leaves: deactivated, their token is refused at once; their customer and account stay.
    const deactivated = await call('post', `/employees/${agentId}/deactivate`, admin, { reason: 'left the company' });
    expect(deactivated.status, JSON.stringify(deactivated.body)).to.equal(200);
    expect((await call('get', '/sync/changes', agent)).status).to.equal(401);
    expect((await call('get', '/my-stock', agent)).status).to.equal(401);
    const relogin = await (await api()).post('/api/v1/auth/login').set('X-Forwarded-For', freshIp()).send({ email, password: 'Lantern-Over-Kisumu-7' });
    expect(relogin.status).to.equal(401);
    expect((await Account.findByPk(accountId))!).to.include({ agentId, customerId, balance: '8100.00' });
  });
});
