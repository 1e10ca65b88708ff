import { Op, type Sequelize, type Transaction } from 'sequelize';
import {
  decisionListWhere,
  fourEyesRefusal,
  refuseOwnRequest,
  rejectPending,
  type Decider,
  type InboxAfter,
  type PendingItem,
  pendingInScope,
} from '../../platform/approvals/kit';
import type { ScopedActor } from '../../platform/auth/actor';
import { inRegionScope, regionWhere } from '../../platform/auth/principal';
import { withTransaction } from '../../platform/db/transaction';
import { type Paged, pageOf } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import type { Logger } from '../../platform/logging/logger';
import { Account, AccountTransfer, type AccountStatus, type AccountTransferStatus } from '../accounts/models';
import { lockAccount } from '../accounts/settlement';
import { audit } from '../audit/audit';
import { Customer } from '../customers/models';
import { integrations } from '../integrations/outbox';
import { enqueueNotification, NotificationError } from '../notifications/outbox';

/** Accounts whose owner may change: a contract still running (or not yet started). */
const TRANSFERABLE: readonly AccountStatus[] = ['pending', 'active', 'suspended'];

/** The SMS the new owner gets on approval (seeders/20261208300300-notification-template-account-transferred.js). */
export const TRANSFER_TEMPLATE = 'account_transferred';

export function transferView(x: AccountTransfer) {
  return {
    id: x.id,
    accountId: x.accountId,
    fromCustomerId: x.fromCustomerId,
    toCustomerId: x.toCustomerId,
    reason: x.reason ?? null,
    status: x.status ?? 'pending',
    requestedBy: x.requestedBy,
    approvedBy: x.approvedBy ?? null,
    decidedAt: x.decidedAt ? x.decidedAt.toISOString() : null,
    rejectionReason: x.rejectionReason ?? null,
    transferredAt: x.transferredAt ? x.transferredAt.toISOString() : null,
    createdAt: x.createdAt.toISOString(),
  };
}

export interface TransferRequest {
  toCustomerId: number;
  reason: string;
}

function checkTransferable(account: Account): void {
  if (!TRANSFERABLE.includes(account.status)) {
    throw problems.conflict(`An account that is ${account.status} cannot change owner.`, 'account-not-transferable', { currentStatus: account.status });
  }
}

function checkVerified(customer: Customer): void {
  if (customer.kycStatus !== 'verified') {
    throw problems.conflict('The new owner must be KYC-verified first.', 'customer-not-verified', { customerId: customer.id, kycStatus: customer.kycStatus });
  }
}

/**
 * Ownership transfers (docs/contract-changes.md, "Ownership transfer"), maker-checker: one
 * employee requests the move of an account to another customer, another approves or rejects it.
 * On approval the account's customerId changes; the account keeps its number, schedule, payments,
 * charges, devices and ledger lines (they hang off the account, not the customer), so the payment
 * history stays with it. Each step locks the account row first, then the transfer row.
 */
