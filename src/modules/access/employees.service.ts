import { Op, type WhereOptions } from 'sequelize';
import type { RegionScope } from '../../platform/auth/principal';
import { decodeIdCursor, encodeCursor, type Paged } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { toMoneyString } from '../../platform/money';
import { CompanyRegion } from '../organisation/models';
import { Employee, EmployeeRegion, Role } from './models';

export interface EmployeeView {
  id: number;
  employeeCode: string;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  isActive: boolean;
  role: { id: number; name: string };
  departmentId: number | null;
  supervisorId: number | null;
  /** Decimal string, or null for the system default. */
  cashLimit: string | null;
  /** The record's version, also its ETag (If-Match on PATCH /employees/:id). */
  version: number;
  regions: { id: number; code: string; name: string }[];
}

export interface EmployeeQuery {
  limit: number;
  cursor?: string;
  roleId?: number;
  isActive?: boolean;
  regionId?: number;
  departmentId?: number;
  supervisorId?: number;
  q?: string;
}

export function employeeView(e: Employee): EmployeeView {
  return {
    id: e.id,
    employeeCode: e.employeeCode,
    firstName: e.firstName,
    lastName: e.lastName,
    email: e.email,
    phone: e.phone,
    isActive: e.isActive,
    role: { id: e.role!.id, name: e.role!.name },
    departmentId: e.departmentId,
    supervisorId: e.supervisorId,
    cashLimit: e.cashLimit === null || e.cashLimit === undefined ? null : toMoneyString(e.cashLimit),
    version: e.version,
    regions: (e.regions ?? []).map((r) => ({ id: r.id, code: r.code, name: r.name })).sort((a, b) => a.id - b.id),
  };
}

export const employeeInclude = [
  { model: Role, as: 'role', attributes: ['id', 'name'] },
  { model: CompanyRegion, as: 'regions', attributes: ['id', 'code', 'name'], through: { attributes: [] } },
];

/** Employees a caller may see: all for head office, else those working in the caller's regions. */
function scopeWhere(scope: RegionScope): WhereOptions {
  if (scope.all) return {};
  return {
    id: {
      [Op.in]: EmployeeRegion.sequelize!.literal(
        `(SELECT employeeId FROM employeeRegions WHERE regionId IN (${scope.regionIds.map(Number).join(',') || 'NULL'}))`,
      ),
    },
  };
}

export class EmployeeService {
  async list(scope: RegionScope, q: EmployeeQuery): Promise<Paged<EmployeeView>> {
    const where: WhereOptions[] = [scopeWhere(scope)];
    if (q.roleId !== undefined) where.push({ roleId: q.roleId });
    if (q.isActive !== undefined) where.push({ isActive: q.isActive });
    if (q.departmentId !== undefined) where.push({ departmentId: q.departmentId });
    if (q.supervisorId !== undefined) where.push({ supervisorId: q.supervisorId });
    if (q.regionId !== undefined) {
      const inRegion = await EmployeeRegion.findAll({ where: { regionId: q.regionId }, attributes: ['employeeId'], raw: true });
      where.push({ id: { [Op.in]: inRegion.map((r) => r.employeeId) } });
    }
    if (q.q !== undefined) {
      // The route admits no LIKE wildcards (% _) in q, so it is matched as typed on MySQL and SQLite alike.
      const like = `%${q.q}%`;
      where.push({
        [Op.or]: [
          { firstName: { [Op.like]: like } },
          { lastName: { [Op.like]: like } },
          { email: { [Op.like]: like } },
          { employeeCode: { [Op.like]: like } },
          { phone: { [Op.like]: like } },
        ],
      });
    }
    if (q.cursor) {
      where.push({ id: { [Op.gt]: decodeIdCursor(q.cursor) } });
    }
    const ids = await Employee.findAll({ where: { [Op.and]: where }, attributes: ['id'], order: [['id', 'ASC']], limit: q.limit + 1, raw: true });
    const more = ids.length > q.limit;
    const pageIds = ids.slice(0, q.limit).map((r) => r.id);
    const rows = pageIds.length ? await Employee.findAll({ where: { id: pageIds }, include: employeeInclude, order: [['id', 'ASC']] }) : [];
    const last = pageIds.at(-1);
    return { data: rows.map(employeeView), page: { limit: q.limit, nextCursor: more && last !== undefined ? encodeCursor([last]) : null } };
  }

  /** Outside the caller's regions is a 404: the record's existence is not disclosed. */
  async get(scope: RegionScope, id: number): Promise<EmployeeView> {
    const e = await Employee.findOne({ where: { [Op.and]: [{ id }, scopeWhere(scope)] }, include: employeeInclude });
    if (!e) throw problems.notFound('employee');
    return employeeView(e);
  }
}
