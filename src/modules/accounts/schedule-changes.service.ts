import { Op, type Sequelize, type Transaction } from 'sequelize';
import {
  decisionListWhere,
  refuseOwnRequest,
  rejectPending,
  fourEyesRefusal,
  type Decider,
  type InboxAfter,
  type PendingItem,
  pendingInScope,
} from '../../platform/approvals/kit';
import type { ScopedActor } from '../../platform/auth/actor';
import { inRegionScope, regionWhere } from '../../platform/auth/principal';
import { addDays, type CalendarDate } from '../../platform/dates';
import { withTransaction } from '../../platform/db/transaction';
import { type Paged, pageOf } from '../../platform/http/pagination';
import { HttpProblem, problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { audit } from '../audit/audit';
import { Payplan } from '../catalogue/models';
import { integrations } from '../integrations/outbox';
import { LEDGER } from '../ledger/chart';
import { postEntry } from '../ledger/journal.service';
import { Account, InstallmentSchedule, ScheduleChange, type ScheduleChangeStatus, type ScheduleChangeType } from './models';
import { nthDueDate, type Frequency } from './schedule';
import { evenLines, openSchedule, replaceOpenSchedule, type NewScheduleLine } from './schedule-change';
import { emitHolidayApplied } from './schedule-change-events';
import { lockAccount, preparedAccount } from './settlement';
import type { CountryCalendar } from '../organisation/business-date';
import type { PayplanTerms } from '../catalogue/payplan-terms';

/**
 * Payment holidays and restructures: both replace the open schedule through
 * schedule-change.ts replaceOpenSchedule (lines superseded, new ones appended), inside one
 * transaction that locks the account first. A holiday up to the payplan's threshold applies at
 * once; a longer one, and every restructure, waits for another employee (maker-checker, the
 * approvals kit: POST /schedule-changes/:id/approve). docs/contract-changes.md.
 */

export interface HolidayInput {
  days: number;
  reason: string;
  /** Grant the holiday's days as device credit days (default: the payplan's policy). */
  grantCreditDays?: boolean;
}

export interface RestructureInput {
  frequency?: Frequency;
  installmentAmount?: MoneyString;
  term?: number;
  fee?: MoneyString;
  fromDate: CalendarDate;
  reason: string;
}

export interface ChangeHooks {
  /** Runs inside the transaction, just before commit (the idempotent response). */
  beforeCommit?(change: ScheduleChange, t: Transaction): Promise<void>;
}

/** Accounts whose schedule may change: a running contract (not pending, not ended). */
const RESCHEDULABLE = ['active', 'suspended'] as const;

/** The changes this service decides; an upgrade is decided by its own workflow. */
const DECIDED_HERE: readonly ScheduleChangeType[] = ['holiday', 'restructure'];

function checkDecidedHere(c: ScheduleChange): void {
  if (!DECIDED_HERE.includes(c.changeType)) {
    throw problems.conflict(`An ${c.changeType} is decided through its own workflow.`, 'not-this-workflow', { changeType: c.changeType });
  }
}

/** Holiday days are counted over this many days back (a rolling year). */
const HOLIDAY_YEAR_DAYS = 365;

/** A restructure never makes more lines than this (a tiny instalment amount would make thousands). */
export const MAX_RESTRUCTURE_LINES = 520;

export function scheduleChangeView(c: ScheduleChange) {
  return {
    id: c.id,
    accountId: c.accountId,
    changeType: c.changeType,
    status: c.status,
    businessDate: c.businessDate,
    parameters: c.parameters,
    reason: c.reason,
    replacedAmount: c.replacedAmount ?? null,
    requestedBy: c.requestedBy,
    approvedBy: c.approvedBy ?? null,
    decidedAt: c.decidedAt ? c.decidedAt.toISOString() : null,
    rejectionReason: c.rejectionReason ?? null,
    appliedAt: c.appliedAt ? c.appliedAt.toISOString() : null,
    createdAt: c.createdAt.toISOString(),
  };
}

function checkReschedulable(account: Account, what: string): void {
  if (!(RESCHEDULABLE as readonly string[]).includes(account.status)) {
    throw problems.conflict(`A ${what} needs an active or suspended account; this one is ${account.status}.`, 'account-not-reschedulable', {
      currentStatus: account.status,
    });
  }
}

type HolidayPolicy = Pick<Payplan, 'holidayMaxDays' | 'holidayMaxDaysPerYear' | 'holidayApprovalAboveDays' | 'holidayGrantsCreditDays'>;

async function holidayPolicy(payplanId: number, t: Transaction): Promise<HolidayPolicy> {
  const p = await Payplan.findByPk(payplanId, {
    attributes: ['id', 'holidayMaxDays', 'holidayMaxDaysPerYear', 'holidayApprovalAboveDays', 'holidayGrantsCreditDays'],
    transaction: t,
  });
  if (!p) throw new Error(`payplan ${payplanId} not found`);
  return p;
}

/** Holiday days granted or waiting on the account in the rolling year before `businessDate`. */
async function holidayDaysInYear(accountId: number, businessDate: CalendarDate, t: Transaction): Promise<number> {
  const rows = await ScheduleChange.findAll({
    where: {
      accountId,
      changeType: 'holiday',
      status: { [Op.in]: ['pending', 'applied'] },
      businessDate: { [Op.gt]: addDays(businessDate, -HOLIDAY_YEAR_DAYS) },
    },
    attributes: ['id', 'parameters'],
    transaction: t,
  });
  return rows.reduce((s, r) => s + Number(r.parameters.days ?? 0), 0);
}

/** The new lines of a holiday: every open line, what it still owes, due `days` later and never before the holiday ends. */
export function holidayLines(open: InstallmentSchedule[], days: number, businessDate: CalendarDate): NewScheduleLine[] {
  const end = addDays(businessDate, days);
  return open.map((l) => {
    const shifted = addDays(l.dueDate, days);
    return { dueDate: shifted < end ? end : shifted, amount: toMoneyString(new Decimal(l.amount).minus(l.paidAmount)) };
  });
}

/** The new lines of a restructure: `total` from `fromDate` on, by term or by instalment amount. */
export function restructureLines(
  total: Decimal,
  p: { frequency: Frequency; term?: number; installmentAmount?: MoneyString; fromDate: CalendarDate },
): NewScheduleLine[] {
  const count = p.term ?? Math.ceil(total.dividedBy(p.installmentAmount!).toNumber());
  const field = p.term !== undefined ? 'term' : 'installmentAmount';
  if (count > MAX_RESTRUCTURE_LINES) {
    throw problems.validation([{ field, in: 'body', message: `the new schedule would have ${count} lines (at most ${MAX_RESTRUCTURE_LINES})` }]);
  }
  // Every line must owe at least a cent (a line of 0.00 would be an open line that owes nothing).
  if (total.dividedBy(count).lessThan('0.01')) {
    throw problems.validation([{ field, in: 'body', message: `${total.toFixed(2)} cannot be split into ${count} lines of at least 0.01` }]);
  }
  const dates = Array.from({ length: count }, (_, n) => nthDueDate(p.fromDate, p.frequency, n));
  if (p.term !== undefined) return evenLines(total, dates);
  const each = new Decimal(p.installmentAmount!);
  return dates.map((dueDate, n) => ({ dueDate, amount: toMoneyString(n === count - 1 ? total.minus(each.times(count - 1)) : each) }));
}

export class ScheduleChangeService {
  constructor(private readonly sequelize: Sequelize) {}

  private async visibleAccount(actor: ScopedActor, accountId: number): Promise<void> {
    const a = await Account.findByPk(accountId, { attributes: ['id', 'regionId'] });
    if (!a || !inRegionScope(actor.scope, a.regionId)) throw problems.notFound('account');
  }

  private async visibleChange(actor: ScopedActor, id: number): Promise<ScheduleChange> {
    const c = await ScheduleChange.findByPk(id, { include: [{ model: Account, as: 'account', attributes: ['id', 'regionId'] }] });
    if (!c || !inRegionScope(actor.scope, c.account!.regionId)) throw problems.notFound('schedule change');
    return c;
  }

  private async refusePending(accountId: number, t: Transaction): Promise<void> {
    const pending = await ScheduleChange.findOne({ where: { accountId, status: 'pending' }, attributes: ['id', 'changeType'], transaction: t });
    if (pending) {
      throw problems.conflict(`A ${pending.changeType} of this account is already waiting for approval.`, 'schedule-change-pending', {
        scheduleChangeId: pending.id,
      });
    }
  }

  /** The schedule with every line (superseded ones marked) and the account's changes. */
  async schedule(actor: ScopedActor, accountId: number) {
    await this.visibleAccount(actor, accountId);
    const [lines, changes] = await Promise.all([
      InstallmentSchedule.findAll({ where: { accountId }, order: [['installmentNumber', 'ASC']] }),
      ScheduleChange.findAll({ where: { accountId }, order: [['id', 'ASC']] }),
    ]);
    return { lines, changes };
  }

  /**
   * A payment holiday: within the payplan's limits (days per holiday, per rolling year); above
   * its approval threshold it waits for a checker (202), otherwise it applies at once (201).
   */
  async holiday(actor: ScopedActor, accountId: number, input: HolidayInput, hooks: ChangeHooks = {}): Promise<ScheduleChange> {
    await this.visibleAccount(actor, accountId);
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(accountId, t);
      checkReschedulable(account, 'payment holiday');
      const { calendar, payplan } = await preparedAccount(account, t);
      const policy = await holidayPolicy(account.payplanId, t);
      if (input.days > policy.holidayMaxDays) {
        throw problems.conflict(`This payplan allows at most ${policy.holidayMaxDays} days per payment holiday.`, 'holiday-limit-exceeded', {
          field: 'days',
          limit: policy.holidayMaxDays,
        });
      }
      const used = await holidayDaysInYear(accountId, calendar.businessDate, t);
      if (used + input.days > policy.holidayMaxDaysPerYear) {
        throw problems.conflict(
          `This payplan allows ${policy.holidayMaxDaysPerYear} holiday days a year; ${used} are already granted or waiting.`,
          'holiday-limit-exceeded',
          { field: 'days', limit: policy.holidayMaxDaysPerYear, used },
        );
      }
      await this.refusePending(accountId, t);
      if ((await openSchedule(accountId, t)).lines.length === 0)
        throw problems.conflict('Nothing is owed on this account; there is nothing to defer.', 'nothing-owed');
      const grantCreditDays = input.grantCreditDays ?? policy.holidayGrantsCreditDays;
      if (grantCreditDays && !policy.holidayGrantsCreditDays) {
        throw problems.conflict("This payplan's holiday policy grants no credit days.", 'holiday-credit-not-allowed', { field: 'grantCreditDays' });
      }
      const change = await ScheduleChange.create(
        {
          accountId,
          changeType: 'holiday',
          businessDate: calendar.businessDate,
          parameters: { days: input.days, grantCreditDays },
          reason: input.reason,
          requestedBy: actor.employeeId,
        },
        { transaction: t },
      );
      await audit.record(t, { actor, action: 'schedule_change.request', entity: 'scheduleChanges', entityId: change.id, after: scheduleChangeView(change) });
      if (input.days <= policy.holidayApprovalAboveDays) await this.apply(account, change, { calendar, payplan }, actor.employeeId, t);
      await hooks.beforeCommit?.(change, t);
      return change;
    });
  }

  /** A restructure request: always waits for a checker; the new schedule is built when approved. */
  async requestRestructure(actor: ScopedActor, accountId: number, input: RestructureInput, hooks: ChangeHooks = {}): Promise<ScheduleChange> {
    await this.visibleAccount(actor, accountId);
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(accountId, t);
      checkReschedulable(account, 'restructure');
      const { calendar } = await preparedAccount(account, t);
      if (input.fromDate < calendar.businessDate) {
        throw problems.validation([{ field: 'fromDate', in: 'body', message: `fromDate must be on or after the business date ${calendar.businessDate}` }]);
      }
      await this.refusePending(accountId, t);
      const payplan = await Payplan.findByPk(account.payplanId, { attributes: ['id', 'frequency'], transaction: t });
      const parameters = {
        frequency: input.frequency ?? (payplan!.frequency as Frequency),
        fromDate: input.fromDate,
        ...(input.term !== undefined ? { term: input.term } : { installmentAmount: input.installmentAmount }),
        fee: input.fee ?? '0.00',
      };
      // Built once now to refuse what cannot be built (nothing owed, too many lines); rebuilt on approval.
      const open = await openSchedule(accountId, t);
      if (open.lines.length === 0) throw problems.conflict('Nothing is owed on this account; there is nothing to restructure.', 'nothing-owed');
      restructureLines(open.owed.plus(parameters.fee), { ...parameters, installmentAmount: input.installmentAmount });
      const change = await ScheduleChange.create(
        { accountId, changeType: 'restructure', businessDate: calendar.businessDate, parameters, reason: input.reason, requestedBy: actor.employeeId },
        { transaction: t },
      );
      await audit.record(t, { actor, action: 'schedule_change.request', entity: 'scheduleChanges', entityId: change.id, after: scheduleChangeView(change) });
      await hooks.beforeCommit?.(change, t);
      return change;
    });
  }

  /** Applies a pending change to the locked, prepared account (the request itself, or its approval). */
  private async apply(
    account: Account,
    change: ScheduleChange,
    prepared: { calendar: CountryCalendar; payplan: PayplanTerms },
    by: number | null,
    t: Transaction,
  ): Promise<void> {
    const businessDate = prepared.calendar.businessDate;
    const open = await openSchedule(account.id, t);
    if (open.lines.length === 0) throw problems.conflict('Nothing is owed on this account any more; the change has nothing to replace.', 'nothing-owed');
    const p = change.parameters;
    if (change.changeType === 'holiday') {
      const days = Number(p.days);
      await replaceOpenSchedule(t, account, holidayLines(open.lines, days, businessDate), change, { businessDate, payplan: prepared.payplan, by });
      if (p.grantCreditDays) await emitHolidayApplied({ account, change, days, businessDate, by }, t);
    } else if (change.changeType === 'restructure') {
      const fee = new Decimal(String(p.fee ?? '0'));
      const fromDate = String(p.fromDate) < businessDate ? businessDate : String(p.fromDate);
      let lines: NewScheduleLine[];
      try {
        lines = restructureLines(open.owed.plus(fee), {
          frequency: p.frequency as Frequency,
          term: p.term === undefined ? undefined : Number(p.term),
          installmentAmount: p.installmentAmount === undefined ? undefined : (String(p.installmentAmount) as MoneyString),
          fromDate,
        });
      } catch (err) {
        // Buildable when requested, maybe not now (payments since): the approval is refused, not the request's input.
        if (err instanceof HttpProblem && err.status === 400) {
          throw problems.conflict('The requested schedule cannot be built for what is owed now; reject it and request another.', 'restructure-not-buildable');
        }
        throw err;
      }
      // The fee is folded into the new schedule: it is receivable (Dr 1200) and fee income (Cr 4300).
      account.balance = toMoneyString(new Decimal(account.balance).plus(fee));
      account.restructuredAt = businessDate;
      await replaceOpenSchedule(t, account, lines, change, { businessDate, payplan: prepared.payplan, by, added: toMoneyString(fee) });
      if (fee.greaterThan(0)) {
        await postEntry(
          {
            businessDate,
            countryId: prepared.calendar.countryId,
            description: `Restructure fee on ${account.accountNumber}`,
            sourceType: 'schedule_change',
            sourceId: change.id,
            accountId: account.id,
            currency: prepared.calendar.currency,
            createdBy: by,
            lines: [
              { ledger: LEDGER.loansReceivable, debit: toMoneyString(fee), accountId: account.id },
              { ledger: LEDGER.feeIncome, credit: toMoneyString(fee) },
            ],
          },
          t,
        );
      }
    } else {
      throw new Error(`schedule change ${change.id}: ${change.changeType} is applied by its own service`);
    }
    await integrations.enqueue(t, {
      aggregate: 'account',
      id: account.id,
      event: 'account.schedule_changed',
      payload: { accountId: account.id, scheduleChangeId: change.id, changeType: change.changeType, replacedAmount: change.replacedAmount, businessDate },
    });
  }

  /** Maker-checker: another employee approves; the change applies on the business date of approval. */
  async approve(actor: ScopedActor, id: number): Promise<ScheduleChange> {
    const visible = await this.visibleChange(actor, id);
    checkDecidedHere(visible);
    refuseOwnRequest(visible.requestedBy, actor, 'schedule change');
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(visible.accountId, t);
      const change = (await ScheduleChange.findByPk(id, { transaction: t }))!;
      if (change.status !== 'pending')
        throw problems.conflict(`This schedule change is already ${change.status}.`, 'already-decided', { currentStatus: change.status });
      checkReschedulable(account, change.changeType);
      const prepared = await preparedAccount(account, t);
      await change
        .update({ approvedBy: actor.employeeId, decidedAt: new Date() }, { transaction: t })
        .catch(fourEyesRefusal('You requested this schedule change; another employee must approve it.'));
      await this.apply(account, change, prepared, actor.employeeId, t);
      await audit.record(t, {
        actor,
        action: 'schedule_change.approve',
        entity: 'scheduleChanges',
        entityId: change.id,
        before: { status: 'pending' },
        after: { status: change.status, replacedAmount: change.replacedAmount },
      });
      return change;
    });
  }

  async reject(actor: ScopedActor, id: number, reason: string): Promise<ScheduleChange> {
    const visible = await this.visibleChange(actor, id);
    checkDecidedHere(visible);
    return rejectPending(this.sequelize, audit, {
      model: ScheduleChange,
      id,
      what: 'schedule change',
      requestedBy: visible.requestedBy,
      actor,
      reason,
      action: 'schedule_change.reject',
    });
  }

  async get(actor: ScopedActor, id: number): Promise<ScheduleChange> {
    return this.visibleChange(actor, id);
  }

  async list(
    actor: ScopedActor,
    q: { status?: ScheduleChangeStatus; changeType?: ScheduleChangeType; requestedBy?: number; accountId?: number; limit: number; cursor?: string },
  ): Promise<Paged<ScheduleChange>> {
    const where = decisionListWhere(q);
    if (q.accountId) where.push({ accountId: q.accountId });
    if (q.changeType) where.push({ changeType: q.changeType });
    const rows = await ScheduleChange.findAll({
      where: { [Op.and]: where },
      include: [{ model: Account, as: 'account', attributes: ['id', 'regionId'], where: regionWhere(actor.scope) }],
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  /** Pending changes the decider may decide (the approvals inbox): in scope, not their own. */
  async pending(decider: Decider, after: InboxAfter | undefined, limit: number): Promise<PendingItem[]> {
    const rows = await pendingInScope(ScheduleChange, { model: Account, as: 'account', attributes: ['id', 'regionId', 'balance'] }, decider, after, limit, {
      changeType: { [Op.in]: [...DECIDED_HERE] },
    });
    return rows.map((c) => ({
      id: c.id,
      amount: c.account!.balance,
      requestedBy: c.requestedBy,
      requestedAt: c.createdAt,
      regionId: c.account!.regionId,
      accountId: c.accountId,
      employeeId: null,
    }));
  }
}
