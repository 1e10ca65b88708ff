import { Op, QueryTypes, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import type { EmployeeActor, ScopedActor } from '../../platform/auth/actor';
import { inRegionScope, regionWhere } from '../../platform/auth/principal';
import type { AppContext } from '../../platform/context';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, pageOf, type Paged } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import type { JobQueue } from '../../platform/queue';
import { Employee, EmployeeRegion } from '../access/models';
import { Account, AccountDevice } from '../accounts/models';
import { audit } from '../audit/audit';
import { Customer } from '../customers/models';
import { DeviceService } from '../devices/device.service';
import { nextNumber } from '../organisation/number-sequences';
import { SystemSetting } from '../organisation/reference.models';
import { SupportTicket, TicketComment, type TicketCategory, type TicketChannel, type TicketPriority, type TicketStatus } from './models';

export const SUPPORT_WRITE = 'support:write';
/** Internal comments: only holders see or write them (agents see what is meant for the customer). */
export const SUPPORT_INTERNAL = 'support:internal';

/** Hours from opening to the SLA due time, per category; systemSettings `support.sla` overrides any of them. */
export const DEFAULT_SLA_HOURS: Record<TicketCategory, number> = {
  token_not_working: 8,
  payment_not_credited: 24,
  device_fault: 72,
  billing_question: 48,
  complaint: 48,
};
export const SLA_SETTING = 'support.sla';

/** A ticket still being worked: its SLA can run out. */
export const OPEN_STATUSES: readonly TicketStatus[] = ['open', 'pending', 'in_progress'];

/**
 * The state machine: open -> in_progress -> resolved -> closed; resolved or closed -> open
 * (reopen). 'pending' (rows from before in_progress existed) moves like in_progress.
 */
const NEXT: Record<TicketStatus, readonly TicketStatus[]> = {
  open: ['in_progress'],
  in_progress: ['resolved'],
  pending: ['in_progress', 'resolved'],
  resolved: ['closed', 'open'],
  closed: ['open'],
};

export interface OpenTicketInput {
  customerId?: number;
  accountId?: number;
  deviceId?: number;
  category: TicketCategory;
  subject: string;
  description?: string;
  priority?: TicketPriority;
  channel?: TicketChannel;
  assignedTo?: number;
}

export interface UpdateTicketInput {
  status?: TicketStatus;
  priority?: TicketPriority;
  assignedTo?: number | null;
  resolution?: string;
}

export interface TicketListQuery {
  status?: TicketStatus;
  category?: TicketCategory;
  assignedTo?: number;
  accountId?: number;
  customerId?: number;
  overdue?: boolean;
  limit: number;
  cursor?: string;
}

export function ticketView(s: SupportTicket, now = new Date()) {
  return {
    id: s.id,
    ticketNumber: s.ticketNumber,
    customerId: s.customerId,
    accountId: s.accountId ?? null,
    deviceId: s.deviceId ?? null,
    category: s.category,
    subject: s.subject,
    description: s.description ?? null,
    status: s.status,
    priority: s.priority,
    channel: s.channel,
    assignedTo: s.assignedTo ?? null,
    assignedAt: s.assignedAt ? s.assignedAt.toISOString() : null,
    openedBy: s.openedBy ?? null,
    slaDueAt: s.slaDueAt ? s.slaDueAt.toISOString() : null,
    overdue: !!s.slaDueAt && OPEN_STATUSES.includes(s.status) && s.slaDueAt.getTime() < now.getTime(),
    resolution: s.resolution ?? null,
    resolvedAt: s.resolvedAt ? s.resolvedAt.toISOString() : null,
    closedAt: s.closedAt ? s.closedAt.toISOString() : null,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export function commentView(c: TicketComment) {
  return {
    id: c.id,
    supportTicketId: c.supportTicketId,
    authorId: c.authorId ?? null,
    body: c.body,
    isInternal: c.isInternal,
    createdAt: c.createdAt.toISOString(),
  };
}

/** The SLA hours of a category: systemSettings `support.sla` ({ "<category>": hours }, 1..8760) over DEFAULT_SLA_HOURS. */
export async function slaHours(category: TicketCategory, t?: Transaction): Promise<number> {
  const row = await SystemSetting.findOne({ where: { key: SLA_SETTING }, attributes: ['id', 'value'], transaction: t });
  let value: unknown = row?.value;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      value = null;
    }
  }
  const hours = value && typeof value === 'object' ? (value as Record<string, unknown>)[category] : undefined;
  return typeof hours === 'number' && Number.isInteger(hours) && hours >= 1 && hours <= 8760 ? hours : DEFAULT_SLA_HOURS[category];
}

