import { Op, QueryTypes, UniqueConstraintError, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import type { EmployeeActor } from '../../platform/auth/actor';
import { ALL_REGIONS_PERMISSION } from '../../platform/auth/principal';
import {
  decisionListWhere,
  pendingAfterWhere,
  PENDING_ORDER,
  fourEyesRefusal,
  refuseOwnRequest,
  type Decider,
  type InboxAfter,
  type PendingItem,
} from '../../platform/approvals/kit';
import { addDays, addMonths, type CalendarDate } from '../../platform/dates';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, type Paged, pageOf } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { EmployeeRegion } from '../access/models';
import { audit } from '../audit/audit';
import { integrations } from '../integrations/outbox';
import { LEDGER } from '../ledger/chart';
import { postEntry } from '../ledger/journal.service';
import { calendarOfCountry, type CountryCalendar } from '../organisation/business-date';
import {
  CommissionClawback,
  CommissionEntry,
  CommissionPayment,
  type CommissionEntryStatus,
  type CommissionEvent,
  type CommissionPaymentStatus,
} from './models';

/** Ledger accounts of commissions (seeders/20261124000150-reference-ledger-accounts.js). */
export const COMMISSION_LEDGER = {
  expense: LEDGER.commissionExpense,
  payable: LEDGER.commissionPayable,
  bank: LEDGER.bank,
} as const;

/** Lets a caller see other employees' commission: the agents of their own regions. */
export const TEAM_PERMISSION = 'employees:read';

/**
 * Who asks. Commission is personal: head office (regions:all) sees everyone's; a caller who may
 * read employees (supervisors) sees the employees of their own regions and their own; anyone
 * else (agents) only their own. Another employee's commission outside that is a 404.
 */
export function seesTeam(actor: Pick<EmployeeActor, 'permissions'>): boolean {
  return actor.permissions.has(ALL_REGIONS_PERMISSION) || actor.permissions.has(TEAM_PERMISSION);
}

/** The employees whose commission the actor may see ('all' for head office). */
export async function visibleEmployees(
  actor: Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>,
  transaction?: Transaction,
): Promise<'all' | number[]> {
  if (actor.scope.all) return 'all';
  if (!seesTeam(actor) || actor.scope.regionIds.length === 0) return [actor.employeeId];
  const rows = await EmployeeRegion.findAll({ where: { regionId: { [Op.in]: [...actor.scope.regionIds] } }, attributes: ['employeeId'], transaction });
  return [...new Set([actor.employeeId, ...rows.map((r) => r.employeeId)])];
}

async function assertVisible(actor: Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>, employeeId: number, what: string): Promise<void> {
  const visible = await visibleEmployees(actor);
  if (visible !== 'all' && !visible.includes(employeeId)) throw problems.notFound(what);
}

function employeeWhere(visible: 'all' | number[], requested: number | undefined): WhereOptions {
  if (requested !== undefined) return { employeeId: requested };
  return visible === 'all' ? {} : { employeeId: { [Op.in]: visible } };
}

export function entryView(e: CommissionEntry) {
  return {
    id: e.id,
    employeeId: e.employeeId,
    accountId: e.accountId,
    commissionRuleId: e.commissionRuleId,
    eventType: e.eventType,
    sourceType: e.sourceType,
    sourceId: e.sourceId,
    stage: e.stage,
    amount: e.amount,
    earnedOn: e.earnedOn,
    status: e.status,
    commissionPaymentId: e.commissionPaymentId,
    createdAt: e.createdAt.toISOString(),
  };
}

export function commissionPaymentView(p: CommissionPayment) {
  return {
    id: p.id,
    employeeId: p.employeeId,
    period: p.period,
    amount: p.amount,
    status: p.status,
    requestedBy: p.requestedBy,
    approvedBy: p.approvedBy,
    approvedAt: p.approvedAt ? p.approvedAt.toISOString() : null,
    rejectionReason: p.rejectionReason,
    paidDate: p.paidDate,
    paidBy: p.paidBy,
    paymentReference: p.paymentReference,
    journalEntryId: p.journalEntryId,
    createdAt: p.createdAt.toISOString(),
  };
}

