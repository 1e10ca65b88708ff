import { UniqueConstraintError, type Sequelize, type Transaction } from 'sequelize';
import type { EmployeeActor } from '../../platform/auth/actor';
import { withTransaction } from '../../platform/db/transaction';
import { problems } from '../../platform/http/problem';
import { Employee, Permission, Role, RolePermission } from '../access/models';
import catalog from '../access/permission-catalog.json';
import { PERMISSION_CODES } from '../access/permissions';
import { audit } from '../audit/audit';
import { principalChanged } from '../access/principal-loader';

/** Roles the catalog defines (and seeders keep in step): read-only through the API. */
export const BUILT_IN_ROLES: ReadonlySet<string> = new Set(Object.keys(catalog.roles));

export interface RoleView {
  id: number;
  name: string;
  description: string | null;
  builtIn: boolean;
  permissions: string[];
  employees: number;
}

export interface RoleInput {
  name: string;
  description?: string | null;
  permissions: string[];
}

/**
 * Roles and what they grant. Built-in roles (the catalog's) are read-only here: their grants come
 * from the catalog and its seeders. Custom roles are made from catalog codes; nobody grants a code
 * they do not hold themselves.
 */
export class RoleService {
  constructor(private readonly sequelize: Sequelize) {}

  async list(): Promise<RoleView[]> {
    const roles = await Role.findAll({
      include: [{ model: Permission, as: 'grants', attributes: ['code'], through: { attributes: [] } }],
      order: [['id', 'ASC']],
    });
    const counts = await this.employeeCounts();
    return roles.map((r) => this.view(r, counts.get(r.id) ?? 0));
  }

  async get(id: number, t?: Transaction): Promise<RoleView> {
    const r = await Role.findByPk(id, { include: [{ model: Permission, as: 'grants', attributes: ['code'], through: { attributes: [] } }], transaction: t });
    if (!r) throw problems.notFound('role');
    const n = await Employee.count({ where: { roleId: id }, transaction: t });
    return this.view(r, n);
  }

  async create(actor: EmployeeActor, input: RoleInput): Promise<RoleView> {
    const codes = this.checkCodes(actor, input.permissions);
    const id = await withTransaction(this.sequelize, async (t) => {
      if (await Role.findOne({ where: { name: input.name }, transaction: t }))
        throw problems.conflict(`A role named ${input.name} exists.`, 'duplicate', { field: 'name' });
      const role = await Role.create({ name: input.name, description: input.description ?? null, permissions: codes }, { transaction: t }).catch(
        (err: unknown) => {
          if (err instanceof UniqueConstraintError) throw problems.conflict(`A role named ${input.name} exists.`, 'duplicate', { field: 'name' });
          throw err;
        },
      );
      await this.setGrants(role.id, codes, t);
      await audit.record(t, {
        actor,
        action: 'role.create',
        entity: 'roles',
        entityId: role.id,
        after: { name: role.name, description: role.description, permissions: codes },
      });
      return role.id;
    });
    return this.get(id);
  }

  /** Changes a custom role's description and/or grants (the whole list). Built-in roles are a 409. */
  async update(actor: EmployeeActor, id: number, input: Partial<Omit<RoleInput, 'name'>>): Promise<RoleView> {
    const codes = input.permissions === undefined ? undefined : this.checkCodes(actor, input.permissions);
    await withTransaction(this.sequelize, async (t) => {
      const role = await Role.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
      if (!role) throw problems.notFound('role');
      if (BUILT_IN_ROLES.has(role.name)) {
        throw problems.conflict(`${role.name} is a built-in role: its grants come from the permission catalog. Create a custom role instead.`, 'built-in-role');
      }
      const before = await this.get(id, t);
      // Taking grants away that the caller lacks would be fine; adding them is not (checkCodes). Removing
      // codes the caller does not hold is refused too: they cannot judge what those grant.
      const removed = codes ? before.permissions.filter((c) => !codes.includes(c)) : [];
      const foreign = removed.filter((c) => !actor.permissions.has(c));
      if (foreign.length) throw problems.forbidden(`You cannot take away ${foreign.join(', ')}, which you do not hold.`);
      if (input.description !== undefined) role.description = input.description;
      if (codes) role.permissions = codes;
      await role.save({ transaction: t });
      if (codes) await this.setGrants(id, codes, t);
      await audit.record(t, {
        actor,
        action: 'role.update',
        entity: 'roles',
        entityId: id,
        before: { description: before.description, permissions: before.permissions },
        after: { description: role.description, permissions: codes ?? before.permissions },
      });
    });
    // Everyone holding the role sees the change on their next request.
    await principalChanged();
    return this.get(id);
  }

  /** Codes must be in the catalog (422 naming them) and held by the caller (403). Returns them sorted, once each. */
  private checkCodes(actor: EmployeeActor, codes: string[]): string[] {
    const unique = [...new Set(codes)].sort();
    const unknown = unique.filter((c) => !PERMISSION_CODES.has(c));
    if (unknown.length)
      throw problems.unprocessable(`permissions: unknown code(s) ${unknown.join(', ')}.`, 'unknown-permission', { field: 'permissions', codes: unknown });
    const notHeld = unique.filter((c) => !actor.permissions.has(c));
    if (notHeld.length) throw problems.forbidden(`You cannot grant ${notHeld.join(', ')}, which you do not hold.`);
    return unique;
  }

  private async setGrants(roleId: number, codes: string[], t: Transaction): Promise<void> {
    const perms = codes.length ? await Permission.findAll({ where: { code: codes }, attributes: ['id', 'code'], transaction: t }) : [];
    if (perms.length !== codes.length) {
      const missing = codes.filter((c) => !perms.some((p) => p.code === c));
      throw problems.unprocessable(`permissions: ${missing.join(', ')} not yet in this database (run the seeders).`, 'unknown-permission', {
        field: 'permissions',
      });
    }
    await RolePermission.destroy({ where: { roleId }, transaction: t });
    if (perms.length)
      await RolePermission.bulkCreate(
        perms.map((p) => ({ roleId, permissionId: p.id })),
        { transaction: t },
      );
  }

  private async employeeCounts(): Promise<Map<number, number>> {
    const rows = (await Employee.count({ group: ['roleId'] })) as unknown as { roleId: number; count: number }[];
    return new Map(rows.map((r) => [Number(r.roleId), Number(r.count)]));
  }

  private view(r: Role, employees: number): RoleView {
    return {
      id: r.id,
      name: r.name,
      description: r.description ?? null,
      builtIn: BUILT_IN_ROLES.has(r.name),
      permissions: (r.grants ?? []).map((p) => p.code).sort(),
      employees,
    };
  }
}
