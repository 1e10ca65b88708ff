import Joi from 'joi';
import { PAYPLAN_FREQUENCIES, Payplan, PriceHistory, Product, ProductPayplanPricing, ProductType, TaxRate, WarrantyPolicy } from '../../catalogue/models';
import { DeviceModel, DEVICE_MODEL_TOKEN_TYPES } from '../../devices/models';
import { Supplier } from '../../inventory/models';
import { ALLOCATION_TYPES } from '../../payments/models';
import { Decimal } from '../../../platform/money';
import type { FieldError } from '../../../platform/http/problem';
import { resource, type ResourceBody, type WriteContext } from '../resource';
import { code, dateOnly, email, filter, id, money, name, phone, text } from './fields';

const catalogue = { read: 'catalogue:read', write: 'catalogue:write' };

/** Today's date (UTC) as YYYY-MM-DD: the effective date of a price change made now. */
const today = () => new Date().toISOString().slice(0, 10);

async function recordPrice(productId: number, payplanId: number | null, newPrice: string, changed: string[], ctx: WriteContext): Promise<void> {
  if (!changed.includes('price')) return;
  const oldPrice = ctx.before ? (ctx.before.price as string | null) : null;
  if (oldPrice !== null && oldPrice !== undefined && new Decimal(oldPrice).eq(newPrice)) return;
  await PriceHistory.create(
    { productId, payplanId, oldPrice: oldPrice ?? null, newPrice, changedBy: ctx.principal.employeeId, effectiveDate: today() },
    { transaction: ctx.transaction },
  );
}

const positive = (field: string, value: unknown): FieldError[] =>
  value !== undefined && value !== null && new Decimal(value as string).lte(0) ? [{ field, message: `${field} must be more than 0` }] : [];

export const productTypes = resource({
  name: 'product types',
  singular: 'product type',
  path: '/product-types',
  model: ProductType,
  permissions: catalogue,
  create: Joi.object<ResourceBody<ProductType, 'name' | 'code' | 'description'>, true>({
    name: name().required(),
    code: code().uppercase().required().description('e.g. SOLAR_HOME_SYSTEM'),
    description: text().allow(null, ''),
  }),
  filters: { code: filter.code() },
  sort: ['name', 'code', 'id'],
  search: ['name', 'code'],
});

export const products = resource({
  name: 'products',
  singular: 'product',
  path: '/products',
  model: Product,
  permissions: catalogue,
  create: Joi.object<ResourceBody<Product, 'name' | 'code' | 'description' | 'category' | 'price' | 'productTypeId' | 'warrantyPeriod'>, true>({
    name: name().required(),
    code: code().required(),
    description: text().allow(null, ''),
    category: name(100).allow(null),
    price: money().required().description('List (cash) price; prices on credit are in /pricing'),
    productTypeId: id().required(),
    warrantyPeriod: Joi.number().integer().min(0).max(600).allow(null).description('Months'),
  }),
  filters: { code: filter.code(), productTypeId: filter.id(), category: filter.text(100) },
  sort: ['name', 'code', 'price', 'id'],
  search: ['name', 'code', 'category'],
  description: 'Products sold. A change of price is kept in priceHistories.',
  rules: (next) => positive('price', next.price),
  afterWrite: (row, changed, ctx) => recordPrice(row.id, null, row.price, changed, ctx),
});

const percent = (max: number) =>
  Joi.string()
    .pattern(/^\d{1,3}(\.\d{1,2})?$/)
    .custom((v: string, helpers) => (Number(v) <= max ? v : helpers.message({ custom: `{#label} may be at most ${max}` })))
    .messages({ 'string.pattern.base': '{#label} must be a percentage as a string, e.g. "12.50"' });

export const payplans = resource({
  name: 'payplans',
  singular: 'payplan',
  path: '/payplans',
  model: Payplan,
  permissions: catalogue,
  create: Joi.object<
    ResourceBody<
      Payplan,
      | 'name'
      | 'code'
      | 'description'
      | 'duration'
      | 'interestRate'
      | 'downPayment'
      | 'installmentAmount'
      | 'frequency'
      | 'gracePeriodDays'
      | 'daysUntilSuspension'
      | 'dailyRate'
      | 'allocationOrder'
      | 'earlyPayoffDiscountPercent'
      | 'earlyPayoffDiscountAmount'
      | 'countryId'
    >,
    true
  >({
    name: name().required(),
    code: code().required(),
    description: text().allow(null, ''),
    duration: Joi.number().integer().min(1).max(3660).required().description('Number of instalments after the down payment'),
    interestRate: percent(999.99).description('Percent, e.g. "12.50"; default "0.00"'),
    downPayment: money().required(),
    installmentAmount: money().required(),
    frequency: Joi.string()
      .valid(...PAYPLAN_FREQUENCIES)
      .required(),
    gracePeriodDays: Joi.number().integer().min(0).max(365),
    daysUntilSuspension: Joi.number().integer().min(0).max(365).required(),
    dailyRate: money().required().description('Price of one credit day: days bought = amount / dailyRate'),
    allocationOrder: Joi.array()
      .items(Joi.string().valid(...ALLOCATION_TYPES))
      .unique()
      .min(1)
      .allow(null)
      .description('Order in which a payment settles what is owed; null = the default order'),
    earlyPayoffDiscountPercent: percent(100)
      .allow(null)
      .description('Early-payoff discount: percent of the principal not yet due on the payoff date (docs/contract-changes.md); null = none'),
    earlyPayoffDiscountAmount: money()
      .allow(null)
      .description('Early-payoff discount: a fixed amount, capped at the principal not yet due; null = none. At most one of the two'),
    countryId: id().allow(null).description('Null: offered in every country'),
  }).oxor('earlyPayoffDiscountPercent', 'earlyPayoffDiscountAmount'),
  filters: { code: filter.code(), frequency: Joi.string().valid(...PAYPLAN_FREQUENCIES), countryId: filter.id() },
  sort: ['name', 'code', 'duration', 'id'],
  search: ['name', 'code'],
  rules: (next) => [...positive('installmentAmount', next.installmentAmount), ...positive('dailyRate', next.dailyRate)],
});

