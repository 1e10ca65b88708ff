import { Op, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import type { EmployeeActor, ScopedActor } from '../../platform/auth/actor';
import { inRegionScope, regionWhere } from '../../platform/auth/principal';
import { refuseOwnRequest, fourEyesRefusal } from '../../platform/approvals/kit';
import type { AppContext } from '../../platform/context';
import { dataCrypto, type DataCrypto } from '../../platform/crypto';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, pageOf, type Paged } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import type { Logger } from '../../platform/logging/logger';
import { Account, AccountDevice } from '../accounts/models';
import { lockAccount, preparedAccount } from '../accounts/settlement';
import { audit } from '../audit/audit';
import { Device } from '../devices/models';
import { calendarOfRegion } from '../organisation/business-date';
import { SupportTicket, TicketComment, WarrantyClaim, type WarrantyClaimStatus } from './models';
import { swapOnLocked, type SwapResult } from './swap.service';
import { warrantyCover } from './warranty-policy';

export const WARRANTY_DECIDE = 'warranty:decide';

export interface ClaimInput {
  accountId: number;
  deviceId?: number;
  supportTicketId?: number;
  issue: string;
}

export interface ApproveClaimInput {
  replacementDeviceId: number;
  resolution?: string;
}

export interface ClaimListQuery {
  status?: WarrantyClaimStatus;
  accountId?: number;
  limit: number;
  cursor?: string;
}

export function claimView(c: WarrantyClaim, extra: { warrantyExpiry?: string | null } = {}) {
  return {
    id: c.id,
    accountId: c.accountId,
    deviceId: c.deviceId,
    warrantyPolicyId: c.warrantyPolicyId ?? null,
    supportTicketId: c.supportTicketId ?? null,
    issue: c.issue,
    status: c.status,
    submittedBy: c.submittedBy ?? null,
    decidedBy: c.decidedBy ?? null,
    decidedAt: c.decidedAt ? c.decidedAt.toISOString() : null,
    resolution: c.resolution ?? null,
    replacementDeviceId: c.replacementDeviceId ?? null,
    deviceSwapId: c.deviceSwapId ?? null,
    warrantyExpiry: extra.warrantyExpiry ?? null,
    createdAt: c.createdAt.toISOString(),
  };
}

/**
 * Warranty claims (docs/support.md): submitted for an account's unit while its warranty runs
 * (the account device's warrantyExpiry, else installation date + the product's warranty months);
 * out of warranty a claim is refused (409). Another employee holding warranty:decide approves it,
 * which swaps the unit for a replacement in the same transaction (free: no charge), or rejects it.
 */
export class WarrantyService {
  private readonly sequelize: Sequelize;
  private readonly deps: { crypto: DataCrypto; logger: Logger };

  constructor(ctx: Pick<AppContext, 'sequelize' | 'config' | 'logger'>) {
    this.sequelize = ctx.sequelize;
    this.deps = { crypto: dataCrypto(ctx.config.dataEncryptionKey), logger: ctx.logger };
  }

  private async visible(actor: ScopedActor, id: number): Promise<{ claim: WarrantyClaim; account: Account }> {
    const claim = await WarrantyClaim.findByPk(id);
    const account = claim ? await Account.findByPk(claim.accountId, { attributes: ['id', 'regionId'] }) : null;
    if (!claim || !account || !inRegionScope(actor.scope, account.regionId)) throw problems.notFound('warranty claim');
    return { claim, account };
  }

  async get(actor: ScopedActor, id: number): Promise<WarrantyClaim> {
    return (await this.visible(actor, id)).claim;
  }