export function clawbackView(c: CommissionClawback) {
  return {
    id: c.id,
    commissionEntryId: c.commissionEntryId,
    accountId: c.accountId,
    employeeId: c.employeeId,
    amount: c.amount,
    reason: c.reason,
    clawedBackOn: c.clawedBackOn,
    commissionPaymentId: c.commissionPaymentId,
  };
}

/** The last day of a 'YYYY-MM' period. */
export function periodEnd(period: string): CalendarDate {
  return addDays(addMonths(`${period}-01`, 1), -1);
}

function page<T extends { id: number }>(rows: T[], limit: number): Paged<T> {
  return pageOf(rows, limit, (last) => [last.id]);
}

function sum(v: string | number | null | undefined): Decimal {
  return new Decimal(v ?? 0);
}

export interface CloseResult {
  period: string;
  periodEnd: CalendarDate;
  /** Payments this run created (pending approval). */
  payments: CommissionPayment[];
  /** Employees whose open clawbacks exceed what they earned: nothing paid, all carried to the next close. */
  carriedForward: { employeeId: number; payable: MoneyString; clawbacks: MoneyString }[];
}

/**
 * Commission payouts, maker-checker. The monthly close (commissions:pay) gathers each employee's
 * payable entries earned up to the period's end into one pending commissionPayments row, less
 * their open clawbacks; another employee approves it (commissions:approve; never the requester,
 * never the payee: 403, and a database trigger refuses it too), which books the expense
 * (Dr 5300 commission expense for the entries, Cr 5300 for the clawbacks deducted, Cr 2500
 * commission payable for the net); paying it (commissions:pay) settles the liability
 * (Dr 2500 / Cr 1130 bank). Both entries carry sourceType 'commission', sourceId = the payment.
 */
export class CommissionPayoutService {
  constructor(private readonly sequelize: Sequelize) {}

  async listEntries(
    actor: Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>,
    q: {
      employeeId?: number;
      accountId?: number;
      status?: CommissionEntryStatus;
      eventType?: CommissionEvent;
      paymentId?: number;
      limit: number;
      cursor?: string;
    },
  ): Promise<Paged<CommissionEntry>> {
    if (q.employeeId !== undefined) await assertVisible(actor, q.employeeId, 'employee');
    const visible = await visibleEmployees(actor);
    const where: WhereOptions[] = [employeeWhere(visible, q.employeeId)];
    if (q.accountId !== undefined) where.push({ accountId: q.accountId });
    if (q.status) where.push({ status: q.status });
    if (q.eventType) where.push({ eventType: q.eventType });
    if (q.paymentId !== undefined) where.push({ commissionPaymentId: q.paymentId });
    if (q.cursor) where.push({ id: { [Op.lt]: decodeIdCursor(q.cursor) } });
    const rows = await CommissionEntry.findAll({ where: { [Op.and]: where }, order: [['id', 'DESC']], limit: q.limit + 1 });
    return page(rows, q.limit);
  }

  async listPayments(
    actor: Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>,
    q: { employeeId?: number; period?: string; status?: CommissionPaymentStatus; requestedBy?: number; limit: number; cursor?: string },
  ): Promise<Paged<CommissionPayment>> {
    if (q.employeeId !== undefined) await assertVisible(actor, q.employeeId, 'employee');
    const visible = await visibleEmployees(actor);
    const where: WhereOptions[] = [employeeWhere(visible, q.employeeId), ...decisionListWhere(q)];
    if (q.period) where.push({ period: q.period });
    const rows = await CommissionPayment.findAll({ where: { [Op.and]: where }, order: [['id', 'DESC']], limit: q.limit + 1 });
    return page(rows, q.limit);
  }

