import type { Principal } from '../../platform/auth/principal';
import { Employee, EmployeeRegion, Permission, Role } from './models';

const TTL_MS = 10_000;

/**
 * Turns an employee id from a verified token into a Principal. Cached briefly so the hot path
 * does not hit the database on every request; a deactivated employee loses access within TTL_MS.
 */
export function createPrincipalLoader() {
  const cache = new Map<number, { principal: Principal | null; expires: number }>();

  async function load(employeeId: number): Promise<Principal | null> {
    const hit = cache.get(employeeId);
    if (hit && hit.expires > Date.now()) return hit.principal;
    const employee = await Employee.findByPk(employeeId, {
      attributes: ['id', 'roleId', 'isActive'],
      include: [
        {
          model: Role,
          as: 'role',
          attributes: ['id', 'name'],
          include: [{ model: Permission, as: 'grants', attributes: ['code'], through: { attributes: [] } }],
        },
      ],
    });
    let principal: Principal | null = null;
    if (employee && employee.isActive && employee.role) {
      const regions = await EmployeeRegion.findAll({ where: { employeeId }, attributes: ['regionId'], raw: true });
      principal = {
        employeeId: employee.id,
        roleId: employee.roleId,
        roleName: employee.role.name,
        permissions: new Set((employee.role.grants ?? []).map((p) => p.code)),
        regionIds: regions.map((r) => r.regionId),
      };
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(employeeId, { principal, expires: Date.now() + TTL_MS });
    return principal;
  }

  return Object.assign(load, { invalidate: (employeeId?: number) => (employeeId ? cache.delete(employeeId) : cache.clear()) });
}
