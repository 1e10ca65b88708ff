import { randomBytes } from 'node:crypto';
import { Op, UniqueConstraintError, type Sequelize, type Transaction } from 'sequelize';
import type { EmployeeActor } from '../../platform/auth/actor';
import { ALL_REGIONS_PERMISSION, type RegionScope } from '../../platform/auth/principal';
import { withTransaction } from '../../platform/db/transaction';
import { problems } from '../../platform/http/problem';
import { Account } from '../accounts/models';
import { employeeInclude, employeeView, type EmployeeView } from '../access/employees.service';
import { Department, Employee, EmployeeRegion, Permission, RefreshToken, Role } from '../access/models';
import { audit } from '../audit/audit';
import { Customer } from '../customers/models';
import { CompanyRegion } from '../organisation/models';
import { checkIfMatch } from '../reference-data/resource';
import { PasswordService, type IssuedReset } from './passwords.service';
import { principalChanged } from '../access/principal-loader';

export interface NewEmployee {
  firstName: string;
  lastName: string;
  email?: string | null;
  phone?: string | null;
  roleId: number;
  departmentId?: number | null;
  supervisorId?: number | null;
  regionIds: number[];
  cashLimit?: string | null;
  /** Default: a random E-XXXXXXXX. */
  employeeCode?: string;
}

export type EmployeeChange = Partial<Omit<NewEmployee, 'employeeCode'>>;

/** Accounts that still collect move with a reassignment; closed, written-off and repossessed ones keep their historic agent. */
export const REASSIGNED_ACCOUNT_STATUSES = ['pending', 'active', 'suspended'] as const;

export interface ReassignResult {
  fromEmployeeId: number;
  toEmployeeId: number;
  customers: number;
  accounts: number;
  regionIds: number[];
}

/** What the audit trail keeps of an employee: never the password hash. */
function auditable(e: Employee, regionIds: number[]): Record<string, unknown> {
  return {
    employeeCode: e.employeeCode,
    firstName: e.firstName,
    lastName: e.lastName,
    email: e.email,
    phone: e.phone,
    roleId: e.roleId,
    departmentId: e.departmentId,
    supervisorId: e.supervisorId,
    cashLimit: e.cashLimit,
    isActive: e.isActive,
    regionIds: [...regionIds].sort((a, b) => a - b),
  };
}

const normaliseEmail = (s: string | null | undefined) => (s === undefined ? undefined : s === null ? null : s.trim().toLowerCase());
const normalisePhone = (s: string | null | undefined) => (s === undefined ? undefined : s === null ? null : s.replace(/[\s-]/g, ''));

function inScope(scope: RegionScope, regionIds: readonly number[]): boolean {
  return scope.all || regionIds.some((r) => scope.regionIds.includes(r));
}

/**
 * Staff administration: employees created, changed (If-Match), deactivated and reactivated, and an
 * agent's portfolio reassigned. Every write is audited in its transaction; after a commit that
 * changes what an employee may do, their cached principal is dropped (principalChanged), so the
 * next request sees it.
 */
export class StaffService {
  private readonly passwords: PasswordService;

  constructor(private readonly sequelize: Sequelize) {
    this.passwords = new PasswordService(sequelize);
  }

  async get(id: number, t?: Transaction): Promise<Employee> {
    const e = await Employee.findByPk(id, { include: employeeInclude, transaction: t });
    if (!e) throw problems.notFound('employee');
    return e;
  }

  async view(id: number): Promise<EmployeeView> {
    return employeeView(await this.get(id));
  }

