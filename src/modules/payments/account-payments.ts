import { Op } from 'sequelize';
import type { RegionScope } from '../../platform/auth/principal';
import { decodeIdCursor, pageOf } from '../../platform/http/pagination';
import type { AccountPageQuery, AccountService } from '../accounts/account.service';
import { Payment } from './models';
import { paymentView } from './views';

/**
 * An account's payments, oldest first, a page at a time (keyset on id): GET /accounts/:id/payments.
 * Payments sit above accounts, so the list is theirs; whether the caller may see the account is
 * accounts' answer (AccountService.visible: another region's account is a 404).
 */
export async function accountPayments(accounts: AccountService, scope: RegionScope, id: number, q: AccountPageQuery) {
  await accounts.visible(scope, id);
  const rows = await Payment.findAll({
    where: { accountId: id, ...(q.cursor ? { id: { [Op.gt]: decodeIdCursor(q.cursor) } } : {}) },
    order: [['id', 'ASC']],
    limit: q.limit + 1,
  });
  const page = pageOf(rows, q.limit, (last) => [last.id]);
  return { data: page.data.map(paymentView), page: page.page };
}
