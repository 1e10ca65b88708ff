import type { Principal } from '../../platform/auth/principal';
import { Employee, EmployeeRegion, Permission, Role } from './models';

const TTL_MS = 10_000;

type PrincipalCache = Map<number, { principal: Principal | null; expires: number }>;

/** Every loader's cache in this process (weakly: a dropped app's loader is collected). */
const caches = new Set<WeakRef<PrincipalCache>>();

/**
 * Drops an employee (or everyone) from every principal cache in this process, so the next request
 * reads them afresh: staff administration calls it after committing a deactivation, a role,
 * region or password change. Other processes hear of it through `principalChanges` (Redis), else
 * within TTL_MS.
 */
export function invalidatePrincipal(employeeId?: number): void {
  for (const ref of caches) {
    const cache = ref.deref();
    if (!cache) caches.delete(ref);
    else if (employeeId === undefined) cache.clear();
    else cache.delete(employeeId);
  }
}

/**
 * Turns an employee id from a verified token into a Principal. Cached briefly so the hot path
 * does not hit the database on every request; changes made through staff administration drop the
 * entry at once (invalidatePrincipal), anything else applies within TTL_MS.
 */
export function createPrincipalLoader() {
  const cache: PrincipalCache = new Map();
  caches.add(new WeakRef(cache));

  async function load(employeeId: number): Promise<Principal | null> {
    const hit = cache.get(employeeId);
    if (hit && hit.expires > Date.now()) return hit.principal;
    const employee = await Employee.findByPk(employeeId, {
      attributes: ['id', 'roleId', 'isActive', 'sessionEpoch'],
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
        sessionEpoch: employee.sessionEpoch,
      };
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(employeeId, { principal, expires: Date.now() + TTL_MS });
    return principal;
  }

  return Object.assign(load, { invalidate: (employeeId?: number) => (employeeId ? cache.delete(employeeId) : cache.clear()) });
}