  /**
   * Creates an active employee with no password, and a one-time reset token to set one. `actor`
   * null is the operator's CLI (`amt staff:create`): trusted like the database, so no grant or
   * region checks, and the audit row has no user.
   */
  async create(actor: EmployeeActor | null, input: NewEmployee, resetTtlMinutes?: number): Promise<{ employee: EmployeeView; passwordReset: IssuedReset }> {
    const email = normaliseEmail(input.email) ?? null;
    const phone = normalisePhone(input.phone) ?? null;
    const { employee, reset } = await withTransaction(this.sequelize, async (t) => {
      await this.checkRole(actor, input.roleId, t, 'roleId');
      await this.checkRegions(actor, input.regionIds, t);
      if (input.departmentId) await this.checkDepartment(input.departmentId, t);
      if (input.supervisorId) await this.checkSupervisor(actor, input.supervisorId, null, t);
      await this.checkUnique({ email, phone, employeeCode: input.employeeCode }, null, t);
      const created = await Employee.create(
        {
          employeeCode: input.employeeCode ?? `E-${randomBytes(4).toString('hex').toUpperCase()}`,
          firstName: input.firstName,
          lastName: input.lastName,
          email,
          phone,
          passwordHash: null,
          roleId: input.roleId,
          departmentId: input.departmentId ?? null,
          supervisorId: input.supervisorId ?? null,
          cashLimit: input.cashLimit ?? null,
          isActive: true,
        },
        { transaction: t },
      ).catch(uniqueAsConflict);
      const regionIds = [...new Set(input.regionIds)];
      if (regionIds.length)
        await EmployeeRegion.bulkCreate(
          regionIds.map((regionId) => ({ employeeId: created.id, regionId })),
          { transaction: t },
        );
      await audit.record(t, {
        actor,
        action: 'employee.create',
        entity: 'employees',
        entityId: created.id,
        before: null,
        after: auditable(created, regionIds),
      });
      const issued = await this.passwords.issueReset(t, actor, created.id, resetTtlMinutes);
      return { employee: created, reset: issued };
    });
    return { employee: await this.view(employee.id), passwordReset: reset };
  }

  /** Changes an employee at the version named by If-Match (428 without it, 412 when stale). */
  async update(actor: EmployeeActor, id: number, ifMatch: string | undefined, change: EmployeeChange): Promise<EmployeeView> {
    if (!ifMatch?.trim()) checkIfMatch(undefined, 0, true);
    let affectsAccess = false;
    await withTransaction(this.sequelize, async (t) => {
      const e = await this.lockVisible(actor, id, t);
      checkIfMatch(ifMatch, e.version, true);
      await this.checkManageable(actor, e, t);
      const beforeRegions = await this.regionIdsOf(e.id, t);
      const before = auditable(e, beforeRegions);
      if (change.roleId !== undefined && change.roleId !== e.roleId) {
        if (e.id === actor.employeeId) throw problems.unprocessable('roleId: you cannot change your own role.', 'own-role', { field: 'roleId' });
        await this.checkRole(actor, change.roleId, t, 'roleId');
        affectsAccess = true;
      }
      if (change.departmentId) await this.checkDepartment(change.departmentId, t);
      if (change.supervisorId) await this.checkSupervisor(actor, change.supervisorId, e.id, t);
      const email = normaliseEmail(change.email);
      const phone = normalisePhone(change.phone);
      await this.checkUnique({ email, phone }, e.id, t);
      const values: Partial<Employee> = {};
      if (change.firstName !== undefined) values.firstName = change.firstName;
      if (change.lastName !== undefined) values.lastName = change.lastName;
      if (email !== undefined) values.email = email;
      if (phone !== undefined) values.phone = phone;
      if (change.roleId !== undefined) values.roleId = change.roleId;
      if (change.departmentId !== undefined) values.departmentId = change.departmentId;
      if (change.supervisorId !== undefined) values.supervisorId = change.supervisorId;
      if (change.cashLimit !== undefined) values.cashLimit = change.cashLimit;
      e.set(values);
      if (!e.email && !e.phone) throw problems.unprocessable('An employee keeps an e-mail or a phone to log in with.', 'no-login', { field: 'email' });
      let afterRegions = beforeRegions;
      if (change.regionIds !== undefined) {
        const wanted = [...new Set(change.regionIds)].sort((a, b) => a - b);
        if (wanted.join(',') !== beforeRegions.join(',')) {
          await this.checkRegions(actor, wanted, t, beforeRegions);
          const dropped = beforeRegions.filter((r) => !wanted.includes(r));
          const scope = actor.scope;
          if (!scope.all && dropped.some((r) => !scope.regionIds.includes(r))) {
            throw problems.forbidden('You may only take away regions of your own.');
          }
          await EmployeeRegion.destroy({ where: { employeeId: e.id, regionId: { [Op.notIn]: wanted.length ? wanted : [0] } }, transaction: t });
          const added = wanted.filter((r) => !beforeRegions.includes(r));
          if (added.length)
            await EmployeeRegion.bulkCreate(
              added.map((regionId) => ({ employeeId: e.id, regionId })),
              { transaction: t },
            );
          afterRegions = wanted;
          affectsAccess = true;
          // A region change alone still moves the version (the ETag covers the regions too).
          if (!e.changed()) e.changed('roleId', true);
        }
      }
      if (!e.changed()) return;
      await e.save({ transaction: t }).catch(uniqueAsConflict);
      await audit.record(t, { actor, action: 'employee.update', entity: 'employees', entityId: e.id, before, after: auditable(e, afterRegions) });
    });
    if (affectsAccess) await principalChanged(id);
    return this.view(id);
  }

