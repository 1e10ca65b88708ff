import type { Sequelize, Transaction } from 'sequelize';
import { inRegionScope } from '../../platform/auth/principal';
import type { CalendarDate } from '../../platform/dates';
import { withTransaction } from '../../platform/db/transaction';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { integrations } from '../integrations/outbox';
import { LEDGER } from '../ledger/chart';
import { postEntry } from '../ledger/journal.service';
import type { ScopedActor } from '../../platform/auth/actor';
import { lockAccount, preparedAccount, settleAccount } from './settlement';
import { Account, AccountCharge, type AccountChargeType, type AccountStatus } from './models';

export interface RaiseChargeInput {
  chargeType: AccountChargeType;
  amount: MoneyString;
  description: string;
  dueDate?: CalendarDate;
}

/** Accounts a fee or penalty may be raised on: not once the contract has ended. */
const CHARGEABLE: readonly AccountStatus[] = ['pending', 'active', 'suspended', 'repossessed'];

const INCOME = { fee: LEDGER.feeIncome, penalty: LEDGER.penaltyIncome } as const;

export function chargeView(c: AccountCharge) {
  return {
    id: c.id,
    accountId: c.accountId,
    chargeType: c.chargeType,
    description: c.description,
    amount: c.amount,
    paidAmount: c.paidAmount,
    status: c.status,
    dueDate: c.dueDate,
    businessDate: c.businessDate,
    createdBy: c.createdBy,
  };
}

/**
 * Raises a charge on an account the caller has locked (lockAccount, in the caller's transaction;
 * its status already checked): the charge row, the balance, Dr 1200 / Cr income, the outbox row.
 * For writers that raise a fee as part of a larger change (a paid device swap).
 */
export async function raiseChargeOnLocked(
  account: Account,
  input: RaiseChargeInput,
  actor: { employeeId: number | null },
  t: Transaction,
): Promise<AccountCharge> {
  const amount = new Decimal(input.amount);
  const accountId = account.id;
  const { calendar, payplan } = await preparedAccount(account, t);
  const businessDate = calendar.businessDate;
  const charge = await AccountCharge.create(
    {
      accountId,
      chargeType: input.chargeType,
      description: input.description,
      amount: toMoneyString(amount),
      dueDate: input.dueDate ?? businessDate,
      businessDate,
      createdBy: actor.employeeId,
    },
    { transaction: t },
  );
  account.balance = toMoneyString(new Decimal(account.balance).plus(amount));
  await settleAccount(account, payplan, businessDate, { by: actor.employeeId, reason: `${input.chargeType} raised` }, t);
  await account.save({ transaction: t });
  const entry = await postEntry(
    {
      businessDate,
      countryId: calendar.countryId,
      description: `${input.chargeType === 'fee' ? 'Fee' : 'Penalty'} on ${account.accountNumber}: ${input.description}`,
      sourceType: 'charge',
      sourceId: charge.id,
      accountId,
      currency: calendar.currency,
      createdBy: actor.employeeId,
      lines: [
        { ledger: LEDGER.loansReceivable, debit: toMoneyString(amount), accountId },
        { ledger: INCOME[input.chargeType], credit: toMoneyString(amount) },
      ],
    },
    t,
  );
  await integrations.enqueue(t, {
    aggregate: 'account',
    id: accountId,
    event: 'account.charge_raised',
    payload: { accountId, chargeId: charge.id, chargeType: input.chargeType, amount: charge.amount, journalEntryId: entry.id, businessDate },
  });
  return charge;
}

export interface ChargeHooks {
  /** Runs inside the transaction, just before commit (the idempotent response). */
  beforeCommit?(result: { charge: AccountCharge; account: Account }, t: Transaction): Promise<void>;
}

/**
 * Fees and penalties on an account. Raising one books it (Dr 1200 / Cr 4300 fee income or 4400
 * penalty income) and raises the balance; payments settle charges first (allocation.ts). Waiving
 * one reverses its unpaid part (Dr 4300/4400 / Cr 1200) and lowers the balance.
 */
export class ChargeService {
  constructor(private readonly sequelize: Sequelize) {}

  private async visibleAccount(actor: ScopedActor, accountId: number): Promise<void> {
    const a = await Account.findByPk(accountId, { attributes: ['id', 'regionId'] });
    if (!a || !inRegionScope(actor.scope, a.regionId)) throw problems.notFound('account');
  }

  async list(actor: ScopedActor, accountId: number): Promise<AccountCharge[]> {
    await this.visibleAccount(actor, accountId);
    return AccountCharge.findAll({ where: { accountId }, order: [['id', 'ASC']] });
  }

  async raise(actor: ScopedActor, accountId: number, input: RaiseChargeInput, hooks: ChargeHooks = {}): Promise<{ charge: AccountCharge; account: Account }> {
    const amount = new Decimal(input.amount);
    if (amount.lessThanOrEqualTo(0)) throw problems.validation([{ field: 'amount', in: 'body', message: 'amount must be positive' }]);
    await this.visibleAccount(actor, accountId);
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(accountId, t);
      if (!CHARGEABLE.includes(account.status)) {
        throw problems.conflict(`No charge can be raised on an account that is ${account.status}.`, 'account-not-chargeable', {
          currentStatus: account.status,
        });
      }
      const charge = await raiseChargeOnLocked(account, input, actor, t);
      const result = { charge, account };
      await hooks.beforeCommit?.(result, t);
      return result;
    });
  }

  async waive(actor: ScopedActor, accountId: number, chargeId: number, reason?: string): Promise<{ charge: AccountCharge; account: Account }> {
    await this.visibleAccount(actor, accountId);
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(accountId, t);
      const charge = await AccountCharge.findOne({ where: { id: chargeId, accountId }, transaction: t });
      if (!charge) throw problems.notFound('charge');
      if (charge.status !== 'pending' && charge.status !== 'partial') {
        throw problems.conflict(`A charge that is ${charge.status} cannot be waived.`, 'charge-not-open', { currentStatus: charge.status });
      }
      const { calendar, payplan } = await preparedAccount(account, t);
      const businessDate = calendar.businessDate;
      const unpaid = new Decimal(charge.amount).minus(charge.paidAmount);
      await charge.update({ status: 'waived' }, { transaction: t });
      account.balance = toMoneyString(new Decimal(account.balance).minus(unpaid));
      await settleAccount(account, payplan, businessDate, { by: actor.employeeId, reason: `${charge.chargeType} waived` }, t);
      await account.save({ transaction: t });
      const entry = await postEntry(
        {
          businessDate,
          countryId: calendar.countryId,
          description: `${charge.chargeType === 'fee' ? 'Fee' : 'Penalty'} ${charge.id} waived on ${account.accountNumber}${reason ? `: ${reason}` : ''}`,
          sourceType: 'charge_waiver',
          sourceId: charge.id,
          accountId,
          currency: calendar.currency,
          createdBy: actor.employeeId,
          lines: [
            { ledger: INCOME[charge.chargeType], debit: toMoneyString(unpaid) },
            { ledger: LEDGER.loansReceivable, credit: toMoneyString(unpaid), accountId },
          ],
        },
        t,
      );
      await integrations.enqueue(t, {
        aggregate: 'account',
        id: accountId,
        event: 'account.charge_waived',
        payload: { accountId, chargeId: charge.id, waived: toMoneyString(unpaid), journalEntryId: entry.id, businessDate, reason: reason ?? null },
      });
      return { charge, account };
    });
  }
}