  async list(actor: ScopedActor, q: ClaimListQuery): Promise<Paged<WarrantyClaim>> {
    const where: WhereOptions[] = [];
    if (q.status) where.push({ status: q.status });
    if (q.accountId) where.push({ accountId: q.accountId });
    if (q.cursor) where.push({ id: { [Op.lt]: decodeIdCursor(q.cursor) } });
    const rows = await WarrantyClaim.findAll({
      where: { [Op.and]: where },
      include: [{ model: Account, as: 'account', attributes: ['id', 'regionId'], where: regionWhere(actor.scope) }],
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  async submit(actor: EmployeeActor, input: ClaimInput): Promise<{ claim: WarrantyClaim; warrantyExpiry: string }> {
    const account = await Account.findByPk(input.accountId, { attributes: ['id', 'regionId', 'productId', 'customerId'] });
    if (!account || !inRegionScope(actor.scope, account.regionId)) throw problems.notFound('account');
    if (input.supportTicketId !== undefined) {
      const ticket = await SupportTicket.findByPk(input.supportTicketId, { attributes: ['id', 'customerId', 'accountId'] });
      if (!ticket || ticket.customerId !== account.customerId || (ticket.accountId !== null && ticket.accountId !== account.id)) {
        throw problems.validation([{ field: 'supportTicketId', in: 'body', message: "no ticket of this account's customer" }]);
      }
    }
    const calendar = await calendarOfRegion(account.regionId);
    return withTransaction(this.sequelize, async (t) => {
      // The account first (the order of every writer of an account), then its device links.
      await lockAccount(account.id, t);
      const links = await AccountDevice.findAll({ where: { accountId: account.id, status: 'active' }, order: [['id', 'ASC']], transaction: t });
      const link = input.deviceId !== undefined ? links.find((l) => l.deviceId === input.deviceId) : links.length === 1 ? links[0] : undefined;
      if (!link) {
        throw problems.validation([
          {
            field: 'deviceId',
            in: 'body',
            message:
              input.deviceId !== undefined
                ? 'not a device attached to this account'
                : links.length
                  ? 'the account has several devices: name one'
                  : 'the account has no device attached',
          },
        ]);
      }
      const device = (await Device.findByPk(link.deviceId, { attributes: ['id', 'productId'], transaction: t }))!;
      const cover = await warrantyCover(link, device.productId, t);
      if (!cover.expiry) throw problems.conflict('No warranty covers this unit (no warranty period for its product).', 'no-warranty');
      if (calendar.businessDate > cover.expiry) {
        throw problems.conflict(`The warranty of this unit ended on ${cover.expiry}.`, 'out-of-warranty', {
          warrantyExpiry: cover.expiry,
          businessDate: calendar.businessDate,
        });
      }
      const open = await WarrantyClaim.count({ where: { deviceId: device.id, status: 'submitted' }, transaction: t });
      if (open) throw problems.conflict('A claim for this unit is already waiting for a decision.', 'claim-pending');
      const claim = await WarrantyClaim.create(
        {
          accountId: account.id,
          deviceId: device.id,
          warrantyPolicyId: cover.warrantyPolicyId,
          supportTicketId: input.supportTicketId ?? null,
          issue: input.issue,
          status: 'submitted',
          submittedBy: actor.employeeId,
        },
        { transaction: t },
      );
      await audit.record(t, {
        actor,
        action: 'warrantyClaim.submit',
        entity: 'warrantyClaims',
        entityId: claim.id,
        before: null,
        after: { accountId: account.id, deviceId: device.id, warrantyExpiry: cover.expiry, source: cover.source, supportTicketId: claim.supportTicketId },
      });
      return { claim, warrantyExpiry: cover.expiry };
    });
  }

  /** Approved by another employee: the unit is swapped for `replacementDeviceId` (free) in the same transaction; the claim ends 'replaced'. */
  async approve(actor: EmployeeActor, id: number, input: ApproveClaimInput): Promise<{ claim: WarrantyClaim } & SwapResult> {
    const { claim: seen, account: head } = await this.visible(actor, id);
    refuseOwnRequest(seen.submittedBy ?? null, actor, 'warranty claim', 'You submitted this warranty claim; another employee must decide it.');
    if (!(await Device.count({ where: { id: input.replacementDeviceId } }))) {
      throw problems.validation([{ field: 'replacementDeviceId', in: 'body', message: 'no such device' }]);
    }
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(head.id, t);
      const claim = (await WarrantyClaim.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      if (claim.status !== 'submitted') throw problems.conflict(`This claim is already ${claim.status}.`, 'claim-decided', { status: claim.status });
      await preparedAccount(account, t);
      // The replacement's existence was checked above (400 replacementDeviceId); the swap's other refusals are 409s.
      const result = await swapOnLocked(
        this.deps,
        account,
        actor,
        'warranty',
        { oldDeviceId: claim.deviceId, newDeviceId: input.replacementDeviceId, reason: `warranty claim ${claim.id}` },
        t,
      );
      await claim
        .update(
          {
            status: 'replaced',
            decidedBy: actor.employeeId,
            decidedAt: new Date(),
            resolution: input.resolution ?? 'replaced under warranty',
            replacementDeviceId: input.replacementDeviceId,
            deviceSwapId: result.swap.id,
          },
          { transaction: t },
        )
        .catch(fourEyesRefusal('You submitted this warranty claim; another employee must decide it.'));
      await this.noteOnTicket(
        claim,
        actor,
        `Warranty claim ${claim.id} approved: unit ${claim.deviceId} replaced by ${input.replacementDeviceId} (swap ${result.swap.id}).`,
        t,
      );
      await audit.record(t, {
        actor,
        action: 'warrantyClaim.approve',
        entity: 'warrantyClaims',
        entityId: claim.id,
        before: { status: 'submitted' },
        after: { status: 'replaced', replacementDeviceId: input.replacementDeviceId, deviceSwapId: result.swap.id },
      });
      return { claim, ...result };
    });
  }

  async reject(actor: EmployeeActor, id: number, reason: string): Promise<WarrantyClaim> {
    const { claim: seen } = await this.visible(actor, id);
    refuseOwnRequest(seen.submittedBy ?? null, actor, 'warranty claim', 'You submitted this warranty claim; another employee must decide it.');
    return withTransaction(this.sequelize, async (t) => {
      const claim = (await WarrantyClaim.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      if (claim.status !== 'submitted') throw problems.conflict(`This claim is already ${claim.status}.`, 'claim-decided', { status: claim.status });
      await claim
        .update({ status: 'rejected', decidedBy: actor.employeeId, decidedAt: new Date(), resolution: reason }, { transaction: t })
        .catch(fourEyesRefusal('You submitted this warranty claim; another employee must decide it.'));
      await this.noteOnTicket(claim, actor, `Warranty claim ${claim.id} rejected: ${reason}`, t);
      await audit.record(t, {
        actor,
        action: 'warrantyClaim.reject',
        entity: 'warrantyClaims',
        entityId: claim.id,
        before: { status: 'submitted' },
        after: { status: 'rejected', reason },
      });
      return claim;
    });
  }

  /** The decision, as an internal comment on the ticket the claim came from (if any). */
  private async noteOnTicket(claim: WarrantyClaim, actor: EmployeeActor, body: string, t: Transaction): Promise<void> {
    if (!claim.supportTicketId) return;
    await TicketComment.create({ supportTicketId: claim.supportTicketId, authorId: actor.employeeId, body, isInternal: true }, { transaction: t });
  }
}