  /**
   * Deactivates (idempotent): the employee can no longer log in or refresh, every refresh token and
   * unused reset token is revoked, and access tokens already issued are refused from the next
   * request (sessionEpoch). Their customers and accounts stay, to be reassigned.
   */
  async deactivate(actor: EmployeeActor, id: number, ifMatch: string | undefined, reason: string | undefined): Promise<EmployeeView> {
    await withTransaction(this.sequelize, async (t) => {
      const e = await this.lockVisible(actor, id, t);
      checkIfMatch(ifMatch, e.version, false);
      if (e.id === actor.employeeId) throw problems.unprocessable('You cannot deactivate yourself.', 'own-account');
      await this.checkManageable(actor, e, t);
      if (!e.isActive) return;
      e.set({ isActive: false, sessionEpoch: e.sessionEpoch + 1 });
      await e.save({ transaction: t });
      const now = new Date();
      const [revoked] = await RefreshToken.update(
        { revokedAt: now, revokedReason: 'deactivated' },
        { where: { employeeId: e.id, revokedAt: null }, transaction: t },
      );
      await this.passwords.revokeResets(t, e.id);
      await audit.record(t, {
        actor,
        action: 'employee.deactivate',
        entity: 'employees',
        entityId: e.id,
        before: { isActive: true },
        after: { isActive: false, reason: reason ?? null, refreshTokensRevoked: revoked },
      });
    });
    await principalChanged(id);
    return this.view(id);
  }

  /** Issues a one-time password reset token for an employee the caller may manage (earlier ones stop working). */
  async issueReset(actor: EmployeeActor, id: number): Promise<IssuedReset> {
    return withTransaction(this.sequelize, async (t) => {
      const e = await this.lockVisible(actor, id, t);
      await this.checkManageable(actor, e, t);
      if (!e.isActive) throw problems.unprocessable('This employee is deactivated: reactivate them first.', 'inactive-employee');
      return this.passwords.issueReset(t, actor, e.id);
    });
  }

  /** Reactivates (idempotent). Old sessions stay ended; the employee logs in again (or is issued a reset). */
  async reactivate(actor: EmployeeActor, id: number, ifMatch: string | undefined): Promise<EmployeeView> {
    await withTransaction(this.sequelize, async (t) => {
      const e = await this.lockVisible(actor, id, t);
      checkIfMatch(ifMatch, e.version, false);
      await this.checkManageable(actor, e, t);
      if (e.isActive) return;
      e.set({ isActive: true });
      await e.save({ transaction: t });
      await audit.record(t, {
        actor,
        action: 'employee.reactivate',
        entity: 'employees',
        entityId: e.id,
        before: { isActive: false },
        after: { isActive: true },
      });
    });
    await principalChanged(id);
    return this.view(id);
  }

