import { Op, type Sequelize, type Transaction } from 'sequelize';
import { inRegionScope } from '../../platform/auth/principal';
import { withTransaction } from '../../platform/db/transaction';
import { type Paged, pageOf } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString } from '../../platform/money';
import { canTransition, transition } from '../accounts/lifecycle';
import { Account, AccountCharge, InstallmentSchedule } from '../accounts/models';
import { audit } from '../audit/audit';
import { integrations } from '../integrations/outbox';
import { LEDGER } from '../ledger/chart';
import { postEntry } from '../ledger/journal.service';
import {
  decisionListWhere,
  refuseOwnRequest,
  rejectPending,
  type Decider,
  type InboxAfter,
  type PendingItem,
  pendingInScope,
} from '../../platform/approvals/kit';
import type { ScopedActor } from '../../platform/auth/actor';
import { lockAccount, owedByItems, preparedAccount, settleAccount } from '../accounts/settlement';
import { Writeoff, type WriteoffStatus } from './models';

export function writeoffView(w: Writeoff) {
  return {
    id: w.id,
    accountId: w.accountId,
    amount: w.amount,
    reason: w.reason,
    status: w.status,
    requestedBy: w.requestedBy,
    approvedBy: w.approvedBy,
    decidedAt: w.decidedAt ? w.decidedAt.toISOString() : null,
    rejectionReason: w.rejectionReason,
    writeoffDate: w.writeoffDate,
    journalEntryId: w.journalEntryId,
    createdAt: w.createdAt.toISOString(),
  };
}

function checkWritable(account: Account): void {
  if (!canTransition(account.status, 'written_off')) {
    throw problems.conflict(`An account that is ${account.status} cannot be written off.`, 'illegal-transition', { from: account.status, to: 'written_off' });
  }
  if (!new Decimal(account.balance).greaterThan(0)) throw problems.conflict('This account owes nothing; there is nothing to write off.', 'nothing-owed');
}

/**
 * The request of a write-off of an account the caller has locked (`lockAccount`, same
 * transaction): what POST /accounts/:id/writeoff does, and what a recorded repossession asks for
 * what remains owed (repossession.service.ts). Another employee approves it.
 */
export async function requestWriteoff(account: Account, actor: ScopedActor, reason: string, t: Transaction): Promise<Writeoff> {
  checkWritable(account);
  const pending = await Writeoff.findOne({ where: { accountId: account.id, status: 'pending' }, attributes: ['id'], transaction: t });
  if (pending) throw problems.conflict('A write-off of this account is already waiting for approval.', 'writeoff-pending', { writeoffId: pending.id });
  const w = await Writeoff.create({ accountId: account.id, amount: account.balance, reason, requestedBy: actor.employeeId }, { transaction: t });
  await audit.record(t, { actor, action: 'writeoff.request', entity: 'writeoffs', entityId: w.id, after: { accountId: account.id, amount: w.amount, reason } });
  return w;
}

/**
 * Write-offs, maker-checker. Approval gives up the whole outstanding balance: Dr 5200 bad-debt
 * expense / Cr 1200 loans receivable; open instalments and charges become waived, the balance 0,
 * and the account written_off (from closed it is a 409). Money received later is a recovery
 * (payment posting credits 4500). The amount requested is the balance then; the amount approved
 * is the balance at approval, and the row keeps that one.
 */
export class WriteoffService {
  constructor(private readonly sequelize: Sequelize) {}

  private async visibleWriteoff(actor: ScopedActor, id: number): Promise<Writeoff> {
    const w = await Writeoff.findByPk(id, { include: [{ model: Account, as: 'account', attributes: ['id', 'regionId'] }] });
    if (!w || !inRegionScope(actor.scope, w.account!.regionId)) throw problems.notFound('write-off');
    return w;
  }

  async get(actor: ScopedActor, id: number): Promise<Writeoff> {
    return this.visibleWriteoff(actor, id);
  }