export class AccountTransferService {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly logger?: Logger,
  ) {}

  private async visibleAccount(actor: ScopedActor, accountId: number): Promise<Account> {
    const a = await Account.findByPk(accountId, { attributes: ['id', 'regionId'] });
    if (!a || !inRegionScope(actor.scope, a.regionId)) throw problems.notFound('account');
    return a;
  }

  private async visibleTransfer(actor: ScopedActor, id: number): Promise<AccountTransfer> {
    const x = await AccountTransfer.findByPk(id, { include: [{ model: Account, as: 'account', attributes: ['id', 'regionId'] }] });
    if (!x || !inRegionScope(actor.scope, x.account!.regionId)) throw problems.notFound('account transfer');
    return x;
  }

  /** The target customer as the caller may see it: another region's (or no such) customer is a 404. */
  private async visibleCustomer(actor: ScopedActor, id: number, t: Transaction): Promise<Customer> {
    const c = await Customer.findByPk(id, { transaction: t });
    if (!c || !inRegionScope(actor.scope, c.regionId)) throw problems.notFound('customer');
    return c;
  }

  async get(actor: ScopedActor, id: number): Promise<AccountTransfer> {
    return this.visibleTransfer(actor, id);
  }

  async listOfAccount(actor: ScopedActor, accountId: number): Promise<AccountTransfer[]> {
    await this.visibleAccount(actor, accountId);
    return AccountTransfer.findAll({ where: { accountId }, order: [['id', 'ASC']] });
  }

  async list(actor: ScopedActor, q: { status?: AccountTransferStatus; requestedBy?: number; limit: number; cursor?: string }): Promise<Paged<AccountTransfer>> {
    const rows = await AccountTransfer.findAll({
      where: { [Op.and]: decisionListWhere(q) },
      include: [{ model: Account, as: 'account', attributes: ['id', 'regionId'], where: regionWhere(actor.scope) }],
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  async request(actor: ScopedActor, accountId: number, input: TransferRequest): Promise<AccountTransfer> {
    await this.visibleAccount(actor, accountId);
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(accountId, t);
      checkTransferable(account);
      const to = await this.visibleCustomer(actor, input.toCustomerId, t);
      if (to.id === account.customerId) throw problems.conflict('The account already belongs to this customer.', 'same-owner', { customerId: to.id });
      checkVerified(to);
      const pending = await AccountTransfer.findOne({ where: { accountId, status: 'pending' }, attributes: ['id'], transaction: t });
      if (pending) throw problems.conflict('A transfer of this account is already waiting for a decision.', 'transfer-pending', { transferId: pending.id });
      const x = await AccountTransfer.create(
        { accountId, fromCustomerId: account.customerId, toCustomerId: to.id, reason: input.reason, requestedBy: actor.employeeId },
        { transaction: t },
      );
      await audit.record(t, {
        actor,
        action: 'account_transfer.request',
        entity: 'accountTransfers',
        entityId: x.id,
        after: { accountId, fromCustomerId: account.customerId, toCustomerId: to.id, reason: input.reason },
      });
      return x;
    });
  }

  /** Pending transfers the decider may decide (the approvals inbox): in scope, not their own. */
  async pending(decider: Decider, after: InboxAfter | undefined, limit: number): Promise<PendingItem[]> {
    const rows = await pendingInScope(AccountTransfer, { model: Account, as: 'account', attributes: ['id', 'regionId', 'balance'] }, decider, after, limit);
    return rows.map((x) => ({
      id: x.id,
      amount: x.account!.balance,
      requestedBy: x.requestedBy,
      requestedAt: x.createdAt,
      regionId: x.account!.regionId,
      accountId: x.accountId,
      employeeId: null,
    }));
  }

  /** The decision's row, locked after the account (every money path's first lock), and still pending. */
  private async lockedPending(id: number, t: Transaction): Promise<AccountTransfer> {
    const x = (await AccountTransfer.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
    if (x.status !== 'pending') throw problems.conflict(`This transfer is already ${x.status}.`, 'already-decided', { currentStatus: x.status });
    return x;
  }

  async approve(actor: ScopedActor, id: number): Promise<AccountTransfer> {
    const visible = await this.visibleTransfer(actor, id);
    refuseOwnRequest(visible.requestedBy, actor, 'transfer');
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(visible.accountId, t);
      const x = await this.lockedPending(id, t);
      checkTransferable(account);
      if (account.customerId !== x.fromCustomerId) {
        throw problems.conflict('The account changed owner since this transfer was requested.', 'owner-changed', { customerId: account.customerId });
      }
      const to = await this.visibleCustomer(actor, x.toCustomerId, t);
      checkVerified(to);
      const now = new Date();
      await x
        .update({ status: 'approved', approvedBy: actor.employeeId, decidedAt: now, transferredAt: now }, { transaction: t })
        .catch(fourEyesRefusal('You requested this transfer; another employee must approve it (maker-checker).'));
      await Account.update({ customerId: to.id }, { where: { id: account.id }, transaction: t });
      await audit.record(t, {
        actor,
        action: 'account_transfer.approve',
        entity: 'accounts',
        entityId: account.id,
        before: { customerId: x.fromCustomerId },
        after: { customerId: to.id, transferId: x.id },
      });
      await integrations.enqueue(t, {
        aggregate: 'account',
        id: account.id,
        event: 'account.transferred',
        payload: { accountId: account.id, transferId: x.id, fromCustomerId: x.fromCustomerId, toCustomerId: to.id },
      });
      await this.notifyNewOwner(account, to, x, t);
      return x;
    });
  }

  /** The new owner's SMS; a missing template is logged and does not undo the transfer (no write happened). */
  private async notifyNewOwner(account: Account, to: Customer, x: AccountTransfer, t: Transaction): Promise<void> {
    try {
      await enqueueNotification(
        {
          customerId: to.id,
          accountId: account.id,
          channel: 'sms',
          recipient: to.phone,
          templateCode: TRANSFER_TEMPLATE,
          language: to.preferredLanguage,
          variables: { customerName: to.firstName, accountNumber: account.accountNumber },
          dedupeKey: `account_transferred:${x.id}`,
        },
        t,
      );
    } catch (err) {
      if (!(err instanceof NotificationError)) throw err;
      this.logger?.warn({ transferId: x.id, err: err.message }, 'account transfer: new owner not notified');
    }
  }

  async reject(actor: ScopedActor, id: number, reason: string): Promise<AccountTransfer> {
    const visible = await this.visibleTransfer(actor, id);
    return rejectPending(this.sequelize, audit, {
      model: AccountTransfer,
      id,
      what: 'transfer',
      requestedBy: visible.requestedBy,
      actor,
      reason,
      action: 'account_transfer.reject',
      lockFirst: (t) => lockAccount(visible.accountId, t),
    });
  }
}
