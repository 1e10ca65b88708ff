import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Op } from 'sequelize';
import { Permission, Role, RolePermission } from '../../src/modules/access/models';
import { Account, AccountCharge, InstallmentSchedule } from '../../src/modules/accounts/models';
import { Decimal } from '../../src/platform/money';
import { api, loginAs, testRuntime } from '../support/app';

/**
 * Helpers of the lending tests (reversals, refunds, write-offs, charges, statements): API calls
 * with the right headers, and snapshots of an account's whole state to compare before and after.
 */
export type Client = Awaited<ReturnType<typeof api>>;

export async function call(method: 'get' | 'post' | 'patch', path: string, token: string | undefined, body?: object, headers: Record<string, string> = {}) {
  const client = await api();
  let req = client[method](`/api/v1${path}`);
  if (token) req = req.set('Authorization', `Bearer ${token}`);
  for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
  return body === undefined ? req : req.send(body);
}

export async function pay(token: string, accountId: number, amount: string) {
  return call(
    'post',
    '/payments',
    token,
    { accountId, amount, paymentType: 'MPESA', channel: 'mobile_money', transactionRef: `TX${randomUUID().slice(0, 12)}` },
    { 'Idempotency-Key': randomUUID() },
  );
}

/** A role of its own with exactly these permissions (no regions:all), and an employee of it in `regionIds`. */
export async function loginWithPermissions(permissions: string[], regionIds: number[]): Promise<{ token: string; employeeId: number }> {
  await testRuntime();
  const role = await Role.create({ name: `regional_${randomUUID().slice(0, 8)}`, description: 'test role' });
  const perms = await Permission.findAll({ where: { code: { [Op.in]: permissions } } });
  expect(perms.length, 'all permissions exist').to.equal(permissions.length);
  await RolePermission.bulkCreate(perms.map((p) => ({ roleId: role.id, permissionId: p.id })));
  const { user, token } = await loginAs(role.name, { regionIds });
  return { token, employeeId: user.employee.id };
}

/** Everything a money change may touch on an account, to compare before and after. */
export async function accountState(accountId: number) {
  const [a, installments, charges] = await Promise.all([
    Account.findByPk(accountId),
    InstallmentSchedule.findAll({ where: { accountId }, order: [['installmentNumber', 'ASC']] }),
    AccountCharge.findAll({ where: { accountId }, order: [['id', 'ASC']] }),
  ]);
  return {
    account: { balance: a!.balance, creditBalance: a!.creditBalance, daysPastDue: a!.daysPastDue, parBucket: a!.parBucket, status: a!.status },
    installments: installments.map((i) => ({ n: i.installmentNumber, paidAmount: i.paidAmount, status: i.status, paidDate: i.paidDate })),
    charges: charges.map((c) => ({ id: c.id, paidAmount: c.paidAmount, status: c.status })),
  };
}

/** balance = what open instalments and charges still owe (the sub-ledger agrees with its items). */
export async function expectBalanceMatchesItems(accountId: number): Promise<void> {
  const s = await accountState(accountId);
  const installments = await InstallmentSchedule.findAll({ where: { accountId } });
  const charges = await AccountCharge.findAll({ where: { accountId } });
  let owed = new Decimal(0);
  // Waived and superseded lines owe nothing (a schedule change re-issued what a superseded one owed).
  for (const i of installments)
    if (i.status !== 'waived' && i.status !== 'superseded') owed = owed.plus(Decimal.max(new Decimal(i.amount).minus(i.paidAmount), 0));
  for (const c of charges) if (c.status !== 'waived') owed = owed.plus(Decimal.max(new Decimal(c.amount).minus(c.paidAmount), 0));
  expect(owed.toFixed(2), `balance of account ${accountId} vs its open items`).to.equal(s.account.balance);
}

/** Journal lines of the entries a source posted, as 'code Dr|Cr amount' strings. */
export async function entryLines(sourceType: string, sourceId: number): Promise<string[][]> {
  const { sequelize } = await testRuntime();
  const [rows] = await sequelize.query(
    `SELECT e.id, la.code, l.debit, l.credit FROM journalEntries e JOIN journalLines l ON l.journalEntryId = e.id
       JOIN ledgerAccounts la ON la.id = l.ledgerAccountId WHERE e.sourceType = ? AND e.sourceId = ? ORDER BY e.id, l.id`,
    { replacements: [sourceType, sourceId] },
  );
  const byEntry = new Map<number, string[]>();
  for (const r of rows as { id: number; code: string; debit: string; credit: string }[]) {
    const line = new Decimal(r.debit).greaterThan(0) ? `${r.code} Dr ${new Decimal(r.debit).toFixed(2)}` : `${r.code} Cr ${new Decimal(r.credit).toFixed(2)}`;
    byEntry.set(r.id, [...(byEntry.get(r.id) ?? []), line]);
  }
  return [...byEntry.values()];
}