  /** Pending commission payments the decider may decide (the approvals inbox): employees they see, never their own or one they requested. */
  async pending(decider: Decider, after: InboxAfter | undefined, limit: number): Promise<PendingItem[]> {
    const visible = await visibleEmployees(decider);
    const rows = await CommissionPayment.findAll({
      where: {
        [Op.and]: [
          { status: 'pending', employeeId: { [Op.ne]: decider.employeeId } },
          { [Op.or]: [{ requestedBy: null }, { requestedBy: { [Op.ne]: decider.employeeId } }] },
          visible === 'all' ? {} : { employeeId: { [Op.in]: visible } },
          pendingAfterWhere(after),
        ],
      },
      order: PENDING_ORDER,
      limit,
    });
    return rows.map((p) => ({
      id: p.id,
      amount: p.amount,
      requestedBy: p.requestedBy,
      requestedAt: p.createdAt,
      regionId: null,
      accountId: null,
      employeeId: p.employeeId,
    }));
  }

  private async visiblePayment(actor: Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>, id: number): Promise<CommissionPayment> {
    const p = await CommissionPayment.findByPk(id);
    if (!p) throw problems.notFound('commission payment');
    await assertVisible(actor, p.employeeId, 'commission payment');
    return p;
  }

  /** A payment with what it is made of: its entries by event, and the clawbacks deducted. */
  async getPayment(actor: Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>, id: number) {
    const p = await this.visiblePayment(actor, id);
    const [byEvent, clawbacks] = await Promise.all([
      this.sequelize.query<{ eventType: CommissionEvent; count: number; amount: string }>(
        'SELECT eventType, COUNT(*) AS count, SUM(amount) AS amount FROM commissionEntries WHERE commissionPaymentId = :id GROUP BY eventType ORDER BY eventType',
        { replacements: { id }, type: QueryTypes.SELECT },
      ),
      CommissionClawback.findAll({ where: { commissionPaymentId: id }, order: [['id', 'ASC']] }),
    ]);
    return {
      ...commissionPaymentView(p),
      entries: byEvent.map((r) => ({ eventType: r.eventType, count: Number(r.count), amount: toMoneyString(r.amount) })),
      clawbacks: clawbacks.map(clawbackView),
    };
  }