export const pricing = resource({
  name: 'pricing',
  singular: 'price',
  path: '/pricing',
  model: ProductPayplanPricing,
  permissions: catalogue,
  create: Joi.object<ResourceBody<ProductPayplanPricing, 'productId' | 'payplanId' | 'price' | 'downPayment' | 'installmentAmount'>, true>({
    productId: id().required(),
    payplanId: id().required(),
    price: money().required().description('Total price on this plan: down payment and every instalment'),
    downPayment: money().required(),
    installmentAmount: money().required(),
  }),
  immutable: ['productId', 'payplanId'],
  filters: { productId: filter.id(), payplanId: filter.id() },
  sort: ['id', 'price'],
  description: 'Which plans a product may be sold on, and at what price (productPayplanPricing). A change of price is kept in priceHistories.',
  rules: (next) => {
    const errors = [...positive('price', next.price), ...positive('installmentAmount', next.installmentAmount)];
    if (next.price !== undefined && next.downPayment !== undefined && new Decimal(next.downPayment as string).gt(next.price as string)) {
      errors.push({ field: 'downPayment', message: 'downPayment may not exceed price' });
    }
    return errors;
  },
  afterWrite: (row, changed, ctx) => recordPrice(row.productId, row.payplanId, row.price, changed, ctx),
});

export const taxRates = resource({
  name: 'tax rates',
  singular: 'tax rate',
  path: '/tax-rates',
  model: TaxRate,
  permissions: catalogue,
  create: Joi.object<ResourceBody<TaxRate, 'countryId' | 'name' | 'rate' | 'effectiveFrom' | 'effectiveTo'>, true>({
    countryId: id().required(),
    name: name(100).required(),
    rate: Joi.string()
      .pattern(/^\d{1,3}(\.\d{1,4})?$/)
      .custom((v: string, helpers) => (Number(v) <= 100 ? v : helpers.message({ custom: '{#label} may be at most 100' })))
      .required()
      .messages({ 'string.pattern.base': '{#label} must be a percentage as a string, e.g. "16.0000"' }),
    effectiveFrom: dateOnly().required(),
    effectiveTo: dateOnly().allow(null).description('Null: open-ended'),
  }),
  filters: { countryId: filter.id() },
  sort: ['effectiveFrom', 'name', 'id'],
  search: ['name'],
  rules: (next) =>
    next.effectiveTo && next.effectiveFrom && String(next.effectiveTo) < String(next.effectiveFrom)
      ? [{ field: 'effectiveTo', message: 'effectiveTo may not be before effectiveFrom' }]
      : [],
});

export const warrantyPolicies = resource({
  name: 'warranty policies',
  singular: 'warranty policy',
  path: '/warranty-policies',
  model: WarrantyPolicy,
  permissions: catalogue,
  create: Joi.object<ResourceBody<WarrantyPolicy, 'name' | 'durationMonths' | 'terms' | 'productTypeId'>, true>({
    name: name().required(),
    durationMonths: Joi.number().integer().min(1).max(600).required(),
    terms: text(20000).allow(null, ''),
    productTypeId: id().allow(null).description('Null: every product type'),
  }),
  filters: { productTypeId: filter.id() },
  sort: ['name', 'durationMonths', 'id'],
  search: ['name'],
});

export const suppliers = resource({
  name: 'suppliers',
  singular: 'supplier',
  path: '/suppliers',
  model: Supplier,
  permissions: catalogue,
  create: Joi.object<ResourceBody<Supplier, 'name' | 'code' | 'contactName' | 'email' | 'phone' | 'address' | 'countryId'>, true>({
    name: name().required(),
    code: code().required(),
    contactName: name().allow(null),
    email: email().allow(null),
    phone: phone().allow(null),
    address: text(2000).allow(null, ''),
    countryId: id().allow(null),
  }),
  filters: { code: filter.code(), countryId: filter.id() },
  sort: ['name', 'code', 'id'],
  search: ['name', 'code', 'contactName'],
});

export const deviceModels = resource({
  name: 'device models',
  singular: 'device model',
  path: '/device-models',
  model: DeviceModel,
  permissions: catalogue,
  create: Joi.object<
    ResourceBody<DeviceModel, 'manufacturer' | 'name' | 'code' | 'productTypeId' | 'supportsOpenPaygo' | 'tokenType' | 'restrictedDigitSet'>,
    true
  >({
    manufacturer: name().required(),
    name: name().required(),
    code: code().required(),
    productTypeId: id().allow(null),
    supportsOpenPaygo: Joi.boolean(),
    tokenType: Joi.string()
      .valid(...DEVICE_MODEL_TOKEN_TYPES)
      .description('OpenPAYGO Token flavour the firmware speaks; default standard'),
    restrictedDigitSet: Joi.boolean().description('Keypad limited to digits 1-4'),
  }),
  filters: { code: filter.code(), productTypeId: filter.id(), manufacturer: filter.text(), supportsOpenPaygo: filter.bool() },
  sort: ['name', 'manufacturer', 'code', 'id'],
  search: ['name', 'manufacturer', 'code'],
});
