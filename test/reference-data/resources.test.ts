import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type supertest from 'supertest';
import { PriceHistory } from '../../src/modules/catalogue/models';
import { SystemLog } from '../../src/modules/audit/models';
import { api, loginAs } from '../support/app';
import { freshCountryCode } from './helpers';

/**
 * Every reference resource through the one mechanism: create, read, change with If-Match, retire,
 * and each resource's own field rules.
 */
const tag = () => randomUUID().slice(0, 8).toUpperCase();
const fields = (res: supertest.Response) => (res.body.errors ?? []).map((e: { field: string }) => e.field);

describe('reference data: every resource', () => {
  let admin: Record<string, string>;
  let agent: Record<string, string>;
  let adminId: number;
  const ids: Record<string, number> = {};

  async function post(path: string, body: Record<string, unknown>, expected = 201) {
    const res = await (await api()).post(`/api/v1${path}`).set(admin).send(body);
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).to.equal(expected);
    return res;
  }

  before(async () => {
    const bo = await loginAs('back_office');
    admin = { Authorization: `Bearer ${bo.token}` };
    adminId = bo.user.employee.id;
    agent = { Authorization: `Bearer ${(await loginAs('agent')).token}` };
    ids.country = (
      await post('/countries', { name: `Land ${tag()}`, code: await freshCountryCode(), currency: 'KES', phoneCode: '+254', timezone: 'Africa/Nairobi' })
    ).body.id;
    ids.region = (await post('/regions', { name: 'Coast', code: `R-${tag()}`, countryId: ids.country })).body.id;
    ids.otherRegion = (await post('/regions', { name: 'Rift', code: `R-${tag()}`, countryId: ids.country })).body.id;
    ids.area = (await post('/areas', { name: 'Mombasa', code: `A-${tag()}`, regionId: ids.region })).body.id;
    ids.productType = (await post('/product-types', { name: 'Pump', code: `PUMP_${tag()}` })).body.id;
    ids.product = (await post('/products', { name: 'Sun King 200', code: `P-${tag()}`, price: '15000.00', productTypeId: ids.productType })).body.id;
    ids.payplan = (
      await post('/payplans', {
        name: 'Daily 365',
        code: `PP-${tag()}`,
        duration: 365,
        downPayment: '1000.00',
        installmentAmount: '50.00',
        frequency: 'daily',
        daysUntilSuspension: 3,
        dailyRate: '50.00',
      })
    ).body.id;
  });

  /** A valid body per resource, a field to change, and the permission that writes it. */
  const cases: {
    path: string;
    table: string;
    permission: string;
    body: () => Record<string, unknown> | Promise<Record<string, unknown>>;
    change: Record<string, unknown>;
  }[] = [
    {
      path: '/countries',
      table: 'countries',
      permission: 'reference:write',
      body: async () => ({ name: 'Freedonia', code: await freshCountryCode(), currency: 'FRD', phoneCode: '+999', timezone: 'Europe/Paris' }),
      change: { currency: 'EUR' },
    },
    {
      path: '/regions',
      table: 'companyRegions',
      permission: 'reference:write',
      body: () => ({ name: 'North', code: `R-${tag()}`, countryId: ids.country }),
      change: { name: 'Far North' },
    },
    {
      path: '/areas',
      table: 'areas',
      permission: 'reference:write',
      body: () => ({ name: 'Kilifi', code: `A-${tag()}`, regionId: ids.region }),
      change: { name: 'Kilifi town' },
    },
    {
      path: '/warehouses',
      table: 'warehouses',
      permission: 'reference:write',
      body: () => ({ name: 'Depot', code: `W-${tag()}`, regionId: ids.region, areaId: ids.area, capacity: 500 }),
      change: { capacity: 800 },
    },
    {
      path: '/departments',
      table: 'departments',
      permission: 'reference:write',
      body: () => ({ name: 'Logistics', code: `D-${tag()}` }),
      change: { description: 'Trucks and stores' },
    },
    {
      path: '/holidays',
      table: 'holidays',
      permission: 'reference:write',
      body: () => ({
        countryId: ids.country,
        date: `2031-${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')}`,
        name: 'Founders day',
      }),
      change: { name: "Founders' day" },
    },
    {
      path: '/payment-types',
      table: 'paymentTypes',
      permission: 'reference:write',
      body: () => ({ name: 'Wallet', code: `PT-${tag()}` }),
      change: { description: 'A new wallet' },
    },
    {
      path: '/notification-templates',
      table: 'notificationTemplates',
      permission: 'reference:write',
      body: () => ({ code: `promo_${tag().toLowerCase()}`, language: 'sw', channel: 'sms', body: 'Habari {{customerName}}, akaunti {{accountNumber}}' }),
      change: { body: 'Habari {{ customerName }}!' },
    },
    {
      path: '/product-types',
      table: 'productTypes',
      permission: 'catalogue:write',
      body: () => ({ name: 'Fridge', code: `FRIDGE_${tag()}` }),
      change: { description: 'Solar fridges' },
    },
    {
      path: '/products',
      table: 'products',
      permission: 'catalogue:write',
      body: () => ({ name: 'Lamp', code: `P-${tag()}`, price: '2500', productTypeId: ids.productType, category: 'lighting' }),
      change: { price: '2750.50' },
    },
    {
      path: '/payplans',
      table: 'payplans',
      permission: 'catalogue:write',
      body: () => ({
        name: 'Weekly 52',
        code: `PP-${tag()}`,
        duration: 52,
        interestRate: '12.5',
        downPayment: '500.00',
        installmentAmount: '300.00',
        frequency: 'weekly',
        gracePeriodDays: 2,
        daysUntilSuspension: 7,
        dailyRate: '42.86',
        allocationOrder: ['charge', 'installment'],
        countryId: ids.country,
      }),
      change: { gracePeriodDays: 3 },
    },
    {
      path: '/tax-rates',
      table: 'taxRates',
      permission: 'catalogue:write',
      body: () => ({ countryId: ids.country, name: 'VAT', rate: '16', effectiveFrom: '2026-01-01' }),
      change: { effectiveTo: '2026-12-31' },
    },
    {
      path: '/warranty-policies',
      table: 'warrantyPolicies',
      permission: 'catalogue:write',
      body: () => ({ name: 'Two years', durationMonths: 24, productTypeId: ids.productType, terms: 'Parts and labour' }),
      change: { durationMonths: 36 },
    },
    {
      path: '/suppliers',
      table: 'suppliers',
      permission: 'catalogue:write',
      body: () => ({ name: 'Acme Solar', code: `S-${tag()}`, email: 'sales@acme.example', phone: '+254 700 000000', countryId: ids.country }),
      change: { contactName: 'Wanjiru' },
    },
    {
      path: '/device-models',
      table: 'deviceModels',
      permission: 'catalogue:write',
      body: () => ({
        manufacturer: 'Acme',
        name: 'Box 3',
        code: `DM-${tag()}`,
        productTypeId: ids.productType,
        tokenType: 'extended',
        restrictedDigitSet: true,
      }),
      change: { supportsOpenPaygo: false },
    },
  ];

  for (const c of cases) {
    it(`${c.path}: create, get, list, PATCH with If-Match, retire; agents may not write`, async () => {
      const body = await c.body();
      const created = await post(c.path, body);
      const id = created.body.id as number;
      expect(created.headers.location).to.equal(`/api/v1${c.path}/${id}`);
      expect(created.headers.etag).to.equal('"0"');
      expect(created.body).to.include({ isActive: true, version: 0 });

      const got = await (await api()).get(`/api/v1${c.path}/${id}`).set(admin).expect(200);
      expect(got.body).to.deep.equal(created.body);
      const listed = await (await api()).get(`/api/v1${c.path}`).query({ limit: 200, sort: '-id' }).set(admin).expect(200);
      expect(listed.body.data.map((r: { id: number }) => r.id)).to.include(id);

      const unknown = await (
        await api()
      )
        .post(`/api/v1${c.path}`)
        .set(admin)
        .send({ ...(await c.body()), surprise: true });
      expect(unknown.status).to.equal(400);
      expect(fields(unknown)).to.deep.equal(['surprise']);

      expect((await (await api()).patch(`/api/v1${c.path}/${id}`).set(admin).send(c.change)).status).to.equal(428);
      const changed = await (await api()).patch(`/api/v1${c.path}/${id}`).set(admin).set('If-Match', created.headers.etag!).send(c.change).expect(200);
      expect(changed.body.version).to.equal(1);
      expect(changed.headers.etag).to.equal('"1"');
      const stale = await (await api()).patch(`/api/v1${c.path}/${id}`).set(admin).set('If-Match', '"0"').send(c.change);
      expect(stale.status).to.equal(412);

      const asAgent = await (
        await api()
      )
        .post(`/api/v1${c.path}`)
        .set(agent)
        .send(await c.body());
      expect(asAgent.status).to.equal(403);
      expect(asAgent.body.detail).to.contain(c.permission);
      await (await api()).get(`/api/v1${c.path}/${id}`).set(agent).expect(200);

      await (await api()).post(`/api/v1${c.path}/${id}/retire`).set(admin).expect(200);
      const retired = await (await api()).post(`/api/v1${c.path}/${id}/retire`).set(admin).expect(200);
      expect(retired.body).to.include({ isActive: false, version: 2 });
      const after = await (await api()).get(`/api/v1${c.path}`).query({ limit: 200, sort: '-id' }).set(admin).expect(200);
      expect(after.body.data.map((r: { id: number }) => r.id)).not.to.include(id);

      const logs = await SystemLog.findAll({ where: { entity: c.table, entityId: id }, order: [['id', 'ASC']] });
      expect(logs.map((l) => l.action.split('.')[1])).to.deep.equal(['create', 'update', 'retire']);
      expect(logs.every((l) => l.userId === adminId)).to.equal(true);
      expect(logs[1]!.newValues).to.deep.equal(c.change);
      expect(Object.keys(logs[1]!.oldValues ?? {})).to.deep.equal(Object.keys(c.change));
    });
  }

  describe('money and numbers', () => {
    it('money must be a string with at most two decimals; the field is named', async () => {
      const base = { name: 'Lamp', code: `P-${tag()}`, productTypeId: ids.productType };
      const asNumber = await post('/products', { ...base, price: 2500 }, 400);
      expect(fields(asNumber)).to.deep.equal(['price']);
      const threeDp = await post('/products', { ...base, price: '10.005' }, 400);
      expect(fields(threeDp)).to.deep.equal(['price']);
      const negative = await post('/products', { ...base, price: '-1.00' }, 400);
      expect(fields(negative)).to.deep.equal(['price']);
      const zero = await post('/products', { ...base, price: '0' }, 400);
      expect(fields(zero)).to.deep.equal(['price']);
      const ok = await post('/products', { ...base, price: '99' });
      expect(ok.body.price).to.equal('99.00');
    });

    it('payplans refuse an unknown frequency, a zero daily rate and an unknown allocation step', async () => {
      const res = await post(
        '/payplans',
        {
          name: 'Bad',
          code: `PP-${tag()}`,
          duration: 0,
          downPayment: '0',
          installmentAmount: '10',
          frequency: 'fortnightly',
          daysUntilSuspension: 3,
          dailyRate: '1',
          allocationOrder: ['tip'],
        },
        400,
      );
      expect(fields(res)).to.have.members(['duration', 'frequency', 'allocationOrder.0']);
      const zeroRate = await post(
        '/payplans',
        {
          name: 'Free',
          code: `PP-${tag()}`,
          duration: 10,
          downPayment: '0',
          installmentAmount: '10',
          frequency: 'daily',
          daysUntilSuspension: 3,
          dailyRate: '0.00',
        },
        400,
      );
      expect(fields(zeroRate)).to.deep.equal(['dailyRate']);
    });
  });

  describe('pricing (productPayplanPricing)', () => {
    it('one row per product and plan (409 naming both), down payment within the price, product and plan fixed', async () => {
      const body = { productId: ids.product, payplanId: ids.payplan, price: '19250.00', downPayment: '1000.00', installmentAmount: '50.00' };
      const created = await post('/pricing', body);
      const dup = await post('/pricing', body, 409);
      expect(fields(dup)).to.have.members(['productId', 'payplanId']);
      const tooMuchDown = await (await api()).patch(`/api/v1/pricing/${created.body.id}`).set(admin).set('If-Match', '"0"').send({ downPayment: '20000.00' });
      expect(tooMuchDown.status).to.equal(400);
      expect(fields(tooMuchDown)).to.deep.equal(['downPayment']);
      const moveProduct = await (await api()).patch(`/api/v1/pricing/${created.body.id}`).set(admin).set('If-Match', '"0"').send({ productId: ids.product });
      expect(moveProduct.status).to.equal(400);
      expect(fields(moveProduct)).to.deep.equal(['productId']);
      const missing = await post('/pricing', { ...body, payplanId: 999999 }, 400);
      expect(fields(missing)).to.deep.equal(['payplanId']);
      const byProduct = await (await api()).get('/api/v1/pricing').query({ productId: ids.product }).set(agent).expect(200);
      expect(byProduct.body.data.map((r: { id: number }) => r.id)).to.deep.equal([created.body.id]);
    });

    it('price changes of products and of pricing rows are kept in priceHistories, with who and when', async () => {
      const product = (await post('/products', { name: 'Fan', code: `P-${tag()}`, price: '3000.00', productTypeId: ids.productType })).body;
      await (await api()).patch(`/api/v1/products/${product.id}`).set(admin).set('If-Match', '"0"').send({ price: '3200.00' }).expect(200);
      await (await api()).patch(`/api/v1/products/${product.id}`).set(admin).set('If-Match', '"1"').send({ name: 'Fan 2' }).expect(200);
      const pricingRow = (
        await post('/pricing', { productId: product.id, payplanId: ids.payplan, price: '4000.00', downPayment: '400.00', installmentAmount: '10.00' })
      ).body;
      await (await api()).patch(`/api/v1/pricing/${pricingRow.id}`).set(admin).set('If-Match', '"0"').send({ price: '4100.00' }).expect(200);
      const history = await PriceHistory.findAll({ where: { productId: product.id }, order: [['id', 'ASC']] });
      expect(history.map((h) => [h.payplanId, h.oldPrice, h.newPrice, h.changedBy])).to.deep.equal([
        [null, null, '3000.00', adminId],
        [null, '3000.00', '3200.00', adminId],
        [ids.payplan, null, '4000.00', adminId],
        [ids.payplan, '4000.00', '4100.00', adminId],
      ]);
      expect(history[0]!.effectiveDate).to.match(/^\d{4}-\d{2}-\d{2}$/);
    });
  });

  describe('geography', () => {
    it("a warehouse in an area lies in that area's region", async () => {
      const res = await post('/warehouses', { name: 'Wrong', code: `W-${tag()}`, regionId: ids.otherRegion, areaId: ids.area }, 400);
      expect(fields(res)).to.deep.equal(['areaId']);
      const ok = (await post('/warehouses', { name: 'Right', code: `W-${tag()}`, regionId: ids.region })).body;
      const move = await (
        await api()
      )
        .patch(`/api/v1/warehouses/${ok.id}`)
        .set(admin)
        .set('If-Match', '"0"')
        .send({ regionId: ids.otherRegion, areaId: ids.area });
      expect(move.status).to.equal(400);
      expect(fields(move)).to.deep.equal(['areaId']);
    });

    it('holidays: one per country and date (409 naming both), real calendar dates, filter by range', async () => {
      await post('/holidays', { countryId: ids.country, date: '2030-12-25', name: 'Christmas' });
      await post('/holidays', { countryId: ids.country, date: '2030-12-26', name: 'Boxing day' });
      await post('/holidays', { countryId: ids.country, date: '2030-01-01', name: 'New year' });
      const dup = await post('/holidays', { countryId: ids.country, date: '2030-12-25', name: 'Again' }, 409);
      expect(fields(dup)).to.have.members(['countryId', 'date']);
      const bad = await post('/holidays', { countryId: ids.country, date: '2030-02-30', name: 'Nope' }, 400);
      expect(fields(bad)).to.deep.equal(['date']);
      const december = await (
        await api()
      )
        .get('/api/v1/holidays')
        .query({ countryId: ids.country, from: '2030-12-01', to: '2030-12-31', sort: '-date' })
        .set(agent)
        .expect(200);
      expect(december.body.data.map((h: { date: string }) => h.date)).to.deep.equal(['2030-12-26', '2030-12-25']);
    });

    it('a walk sorted on a column with nulls (warehouse capacity) returns every row once, nulls first ascending', async () => {
      const region = (await post('/regions', { name: 'Walk', code: `R-${tag()}`, countryId: ids.country })).body.id;
      const capacities = [null, 10, null, 30, 10, null, 20];
      const made: number[] = [];
      for (const capacity of capacities) made.push((await post('/warehouses', { name: `W ${tag()}`, code: `W-${tag()}`, regionId: region, capacity })).body.id);
      for (const sort of ['capacity', '-capacity', 'capacity,-name']) {
        const seen: { id: number; capacity: number | null }[] = [];
        let cursor: string | null = null;
        do {
          const res: supertest.Response = await (
            await api()
          )
            .get('/api/v1/warehouses')
            .query({ regionId: region, limit: 2, sort, ...(cursor ? { cursor } : {}) })
            .set(agent)
            .expect(200);
          seen.push(...res.body.data);
          cursor = res.body.page.nextCursor;
        } while (cursor);
        expect(seen.map((w) => w.id).sort(), sort).to.deep.equal([...made].sort());
        const caps = seen.map((w) => (w.capacity === null ? -1 : w.capacity));
        const expected = [...caps].sort((a, b) => a - b);
        expect(caps, sort).to.deep.equal(sort.startsWith('-') ? expected.reverse() : expected);
      }
    });
  });

  describe('notification templates', () => {
    it('an e-mail template needs a subject; placeholders must be well formed; code, language and channel are fixed', async () => {
      const code = `welcome_${tag().toLowerCase()}`;
      const noSubject = await post('/notification-templates', { code, language: 'en', channel: 'email', body: 'Hello {{customerName}}' }, 400);
      expect(fields(noSubject)).to.deep.equal(['subject']);
      const broken = await post('/notification-templates', { code, language: 'en', channel: 'sms', body: 'Hello {{customer Name}} {{' }, 400);
      expect(fields(broken)).to.deep.equal(['body']);
      const created = (await post('/notification-templates', { code, language: 'en', channel: 'sms', body: 'Hello {{customerName}}' })).body;
      const dup = await post('/notification-templates', { code, language: 'en', channel: 'sms', body: 'Hi' }, 409);
      expect(fields(dup)).to.have.members(['code', 'language', 'channel']);
      const relabel = await (await api()).patch(`/api/v1/notification-templates/${created.id}`).set(admin).set('If-Match', '"0"').send({ channel: 'email' });
      expect(relabel.status).to.equal(400);
      expect(fields(relabel)).to.deep.equal(['channel']);
      const seeded = await (await api()).get('/api/v1/notification-templates').query({ code: 'payment_received', language: 'sw' }).set(agent).expect(200);
      expect(seeded.body.data).to.have.length(1);
    });
  });

  describe('tax rates', () => {
    it('a rate is a percentage string; effectiveTo may not precede effectiveFrom', async () => {
      const res = await post('/tax-rates', { countryId: ids.country, name: 'VAT', rate: 16, effectiveFrom: '2026-01-01' }, 400);
      expect(fields(res)).to.deep.equal(['rate']);
      const over = await post('/tax-rates', { countryId: ids.country, name: 'VAT', rate: '116', effectiveFrom: '2026-01-01' }, 400);
      expect(fields(over)).to.deep.equal(['rate']);
      const backwards = await post(
        '/tax-rates',
        { countryId: ids.country, name: 'VAT', rate: '16.0000', effectiveFrom: '2026-06-01', effectiveTo: '2026-01-01' },
        400,
      );
      expect(fields(backwards)).to.deep.equal(['effectiveTo']);
      const ok = await post('/tax-rates', { countryId: ids.country, name: 'VAT', rate: '7.5', effectiveFrom: '2026-06-01' });
      expect(ok.body.rate).to.equal('7.5000');
    });
  });
});