  async list(
    actor: ScopedActor,
    q: { status?: WriteoffStatus; requestedBy?: number; accountId?: number; limit: number; cursor?: string },
  ): Promise<Paged<Writeoff>> {
    const where = decisionListWhere(q);
    if (q.accountId) where.push({ accountId: q.accountId });
    const rows = await Writeoff.findAll({
      where: { [Op.and]: where },
      include: [
        {
          model: Account,
          as: 'account',
          attributes: ['id', 'regionId'],
          where: actor.scope.all ? undefined : { regionId: { [Op.in]: [...actor.scope.regionIds] } },
        },
      ],
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  /** Pending write-offs the decider may decide (the approvals inbox): in scope, not their own. */
  async pending(decider: Decider, after: InboxAfter | undefined, limit: number): Promise<PendingItem[]> {
    const rows = await pendingInScope(Writeoff, { model: Account, as: 'account', attributes: ['id', 'regionId'] }, decider, after, limit);
    return rows.map((w) => ({
      id: w.id,
      amount: w.amount,
      requestedBy: w.requestedBy,
      requestedAt: w.createdAt,
      regionId: w.account!.regionId,
      accountId: w.accountId,
      employeeId: null,
    }));
  }

  private checkWritable(account: Account): void {
    checkWritable(account);
  }

  async request(actor: ScopedActor, accountId: number, reason: string): Promise<Writeoff> {
    const visible = await Account.findByPk(accountId, { attributes: ['id', 'regionId'] });
    if (!visible || !inRegionScope(actor.scope, visible.regionId)) throw problems.notFound('account');
    return withTransaction(this.sequelize, async (t) => requestWriteoff(await lockAccount(accountId, t), actor, reason, t));
  }

  async approve(actor: ScopedActor, id: number): Promise<Writeoff> {
    const visible = await this.visibleWriteoff(actor, id);
    refuseOwnRequest(visible.requestedBy, actor, 'write-off');
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(visible.accountId, t);
      const w = (await Writeoff.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      if (w.status !== 'pending') throw problems.conflict(`This write-off is already ${w.status}.`, 'already-decided', { currentStatus: w.status });
      this.checkWritable(account);
      const { calendar, payplan } = await preparedAccount(account, t);
      const businessDate = calendar.businessDate;
      const amount = new Decimal(account.balance);
      const owed = await owedByItems(account.id, t);
      if (!owed.equals(amount)) throw new Error(`account ${account.id}: balance ${amount.toFixed(2)} differs from what its items owe (${owed.toFixed(2)})`);

      await InstallmentSchedule.update(
        { status: 'waived' },
        { where: { accountId: account.id, status: { [Op.in]: ['pending', 'partial', 'overdue'] } }, transaction: t },
      );
      await AccountCharge.update({ status: 'waived' }, { where: { accountId: account.id, status: { [Op.in]: ['pending', 'partial'] } }, transaction: t });
      account.balance = '0.00';
      await transition(account, 'written_off', { by: actor.employeeId, businessDate, reason: `written off: ${w.reason}`.slice(0, 255) }, t);
      await settleAccount(account, payplan, businessDate, { by: actor.employeeId, reason: 'write-off' }, t);
      await account.save({ transaction: t });
      const entry = await postEntry(
        {
          businessDate,
          countryId: calendar.countryId,
          description: `Write-off of ${account.accountNumber}`,
          sourceType: 'writeoff',
          sourceId: w.id,
          accountId: account.id,
          currency: calendar.currency,
          createdBy: actor.employeeId,
          lines: [
            { ledger: LEDGER.badDebtExpense, debit: toMoneyString(amount) },
            { ledger: LEDGER.loansReceivable, credit: toMoneyString(amount), accountId: account.id },
          ],
        },
        t,
      );
      await w.update(
        {
          status: 'approved',
          approvedBy: actor.employeeId,
          decidedAt: new Date(),
          amount: toMoneyString(amount),
          writeoffDate: businessDate,
          journalEntryId: entry.id,
        },
        { transaction: t },
      );
      await integrations.enqueue(t, {
        aggregate: 'account',
        id: account.id,
        event: 'account.written_off',
        payload: { accountId: account.id, writeoffId: w.id, amount: toMoneyString(amount), journalEntryId: entry.id, businessDate },
      });
      await audit.record(t, {
        actor,
        action: 'writeoff.approve',
        entity: 'writeoffs',
        entityId: w.id,
        before: { status: 'pending' },
        after: { status: 'approved', amount: toMoneyString(amount), journalEntryId: entry.id },
      });
      return w;
    });
  }

  async reject(actor: ScopedActor, id: number, reason: string): Promise<Writeoff> {
    const visible = await this.visibleWriteoff(actor, id);
    return rejectPending(this.sequelize, audit, {
      model: Writeoff,
      id,
      what: 'write-off',
      requestedBy: visible.requestedBy,
      actor,
      reason,
      action: 'writeoff.reject',
      lockFirst: (t) => lockAccount(visible.accountId, t),
    });
  }
}
