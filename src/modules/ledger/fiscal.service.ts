import { Op, type Sequelize, type WhereOptions } from 'sequelize';
import { withTransaction } from '../../platform/db/transaction';
import { isCalendarDate } from '../../platform/dates';
import { decodeCursor, type Paged, pageOf } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { audit } from '../audit/audit';
import { forgetFiscalPeriods } from './journal.service';
import { FiscalPeriod, type FiscalPeriodStatus } from './models';

export function fiscalPeriodView(p: FiscalPeriod) {
  return {
    id: p.id,
    name: p.name,
    startDate: p.startDate,
    endDate: p.endDate,
    status: p.status,
    countryId: p.countryId,
    closedAt: p.closedAt ? p.closedAt.toISOString() : null,
    closedBy: p.closedBy,
  };
}

export interface FiscalListQuery {
  status?: FiscalPeriodStatus;
  /** A country's own periods; 'global' for the periods of every country. */
  countryId?: number | 'global';
  /** Periods that end on or after this date. */
  from?: string;
  /** Periods that start on or before this date. */
  to?: string;
  limit: number;
  cursor?: string;
}

/**
 * Fiscal periods: a closed period takes no postings (journal.service refuses with 409, and a
 * database trigger refuses the row). Closing and re-opening are recorded in systemLogs.
 */
export class FiscalService {
  constructor(private readonly sequelize: Sequelize) {}

  async list(q: FiscalListQuery): Promise<Paged<FiscalPeriod>> {
    const where: WhereOptions[] = [];
    if (q.status) where.push({ status: q.status });
    if (q.countryId !== undefined) where.push({ countryId: q.countryId === 'global' ? null : q.countryId });
    if (q.from) where.push({ endDate: { [Op.gte]: q.from } });
    if (q.to) where.push({ startDate: { [Op.lte]: q.to } });
    if (q.cursor) {
      const [startDate, id] = decodeCursor(q.cursor, 2);
      // A forged cursor is the caller's error (400), never a malformed query.
      if (typeof startDate !== 'string' || !isCalendarDate(startDate) || typeof id !== 'number' || !Number.isSafeInteger(id)) {
        throw problems.validation([{ field: 'cursor', in: 'query', message: 'cursor is not valid for this list' }]);
      }
      where.push({ [Op.or]: [{ startDate: { [Op.gt]: startDate } }, { startDate, id: { [Op.gt]: id } }] });
    }
    const rows = await FiscalPeriod.findAll({
      where: { [Op.and]: where },
      order: [
        ['startDate', 'ASC'],
        ['id', 'ASC'],
      ],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.startDate, last.id]);
  }

  async close(id: number, by: number): Promise<FiscalPeriod> {
    return this.change(id, 'closed', by);
  }

  async reopen(id: number, by: number): Promise<FiscalPeriod> {
    return this.change(id, 'open', by);
  }

  private async change(id: number, to: FiscalPeriodStatus, by: number): Promise<FiscalPeriod> {
    const changed = await withTransaction(this.sequelize, async (t) => {
      const period = await FiscalPeriod.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t });
      if (!period) throw problems.notFound('fiscal period');
      if (period.status === to)
        throw problems.conflict(`The fiscal period ${period.name} is already ${to}.`, `fiscal-period-${to}`, { currentStatus: period.status });
      const before = { status: period.status, closedAt: period.closedAt, closedBy: period.closedBy };
      await period.update(to === 'closed' ? { status: 'closed', closedAt: new Date(), closedBy: by } : { status: 'open', closedAt: null, closedBy: null }, {
        transaction: t,
      });
      await audit.record(t, {
        actor: { employeeId: by },
        action: to === 'closed' ? 'fiscalPeriod.close' : 'fiscalPeriod.reopen',
        entity: 'fiscalPeriods',
        entityId: period.id,
        before: { ...before, closedAt: before.closedAt ? before.closedAt.toISOString() : null },
        after: { status: period.status, closedBy: period.closedBy },
      });
      return period;
    });
    // Postings cache open periods briefly; the database trigger refuses a closed one regardless.
    forgetFiscalPeriods();
    return changed;
  }
}