  /**
   * Moves `fromId`'s customers, and accounts that still collect, to `toId`, in one transaction:
   * only records in the caller's regions (and in `regionId` when given), and only when `toId`
   * covers every region moved (422 naming the missing ones). Commission entries already earned
   * stay with the earner: they are not touched; what accrues from now goes to the new agent.
   * Running it again moves nothing more. `beforeCommit` stores the idempotent answer in the transaction.
   */
  async reassign(
    actor: EmployeeActor,
    fromId: number,
    input: { toEmployeeId: number; regionId?: number },
    beforeCommit?: (result: ReassignResult, t: Transaction) => Promise<void>,
  ): Promise<ReassignResult> {
    return withTransaction(this.sequelize, async (t) => {
      if (fromId === input.toEmployeeId)
        throw problems.unprocessable('toEmployeeId: an agent cannot be reassigned to themselves.', 'same-employee', { field: 'toEmployeeId' });
      // Both rows locked, lower id first, so two reassignments between the same pair never deadlock.
      const [first, second] = [fromId, input.toEmployeeId].sort((a, b) => a - b);
      const locked = new Map<number, Employee>();
      for (const id of [first!, second!]) {
        const e = await Employee.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
        if (!e || !inScope(actor.scope, await this.regionIdsOf(id, t))) throw problems.notFound('employee');
        locked.set(id, e);
      }
      const to = locked.get(input.toEmployeeId)!;
      if (!to.isActive) throw problems.unprocessable('toEmployeeId: that employee is deactivated.', 'inactive-employee', { field: 'toEmployeeId' });
      if (input.regionId !== undefined && !actor.scope.all && !actor.scope.regionIds.includes(input.regionId)) throw problems.notFound('region');

      const regionWhere: Record<string, unknown>[] = [];
      if (!actor.scope.all) regionWhere.push({ regionId: { [Op.in]: actor.scope.regionIds.length ? [...actor.scope.regionIds] : [0] } });
      if (input.regionId !== undefined) regionWhere.push({ regionId: input.regionId });
      const customers = await Customer.findAll({
        where: { [Op.and]: [{ agentId: fromId }, ...regionWhere] },
        attributes: ['id', 'regionId'],
        transaction: t,
        lock: t.LOCK.UPDATE,
      });
      const accounts = await Account.findAll({
        where: { [Op.and]: [{ agentId: fromId, status: { [Op.in]: [...REASSIGNED_ACCOUNT_STATUSES] } }, ...regionWhere] },
        attributes: ['id', 'regionId'],
        transaction: t,
        lock: t.LOCK.UPDATE,
      });
      const regionIds = [...new Set([...customers, ...accounts].map((r) => r.regionId))].sort((a, b) => a - b);
      const covers = await this.coversAll(to, regionIds, t);
      if (covers.length) {
        throw problems.unprocessable(`toEmployeeId does not cover region(s) ${covers.join(', ')} of the records to move.`, 'region-not-covered', {
          field: 'toEmployeeId',
          regionIds: covers,
        });
      }
      const customerIds = customers.map((c) => c.id);
      const accountIds = accounts.map((a) => a.id);
      if (customerIds.length) await Customer.update({ agentId: to.id }, { where: { id: customerIds }, transaction: t });
      if (accountIds.length) await Account.update({ agentId: to.id }, { where: { id: accountIds }, transaction: t });
      const result: ReassignResult = { fromEmployeeId: fromId, toEmployeeId: to.id, customers: customerIds.length, accounts: accountIds.length, regionIds };
      await audit.record(t, {
        actor,
        action: 'employee.reassign_portfolio',
        entity: 'employees',
        entityId: fromId,
        before: { agentId: fromId },
        after: { agentId: to.id, regionId: input.regionId ?? null, customerIds, accountIds },
      });
      await beforeCommit?.(result, t);
      return result;
    });
  }

  // ----------------------------------------------------------------------------------------------

  /** Locks the employee; one the caller may not see (no shared region) is a 404. */
  private async lockVisible(actor: EmployeeActor, id: number, t: Transaction): Promise<Employee> {
    const e = await Employee.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
    if (!e) throw problems.notFound('employee');
    if (!actor.scope.all && !inScope(actor.scope, await this.regionIdsOf(id, t))) throw problems.notFound('employee');
    return e;
  }

  private async regionIdsOf(employeeId: number, t: Transaction): Promise<number[]> {
    const rows = await EmployeeRegion.findAll({ where: { employeeId }, attributes: ['regionId'], transaction: t, raw: true });
    return rows.map((r) => r.regionId).sort((a, b) => a - b);
  }

  private async grantsOf(roleId: number, t: Transaction): Promise<string[] | null> {
    const role = await Role.findByPk(roleId, {
      include: [{ model: Permission, as: 'grants', attributes: ['code'], through: { attributes: [] } }],
      transaction: t,
    });
    return role ? (role.grants ?? []).map((p) => p.code) : null;
  }

  /** The role exists (422) and grants nothing the caller lacks (403: no one hands out more than they hold). */
  private async checkRole(actor: EmployeeActor | null, roleId: number, t: Transaction, field: string): Promise<void> {
    const grants = await this.grantsOf(roleId, t);
    if (!grants) throw problems.unprocessable(`${field} names no role.`, 'unknown-role', { field });
    if (!actor) return;
    const missing = grants.filter((g) => !actor.permissions.has(g));
    if (missing.length) throw problems.forbidden(`That role grants ${missing.join(', ')}, which you do not hold.`);
  }

