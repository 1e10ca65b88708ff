import { Op, type WhereOptions } from 'sequelize';
import type { RegionScope } from '../../platform/auth/principal';
import { decodeIdCursor, encodeCursor, type Paged } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
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
  regions: { id: number; code: string; name: string }[];
}

function view(e: Employee): EmployeeView {
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
    regions: (e.regions ?? []).map((r) => ({ id: r.id, code: r.code, name: r.name })),
  };
}

const include = [
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
  async list(scope: RegionScope, q: { limit: number; cursor?: string; roleId?: number; isActive?: boolean }): Promise<Paged<EmployeeView>> {
    const where: WhereOptions[] = [scopeWhere(scope)];
    if (q.roleId !== undefined) where.push({ roleId: q.roleId });
    if (q.isActive !== undefined) where.push({ isActive: q.isActive });
    if (q.cursor) {
      where.push({ id: { [Op.gt]: decodeIdCursor(q.cursor) } });
    }
    const ids = await Employee.findAll({ where: { [Op.and]: where }, attributes: ['id'], order: [['id', 'ASC']], limit: q.limit + 1, raw: true });
    const more = ids.length > q.limit;
    const pageIds = ids.slice(0, q.limit).map((r) => r.id);
    const rows = pageIds.length ? await Employee.findAll({ where: { id: pageIds }, include, order: [['id', 'ASC']] }) : [];
    const last = pageIds.at(-1);
    return { data: rows.map(view), page: { limit: q.limit, nextCursor: more && last !== undefined ? encodeCursor([last]) : null } };
  }

  /** Outside the caller's regions is a 404: the record's existence is not disclosed. */
  async get(scope: RegionScope, id: number): Promise<EmployeeView> {
    const e = await Employee.findOne({ where: { [Op.and]: [{ id }, scopeWhere(scope)] }, include });
    if (!e) throw problems.notFound('employee');
    return view(e);
  }
}