  /**
   * The monthly close of a period, in one transaction; idempotent per period: an employee who
   * already has a payment for it gets no second one (unique (employeeId, period)); entries that
   * become payable later go to the next period's close. A clawback is deducted once its entry's
   * payment was approved or paid. Where open clawbacks exceed what was earned, nothing is
   * created and both carry forward. A close running at the same moment is a 409.
   */
  async close(actor: Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>, period: string): Promise<CloseResult> {
    const end = periodEnd(period);
    const visible = await visibleEmployees(actor);
    if (visible !== 'all' && visible.length === 0) return { period, periodEnd: end, payments: [], carriedForward: [] };
    // The caller's employees are bound (:visible), never written into the SQL text.
    const scopeEntries = visible === 'all' ? '' : 'AND e.employeeId IN (:visible)';
    const scopeClawbacks = visible === 'all' ? '' : 'AND c.employeeId IN (:visible)';
    const scopeReplacements = visible === 'all' ? {} : { visible };
    return withTransaction(this.sequelize, async (t) => {
      const [payable, owed, existing] = await Promise.all([
        this.sequelize.query<{ employeeId: number; total: string }>(
          `SELECT e.employeeId, SUM(e.amount) AS total FROM commissionEntries e
            WHERE e.status = 'payable' AND e.commissionPaymentId IS NULL AND e.earnedOn <= :end ${scopeEntries}
            GROUP BY e.employeeId`,
          { replacements: { end, ...scopeReplacements }, type: QueryTypes.SELECT, transaction: t },
        ),
        this.sequelize.query<{ employeeId: number; total: string }>(
          `SELECT c.employeeId, SUM(c.amount) AS total FROM commissionClawbacks c
             JOIN commissionEntries e ON e.id = c.commissionEntryId
             JOIN commissionPayments p ON p.id = e.commissionPaymentId AND p.status IN ('approved', 'paid')
            WHERE c.commissionPaymentId IS NULL ${scopeClawbacks}
            GROUP BY c.employeeId`,
          { replacements: scopeReplacements, type: QueryTypes.SELECT, transaction: t },
        ),
        CommissionPayment.findAll({ where: { period }, attributes: ['employeeId'], transaction: t }),
      ]);
      const have = new Set(existing.map((p) => p.employeeId));
      const totals = new Map<number, { payable: Decimal; clawbacks: Decimal }>();
      for (const r of payable) totals.set(Number(r.employeeId), { payable: sum(r.total), clawbacks: new Decimal(0) });
      for (const r of owed) {
        const id = Number(r.employeeId);
        totals.set(id, { payable: totals.get(id)?.payable ?? new Decimal(0), clawbacks: sum(r.total) });
      }
      const create: number[] = [];
      const carriedForward: CloseResult['carriedForward'] = [];
      for (const [employeeId, v] of [...totals.entries()].sort((a, b) => a[0] - b[0])) {
        if (have.has(employeeId)) continue;
        if (v.payable.minus(v.clawbacks).isNegative()) {
          carriedForward.push({ employeeId, payable: toMoneyString(v.payable), clawbacks: toMoneyString(v.clawbacks) });
        } else {
          create.push(employeeId);
        }
      }
      if (create.length === 0) return { period, periodEnd: end, payments: [], carriedForward };

      await CommissionPayment.bulkCreate(
        create.map((employeeId) => ({ employeeId, period, amount: '0.00', status: 'pending' as const, requestedBy: actor.employeeId })),
        { transaction: t },
      ).catch((err: unknown) => {
        if (err instanceof UniqueConstraintError) throw problems.conflict(`Another close of ${period} ran at the same time; run it again.`, 'close-running');
        throw err;
      });
      const now = new Date();
      const ids = create;
      const paymentOf = (table: string) => `(SELECT p.id FROM commissionPayments p WHERE p.employeeId = ${table}.employeeId AND p.period = :period)`;
      await this.sequelize.query(
        `UPDATE commissionEntries SET status = 'included', commissionPaymentId = ${paymentOf('commissionEntries')}, updatedAt = :now
          WHERE status = 'payable' AND commissionPaymentId IS NULL AND earnedOn <= :end AND employeeId IN (:ids)`,
        { replacements: { period, end, now, ids }, type: QueryTypes.UPDATE, transaction: t },
      );
      await this.sequelize.query(
        `UPDATE commissionClawbacks SET commissionPaymentId = ${paymentOf('commissionClawbacks')}, updatedAt = :now
          WHERE commissionPaymentId IS NULL AND employeeId IN (:ids)
            AND EXISTS (SELECT 1 FROM commissionEntries e JOIN commissionPayments q ON q.id = e.commissionPaymentId
                         WHERE e.id = commissionClawbacks.commissionEntryId AND q.status IN ('approved', 'paid'))`,
        { replacements: { period, now, ids }, type: QueryTypes.UPDATE, transaction: t },
      );
      // The amount is what was actually linked, so it is right even if entries arrived meanwhile.
      await this.sequelize.query(
        `UPDATE commissionPayments SET updatedAt = :now, amount =
            COALESCE((SELECT SUM(e.amount) FROM commissionEntries e WHERE e.commissionPaymentId = commissionPayments.id), 0)
          - COALESCE((SELECT SUM(c.amount) FROM commissionClawbacks c WHERE c.commissionPaymentId = commissionPayments.id), 0)
          WHERE period = :period AND status = 'pending' AND employeeId IN (:ids)`,
        { replacements: { period, now, ids }, type: QueryTypes.UPDATE, transaction: t },
      );
      const payments = await CommissionPayment.findAll({ where: { period, employeeId: { [Op.in]: create } }, order: [['employeeId', 'ASC']], transaction: t });
      if (payments.some((p) => new Decimal(p.amount).isNegative())) {
        throw problems.conflict(`Clawbacks changed while ${period} was being closed; run it again.`, 'close-running');
      }
      await audit.record(t, {
        actor,
        action: 'commissionPayment.close',
        entity: 'commissionPayments',
        entityId: null,
        after: { period, created: payments.map((p) => p.id) },
      });
      return { period, periodEnd: end, payments, carriedForward };
    });
  }

