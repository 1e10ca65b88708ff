import { Op, type Transaction } from 'sequelize';
import { addDays, addMonths, type CalendarDate } from '../../platform/dates';
import type { AccountDevice } from '../accounts/models';
import { Product, WarrantyPolicy } from '../catalogue/models';

/** What covers a unit on an account, and until when (null: no warranty at all). */
export interface WarrantyCover {
  /** The last day covered (YYYY-MM-DD), or null when nothing covers the unit. */
  expiry: CalendarDate | null;
  warrantyPolicyId: number | null;
  /** Where the expiry came from: the account device's own warrantyExpiry, the product's warrantyPeriod, a policy, or none. */
  source: 'accountDevice' | 'product' | 'policy' | 'none';
}

/**
 * The warranty months of a product: its own `warrantyPeriod` first, else the active warranty
 * policy of its product type (the newest), else an active policy for every product type.
 */
export async function warrantyMonths(
  productId: number,
  t?: Transaction,
): Promise<{ months: number | null; warrantyPolicyId: number | null; source: 'product' | 'policy' | 'none' }> {
  const product = await Product.findByPk(productId, { attributes: ['id', 'productTypeId', 'warrantyPeriod'], transaction: t });
  if (!product) return { months: null, warrantyPolicyId: null, source: 'none' };
  const typeId = product.productTypeId ?? null;
  const policies = await WarrantyPolicy.findAll({
    where: { isActive: true, [Op.or]: [{ productTypeId: typeId }, { productTypeId: null }] },
    order: [['id', 'DESC']],
    transaction: t,
  });
  // A policy naming the product type wins over a policy for every type.
  const policy = policies.find((p) => p.productTypeId === typeId && typeId !== null) ?? policies.find((p) => p.productTypeId === null) ?? null;
  if (product.warrantyPeriod !== null && product.warrantyPeriod !== undefined && product.warrantyPeriod > 0) {
    return { months: product.warrantyPeriod, warrantyPolicyId: policy?.id ?? null, source: 'product' };
  }
  if (policy) return { months: policy.durationMonths, warrantyPolicyId: policy.id, source: 'policy' };
  return { months: null, warrantyPolicyId: null, source: 'none' };
}

/**
 * A unit's warranty on an account: the link's `warrantyExpiry` when set (a replacement carries
 * the original's), else the installation date plus the product's warranty months (the day before
 * the same date that many months later is the last day covered).
 */
export async function warrantyCover(link: AccountDevice, productId: number, t?: Transaction): Promise<WarrantyCover> {
  const terms = await warrantyMonths(productId, t);
  if (link.warrantyExpiry) return { expiry: link.warrantyExpiry, warrantyPolicyId: terms.warrantyPolicyId, source: 'accountDevice' };
  if (!link.installationDate || terms.months === null) return { expiry: null, warrantyPolicyId: terms.warrantyPolicyId, source: 'none' };
  return { expiry: lastDayCovered(link.installationDate, terms.months), warrantyPolicyId: terms.warrantyPolicyId, source: terms.source };
}

/** The last day covered by `months` of warranty from `from`. */
export function lastDayCovered(from: CalendarDate, months: number): CalendarDate {
  return addDays(addMonths(from, months), -1);
}