/**
 * Support tickets (docs/support.md): raised by agents, back office or the call centre about a
 * customer (and optionally one of their accounts and its device); region scope is the customer's
 * region. Assignment, the status machine and comments are audited.
 */
export class TicketService {
  private readonly sequelize: Sequelize;
  private readonly devices: DeviceService;

  constructor(ctx: Pick<AppContext, 'sequelize' | 'config' | 'logger'> & { queue?: JobQueue }) {
    this.sequelize = ctx.sequelize;
    this.devices = new DeviceService(ctx);
  }

  /** A ticket the caller may see (the customer's region), else 404. */
  async visible(actor: ScopedActor, id: number, t?: Transaction): Promise<SupportTicket> {
    const ticket = await SupportTicket.findByPk(id, { transaction: t, ...(t ? { lock: t.LOCK.UPDATE } : {}) });
    const customer = ticket ? await Customer.findByPk(ticket.customerId, { attributes: ['id', 'regionId'], transaction: t }) : null;
    if (!ticket || !customer || !inRegionScope(actor.scope, customer.regionId)) throw problems.notFound('support ticket');
    return ticket;
  }

  async get(actor: ScopedActor, id: number): Promise<SupportTicket> {
    return this.visible(actor, id);
  }

  async list(actor: ScopedActor, q: TicketListQuery): Promise<Paged<SupportTicket>> {
    const where: WhereOptions[] = [];
    if (q.status) where.push({ status: q.status });
    if (q.category) where.push({ category: q.category });
    if (q.assignedTo) where.push({ assignedTo: q.assignedTo });
    if (q.accountId) where.push({ accountId: q.accountId });
    if (q.customerId) where.push({ customerId: q.customerId });
    if (q.overdue === true) where.push({ status: { [Op.in]: [...OPEN_STATUSES] }, slaDueAt: { [Op.lt]: new Date() } });
    if (q.overdue === false)
      where.push({ [Op.or]: [{ status: { [Op.notIn]: [...OPEN_STATUSES] } }, { slaDueAt: null }, { slaDueAt: { [Op.gte]: new Date() } }] });
    if (q.cursor) where.push({ id: { [Op.lt]: decodeIdCursor(q.cursor) } });
    const rows = await SupportTicket.findAll({
      where: { [Op.and]: where },
      include: [{ model: Customer, as: 'customer', attributes: ['id', 'regionId'], where: regionWhere(actor.scope) }],
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  /** The customer, account and device must agree (400 naming the field); the account decides the customer when given. */
  private async parties(actor: ScopedActor, input: Pick<OpenTicketInput, 'customerId' | 'accountId' | 'deviceId'>) {
    let customerId = input.customerId;
    if (input.accountId !== undefined) {
      const account = await Account.findByPk(input.accountId, { attributes: ['id', 'customerId', 'regionId'] });
      if (!account || !inRegionScope(actor.scope, account.regionId)) throw problems.notFound('account');
      if (customerId !== undefined && customerId !== account.customerId) {
        throw problems.validation([{ field: 'customerId', in: 'body', message: 'the account belongs to another customer' }]);
      }
      customerId = account.customerId;
    }
    if (customerId === undefined) throw problems.validation([{ field: 'customerId', in: 'body', message: 'customerId or accountId is required' }]);
    const customer = await Customer.findByPk(customerId, { attributes: ['id', 'regionId'] });
    if (!customer || !inRegionScope(actor.scope, customer.regionId)) throw problems.notFound('customer');
    if (input.deviceId !== undefined) {
      if (input.accountId === undefined) throw problems.validation([{ field: 'accountId', in: 'body', message: 'a device is named with its account' }]);
      const link = await AccountDevice.count({ where: { accountId: input.accountId, deviceId: input.deviceId } });
      if (!link) throw problems.validation([{ field: 'deviceId', in: 'body', message: 'the device was never attached to this account' }]);
    }
    return { customerId, regionId: customer.regionId };
  }

  /** The assignee: an active employee holding support:write who covers the region (422 otherwise). */
  private async assertAssignable(employeeId: number, regionId: number, t: Transaction): Promise<void> {
    const rows = await this.sequelize.query<{ code: string }>(
      `SELECT pm.code FROM employees e JOIN rolePermissions rp ON rp.roleId = e.roleId JOIN permissions pm ON pm.id = rp.permissionId
        WHERE e.id = ? AND e.isActive = ? AND e.deletedAt IS NULL AND pm.code IN (?, '*', 'regions:all')`,
      { replacements: [employeeId, true, SUPPORT_WRITE], type: QueryTypes.SELECT, transaction: t },
    );
    const codes = new Set(rows.map((r) => r.code));
    const may = codes.has(SUPPORT_WRITE) || codes.has('*');
    const covers = codes.has('regions:all') || codes.has('*') || (await EmployeeRegion.count({ where: { employeeId, regionId }, transaction: t })) > 0;
    if (!may || !covers) {
      const exists = (await Employee.count({ where: { id: employeeId }, transaction: t })) > 0;
      throw problems.unprocessable(
        exists ? `Employee ${employeeId} cannot work this ticket (active, ${SUPPORT_WRITE}, the customer's region).` : `No employee ${employeeId}.`,
        'cannot-assign',
        { errors: [{ field: 'assignedTo', in: 'body', message: exists ? 'cannot work tickets in this region' : 'no such employee' }] },
      );
    }
  }

  async open(actor: EmployeeActor, input: OpenTicketInput): Promise<SupportTicket> {
    const { customerId, regionId } = await this.parties(actor, input);
    return withTransaction(this.sequelize, async (t) => {
      if (input.assignedTo !== undefined) await this.assertAssignable(input.assignedTo, regionId, t);
      const now = new Date();
      const hours = await slaHours(input.category, t);
      const ticket = await SupportTicket.create(
        {
          ticketNumber: await nextNumber('supportTicket', t),
          customerId,
          accountId: input.accountId ?? null,
          deviceId: input.deviceId ?? null,
          category: input.category,
          subject: input.subject,
          description: input.description ?? null,
          priority: input.priority ?? 'normal',
          channel: input.channel ?? (actor.permissions.has('regions:all') ? 'back_office' : 'agent'),
          status: 'open',
          openedBy: actor.employeeId,
          assignedTo: input.assignedTo ?? null,
          assignedAt: input.assignedTo !== undefined ? now : null,
          slaDueAt: new Date(now.getTime() + hours * 3_600_000),
        },
        { transaction: t },
      );
      await audit.record(t, {
        actor,
        action: 'supportTicket.open',
        entity: 'supportTickets',
        entityId: ticket.id,
        before: null,
        after: {
          customerId,
          accountId: ticket.accountId,
          deviceId: ticket.deviceId,
          category: ticket.category,
          priority: ticket.priority,
          assignedTo: ticket.assignedTo,
        },
      });
      return ticket;
    });
  }

  /** Status (the state machine; 409 otherwise), priority, (re)assignment, resolution: one audited change. */
  async update(actor: EmployeeActor, id: number, input: UpdateTicketInput): Promise<SupportTicket> {
    await this.visible(actor, id);
    return withTransaction(this.sequelize, async (t) => {
      const ticket = await this.visible(actor, id, t);
      const customer = (await Customer.findByPk(ticket.customerId, { attributes: ['id', 'regionId'], transaction: t }))!;
      const before = { status: ticket.status, priority: ticket.priority, assignedTo: ticket.assignedTo ?? null };
      const changes: Partial<SupportTicket> = {};
      const now = new Date();
      if (input.status !== undefined && input.status !== ticket.status) {
        const allowed = NEXT[ticket.status as TicketStatus];
        if (!allowed.includes(input.status)) {
          throw problems.conflict(`A ticket that is ${ticket.status} cannot become ${input.status}.`, 'illegal-ticket-transition', {
            from: ticket.status,
            to: input.status,
            allowed,
          });
        }
        if (input.status === 'resolved' && !input.resolution && !ticket.resolution) {
          throw problems.validation([{ field: 'resolution', in: 'body', message: 'a ticket is resolved with its resolution' }]);
        }
        changes.status = input.status;
        if (input.status === 'resolved') changes.resolvedAt = now;
        if (input.status === 'closed') changes.closedAt = now;
        if (input.status === 'open') Object.assign(changes, { resolvedAt: null, closedAt: null });
      }
      if (input.priority !== undefined) changes.priority = input.priority;
      if (input.resolution !== undefined) changes.resolution = input.resolution;
      if (input.assignedTo !== undefined && input.assignedTo !== (ticket.assignedTo ?? null)) {
        if (input.assignedTo !== null) await this.assertAssignable(input.assignedTo, customer.regionId, t);
        changes.assignedTo = input.assignedTo;
        changes.assignedAt = input.assignedTo === null ? null : now;
      }
      if (!Object.keys(changes).length) return ticket;
      await ticket.update(changes, { transaction: t });
      await audit.record(t, {
        actor,
        action: input.status === 'open' && before.status !== 'open' ? 'supportTicket.reopen' : 'supportTicket.update',
        entity: 'supportTickets',
        entityId: ticket.id,
        before,
        after: { ...changes },
      });
      return ticket;
    });
  }

  async comments(actor: EmployeeActor, id: number): Promise<TicketComment[]> {
    await this.visible(actor, id);
    const internal = actor.permissions.has(SUPPORT_INTERNAL);
    return TicketComment.findAll({ where: { supportTicketId: id, ...(internal ? {} : { isInternal: false }) }, order: [['id', 'ASC']] });
  }

  async comment(actor: EmployeeActor, id: number, input: { body: string; isInternal?: boolean }): Promise<TicketComment> {
    if (input.isInternal && !actor.permissions.has(SUPPORT_INTERNAL)) throw problems.forbidden(`Internal comments need ${SUPPORT_INTERNAL}.`);
    await this.visible(actor, id);
    return withTransaction(this.sequelize, async (t) => {
      const ticket = await this.visible(actor, id, t);
      const c = await TicketComment.create(
        { supportTicketId: ticket.id, authorId: actor.employeeId, body: input.body, isInternal: input.isInternal ?? false },
        { transaction: t },
      );
      await audit.record(t, {
        actor,
        action: 'supportTicket.comment',
        entity: 'supportTickets',
        entityId: ticket.id,
        before: null,
        after: { commentId: c.id, isInternal: c.isInternal },
      });
      return c;
    });
  }

  /** A token-not-working ticket that is still worked, with its device: what the token actions need (409 otherwise). */
  private async tokenTicket(actor: EmployeeActor, id: number): Promise<SupportTicket & { deviceId: number }> {
    const ticket = await this.visible(actor, id);
    if (ticket.category !== 'token_not_working') {
      throw problems.conflict('Token actions are for token_not_working tickets.', 'wrong-category', { category: ticket.category });
    }
    if (!OPEN_STATUSES.includes(ticket.status)) throw problems.conflict(`The ticket is ${ticket.status}.`, 'ticket-not-open', { status: ticket.status });
    if (!ticket.deviceId) throw problems.conflict('The ticket names no device.', 'no-device');
    return ticket as SupportTicket & { deviceId: number };
  }

  /** Resends the device's last token by SMS (the devices module's resend: audited there, joined when repeated). */
  async resendToken(actor: EmployeeActor, id: number, reason: string) {
    const ticket = await this.tokenTicket(actor, id);
    const sent = await this.devices.resend(actor, ticket.deviceId, `ticket ${ticket.ticketNumber}: ${reason}`);
    await this.note(actor, ticket, 'supportTicket.resendToken', `Last token (count ${sent.tokenCount}) resent by SMS: ${reason}`, { ...sent });
    return sent;
  }

  /** Issues a COUNTER_SYNC token (the devices module's staff token: audited there). */
  async counterSync(actor: EmployeeActor, id: number, reason: string) {
    const ticket = await this.tokenTicket(actor, id);
    const minted = await this.devices.mintManual(actor, ticket.deviceId, { type: 'COUNTER_SYNC', reason: `ticket ${ticket.ticketNumber}: ${reason}` });
    const token = minted.tokens[0]!;
    await this.note(actor, ticket, 'supportTicket.counterSync', `COUNTER_SYNC token issued (count ${token.tokenCount}): ${reason}`, {
      deviceTokenId: token.id,
      tokenCount: token.tokenCount,
    });
    return minted;
  }

  /** What a token action did, as an internal comment and an audit row of the ticket. */
  private async note(actor: EmployeeActor, ticket: SupportTicket, action: string, body: string, after: Record<string, unknown>): Promise<void> {
    await withTransaction(this.sequelize, async (t) => {
      await TicketComment.create({ supportTicketId: ticket.id, authorId: actor.employeeId, body, isInternal: true }, { transaction: t });
      await audit.record(t, { actor, action, entity: 'supportTickets', entityId: ticket.id, before: null, after });
    });
  }
}