  private refuseFourEyes(p: CommissionPayment, actor: Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>, what: 'approve' | 'reject'): void {
    // The payee counts as a maker too: nobody decides their own commission.
    refuseOwnRequest(p.employeeId, actor, 'commission payment', `This commission is yours; another employee must ${what} it (maker-checker).`);
    refuseOwnRequest(p.requestedBy, actor, 'commission payment', `You requested this commission payment; another employee must ${what} it (maker-checker).`);
  }

  private async lockPending(id: number, status: CommissionPaymentStatus, t: Transaction): Promise<CommissionPayment> {
    const p = (await CommissionPayment.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
    if (p.status !== status) throw problems.conflict(`This commission payment is ${p.status}.`, 'commission-payment-state', { currentStatus: p.status });
    return p;
  }

  /** The calendar (business date, currency) the payment is booked in: its accounts' country. */
  private async payeeCalendar(p: CommissionPayment, t: Transaction): Promise<CountryCalendar> {
    const [row] = await this.sequelize.query<{ countryId: number }>(
      `SELECT g.countryId FROM commissionEntries e JOIN accounts a ON a.id = e.accountId JOIN companyRegions g ON g.id = a.regionId
        WHERE e.commissionPaymentId = :id
       UNION ALL
       SELECT g.countryId FROM commissionClawbacks c JOIN accounts a ON a.id = c.accountId JOIN companyRegions g ON g.id = a.regionId
        WHERE c.commissionPaymentId = :id
       UNION ALL
       SELECT g.countryId FROM employeeRegions r JOIN companyRegions g ON g.id = r.regionId WHERE r.employeeId = :employeeId
       LIMIT 1`,
      { replacements: { id: p.id, employeeId: p.employeeId }, type: QueryTypes.SELECT, transaction: t },
    );
    if (!row) throw problems.conflict('This commission payment has no country to be booked in.', 'no-country');
    return calendarOfCountry(Number(row.countryId), t);
  }

  private async composition(id: number, t: Transaction): Promise<{ gross: Decimal; deducted: Decimal }> {
    const [[e], [c]] = await Promise.all([
      this.sequelize.query<{ total: string | null }>('SELECT SUM(amount) AS total FROM commissionEntries WHERE commissionPaymentId = :id', {
        replacements: { id },
        type: QueryTypes.SELECT,
        transaction: t,
      }),
      this.sequelize.query<{ total: string | null }>('SELECT SUM(amount) AS total FROM commissionClawbacks WHERE commissionPaymentId = :id', {
        replacements: { id },
        type: QueryTypes.SELECT,
        transaction: t,
      }),
    ]);
    return { gross: sum(e?.total), deducted: sum(c?.total) };
  }

  /** Approve (checker): books the expense, Dr 5300 / Cr 2500 (clawbacks deducted: Cr 5300). */
  async approve(actor: Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>, id: number): Promise<CommissionPayment> {
    const head = await this.visiblePayment(actor, id);
    this.refuseFourEyes(head, actor, 'approve');
    return withTransaction(this.sequelize, async (t) => {
      const p = await this.lockPending(id, 'pending', t);
      const { gross, deducted } = await this.composition(id, t);
      const net = gross.minus(deducted);
      if (!net.equals(p.amount)) throw new Error(`commission payment ${id}: amount ${p.amount} differs from its entries less clawbacks (${net.toFixed(2)})`);
      let journalEntryId: number | null = null;
      if (gross.greaterThan(0)) {
        const calendar = await this.payeeCalendar(p, t);
        const entry = await postEntry(
          {
            businessDate: calendar.businessDate,
            countryId: calendar.countryId,
            description: `Commission ${p.period} of employee ${p.employeeId}, approved`,
            sourceType: 'commission',
            sourceId: p.id,
            currency: calendar.currency,
            createdBy: actor.employeeId,
            lines: [
              { ledger: COMMISSION_LEDGER.expense, debit: toMoneyString(gross), memo: 'commission earned' },
              { ledger: COMMISSION_LEDGER.expense, credit: toMoneyString(deducted), memo: 'clawbacks deducted' },
              { ledger: COMMISSION_LEDGER.payable, credit: toMoneyString(net) },
            ],
          },
          t,
        );
        journalEntryId = entry.id;
      }
      await p.update({ status: 'approved', approvedBy: actor.employeeId, approvedAt: new Date(), journalEntryId }, { transaction: t }).catch(fourEyesProblem);
      await audit.record(t, {
        actor,
        action: 'commissionPayment.approve',
        entity: 'commissionPayments',
        entityId: p.id,
        before: { status: 'pending' },
        after: { status: 'approved', amount: p.amount, journalEntryId },
      });
      // NetSuite: the agent as a vendor and this payment as a vendor bill (integrations/netsuite).
      await integrations.enqueue(t, { aggregate: 'commissionPayment', id: p.id, event: 'commission_payment.approved', payload: { amount: p.amount } });
      return p;
    });
  }

  /** Reject (checker): its entries are payable again and its clawbacks open again, for the next close. */
  async reject(actor: Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>, id: number, reason: string): Promise<CommissionPayment> {
    const head = await this.visiblePayment(actor, id);
    this.refuseFourEyes(head, actor, 'reject');
    return withTransaction(this.sequelize, async (t) => {
      const p = await this.lockPending(id, 'pending', t);
      await CommissionEntry.update(
        { status: 'payable', commissionPaymentId: null },
        { where: { commissionPaymentId: id, status: 'included' }, transaction: t },
      );
      // Entries clawed back while in this payment were never paid: nothing of theirs is deducted.
      await CommissionEntry.update({ commissionPaymentId: null }, { where: { commissionPaymentId: id }, transaction: t });
      await CommissionClawback.update({ commissionPaymentId: null }, { where: { commissionPaymentId: id }, transaction: t });
      await p
        .update({ status: 'rejected', approvedBy: actor.employeeId, approvedAt: new Date(), rejectionReason: reason }, { transaction: t })
        .catch(fourEyesProblem);
      await audit.record(t, {
        actor,
        action: 'commissionPayment.reject',
        entity: 'commissionPayments',
        entityId: p.id,
        before: { status: 'pending' },
        after: { status: 'rejected', reason },
      });
      return p;
    });
  }

  /** Pay an approved payment: Dr 2500 commission payable / Cr 1130 bank. Nobody pays themselves. */
  async pay(actor: Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>, id: number, paymentReference: string): Promise<CommissionPayment> {
    const head = await this.visiblePayment(actor, id);
    if (head.employeeId === actor.employeeId) {
      throw problems.forbidden('This commission is yours; another employee must pay it out.', 'four-eyes');
    }
    return withTransaction(this.sequelize, async (t) => {
      const p = await this.lockPending(id, 'approved', t);
      const calendar = await this.payeeCalendar(p, t);
      let journalEntryId = p.journalEntryId ?? null;
      if (new Decimal(p.amount).greaterThan(0)) {
        const entry = await postEntry(
          {
            businessDate: calendar.businessDate,
            countryId: calendar.countryId,
            description: `Commission ${p.period} of employee ${p.employeeId}, paid (${paymentReference})`,
            sourceType: 'commission',
            sourceId: p.id,
            currency: calendar.currency,
            createdBy: actor.employeeId,
            lines: [
              { ledger: COMMISSION_LEDGER.payable, debit: p.amount },
              { ledger: COMMISSION_LEDGER.bank, credit: p.amount, memo: paymentReference },
            ],
          },
          t,
        );
        journalEntryId = entry.id;
      }
      await p.update({ status: 'paid', paidDate: calendar.businessDate, paidBy: actor.employeeId, paymentReference, journalEntryId }, { transaction: t });
      await audit.record(t, {
        actor,
        action: 'commissionPayment.pay',
        entity: 'commissionPayments',
        entityId: p.id,
        before: { status: 'approved' },
        after: { status: 'paid', paymentReference, journalEntryId },
      });
      return p;
    });
  }
}

/** The four-eyes trigger's refusal (a check the service already made) as the same 403. */
const fourEyesProblem = fourEyesRefusal('The approver must differ from the payee and the requester (maker-checker).');