  /** An employee whose role grants more than the caller holds is not theirs to change. */
  private async checkManageable(actor: EmployeeActor, e: Employee, t: Transaction): Promise<void> {
    const grants = (await this.grantsOf(e.roleId, t)) ?? [];
    const missing = grants.filter((g) => !actor.permissions.has(g));
    if (missing.length) throw problems.forbidden(`This employee's role grants ${missing.join(', ')}, which you do not hold.`);
  }

  /** Regions exist (422); a caller limited to regions may only add their own (403). `kept` are already assigned. */
  private async checkRegions(actor: EmployeeActor | null, regionIds: number[], t: Transaction, kept: number[] = []): Promise<void> {
    const ids = [...new Set(regionIds)];
    if (!ids.length) return;
    const found = await CompanyRegion.count({ where: { id: ids }, transaction: t });
    if (found !== ids.length) throw problems.unprocessable('regionIds names a region that does not exist.', 'unknown-region', { field: 'regionIds' });
    if (actor && !actor.scope.all) {
      const scoped = actor.scope.regionIds;
      const outside = ids.filter((r) => !kept.includes(r) && !scoped.includes(r));
      if (outside.length) throw problems.forbidden(`You may only assign your own regions (not ${outside.join(', ')}).`);
    }
  }

  private async checkDepartment(departmentId: number, t: Transaction): Promise<void> {
    const d = await Department.findByPk(departmentId, { transaction: t });
    if (!d || !d.isActive) throw problems.unprocessable('departmentId names no active department.', 'unknown-department', { field: 'departmentId' });
  }

  /** The supervisor is an active employee the caller may see, not the employee, and not one of their reports (no cycle). */
  private async checkSupervisor(actor: EmployeeActor | null, supervisorId: number, employeeId: number | null, t: Transaction): Promise<void> {
    const bad = (why: string) => problems.unprocessable(`supervisorId ${why}.`, 'bad-supervisor', { field: 'supervisorId' });
    if (supervisorId === employeeId) throw bad('cannot be the employee themselves');
    const s = await Employee.findByPk(supervisorId, { transaction: t });
    const visible = !actor || actor.scope.all || (s !== null && inScope(actor.scope, await this.regionIdsOf(s.id, t)));
    if (!s || !s.isActive || !visible) throw bad('names no active employee you can see');
    if (employeeId === null) return;
    let next: number | null = s.supervisorId;
    for (let hops = 0; next !== null && hops < 100; hops++) {
      if (next === employeeId) throw bad('would make a supervision cycle');
      const up: Employee | null = await Employee.findByPk(next, { attributes: ['id', 'supervisorId'], transaction: t });
      next = up?.supervisorId ?? null;
    }
  }

  /** 409 naming the field when the e-mail, phone or code is taken (deactivated and deleted employees included). */
  private async checkUnique(
    values: { email?: string | null; phone?: string | null; employeeCode?: string },
    self: number | null,
    t: Transaction,
  ): Promise<void> {
    for (const field of ['email', 'phone', 'employeeCode'] as const) {
      const value = values[field];
      if (value === undefined || value === null) continue;
      const other = await Employee.findOne({ where: { [field]: value }, paranoid: false, attributes: ['id'], transaction: t });
      if (other && other.id !== self) throw problems.conflict(`${field} is already taken by employee ${other.id}.`, 'duplicate', { field });
    }
  }

  /** Regions of `regionIds` the employee does not cover (none for regions:all). */
  private async coversAll(e: Employee, regionIds: number[], t: Transaction): Promise<number[]> {
    if (!regionIds.length) return [];
    const grants = (await this.grantsOf(e.roleId, t)) ?? [];
    if (grants.includes(ALL_REGIONS_PERMISSION)) return [];
    const covered = await this.regionIdsOf(e.id, t);
    return regionIds.filter((r) => !covered.includes(r));
  }
}

function uniqueAsConflict(err: unknown): never {
  if (err instanceof UniqueConstraintError) {
    const field = Object.keys(err.fields ?? {})[0] ?? 'value';
    throw problems.conflict(`${field} is already taken.`, 'duplicate', { field });
  }
  throw err;
}
