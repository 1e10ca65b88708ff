import { Op, QueryTypes, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import type { EmployeeActor, ScopedActor } from '../../platform/auth/actor';
import { inRegionScope, regionWhere } from '../../platform/auth/principal';
import type { AppContext } from '../../platform/context';
import { dataCrypto, type DataCrypto } from '../../platform/crypto';
import type { PhotoReference } from '../../platform/http/schemas';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, pageOf, type Paged } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString } from '../../platform/money';
import { Employee, EmployeeRegion } from '../access/models';
import { transition } from '../accounts/lifecycle';
import { Account, AccountDevice, CreditDayEntry, InstallmentSchedule, Repossession, type RepossessionStatus } from '../accounts/models';
import { audit } from '../audit/audit';
import { requestWriteoff } from '../billing/writeoff.service';
import { Product } from '../catalogue/models';
import { FieldVisit, FieldVisitPhoto } from '../collections/models';
import { remainingDays } from '../devices/credit.service';
import { Device, DeviceEvent, type DeviceStatus } from '../devices/models';
import { DeviceTokenError, lockDevice, mintTokens, wholeSeconds } from '../devices/tokens';
import { applyMovements } from '../inventory/stock';
import { LEDGER } from '../ledger/chart';
import { postEntry } from '../ledger/journal.service';
import { Warehouse } from '../organisation/reference.models';
import { lockAccount, preparedAccount, settleAccount } from '../accounts/settlement';

/** How a recovered unit is graded, and what each grade means for the stock and the books. */
export const CONDITION_GRADES = ['good', 'refurbishable', 'faulty'] as const;
export type ConditionGrade = (typeof CONDITION_GRADES)[number];

/**
 * The share of the unit's cost the ledger books for each grade (docs/repossession.md): a good unit
 * is resold as it is (stored), a refurbishable one needs work first (in_repair), a faulty one is
 * kept for parts (in_repair, worth nothing on the books).
 */
export const GRADE_VALUE_SHARE: Record<ConditionGrade, string> = { good: '1', refurbishable: '0.5', faulty: '0' };
const GRADE_DEVICE_STATUS: Record<ConditionGrade, DeviceStatus> = { good: 'stored', refurbishable: 'in_repair', faulty: 'in_repair' };

/** Who records the outcome of a repossession: the field agent assigned, or whoever may assign. */
export const RECORD = 'repossessions:record';
export const ASSIGN = 'repossessions:assign';

export interface RecoverInput {
  condition: ConditionGrade;
  warehouseId: number;
  latitude: number;
  longitude: number;
  photos: PhotoReference[];
  notes?: string;
}

export interface RepossessionListQuery {
  status?: RepossessionStatus;
  assignedTo?: number;
  accountId?: number;
  limit: number;
  cursor?: string;
}

export function repossessionView(r: Repossession) {
  return {
    id: r.id,
    accountId: r.accountId,
    deviceId: r.deviceId ?? null,
    reason: r.reason ?? null,
    status: r.status,
    scheduledFor: r.scheduledFor,
    assignedTo: r.assignedTo ?? null,
    assignedBy: r.assignedBy ?? null,
    assignedAt: r.assignedAt ? r.assignedAt.toISOString() : null,
    repossessedAt: r.repossessedAt ? r.repossessedAt.toISOString() : null,
    performedBy: r.performedBy ?? null,
    condition: r.condition ?? null,
    warehouseId: r.warehouseId ?? null,
    fieldVisitId: r.fieldVisitId ?? null,
    failureReason: r.failureReason ?? null,
    recoveredValue: r.recoveredValue ?? null,
    journalEntryId: r.journalEntryId ?? null,
    writeoffId: r.writeoffId ?? null,
    deviceTokenId: r.deviceTokenId ?? null,
    createdAt: r.createdAt.toISOString(),
  };
}

/**
 * Repossession: an account marked for repossession (collections/status-actions.ts schedules the
 * row) is assigned to a field agent, who records the outcome: recovered (graded, photos, GPS) or
 * failed (a reason). The recovery is one transaction, the account row locked first: the device
 * locked out (a SET_TIME 0 token) and detached, the unit back in stock, the account repossessed,
 * the unit's value booked (Dr 1300 inventory / Cr 1200 receivable, the newest open instalments
 * reduced by it) and a write-off requested for what remains. See docs/repossession.md.
 */
export class RepossessionService {
  private readonly sequelize: Sequelize;
  private readonly crypto: DataCrypto;

  constructor(ctx: Pick<AppContext, 'sequelize' | 'config'>) {
    this.sequelize = ctx.sequelize;
    this.crypto = dataCrypto(ctx.config.dataEncryptionKey);
  }

  private async visible(actor: ScopedActor, id: number, t?: Transaction): Promise<{ r: Repossession; account: Account }> {
    const r = await Repossession.findByPk(id, { transaction: t });
    const account = r ? await Account.findByPk(r.accountId, { attributes: ['id', 'regionId'], transaction: t }) : null;
    if (!r || !account || !inRegionScope(actor.scope, account.regionId)) throw problems.notFound('repossession');
    return { r, account };
  }

  async get(actor: ScopedActor, id: number): Promise<Repossession> {
    return (await this.visible(actor, id)).r;
  }

  async list(actor: ScopedActor, q: RepossessionListQuery): Promise<Paged<Repossession>> {
    const where: WhereOptions[] = [];
    if (q.status) where.push({ status: q.status });
    if (q.assignedTo) where.push({ assignedTo: q.assignedTo });
    if (q.accountId) where.push({ accountId: q.accountId });
    if (q.cursor) where.push({ id: { [Op.lt]: decodeIdCursor(q.cursor) } });
    const rows = await Repossession.findAll({
      where: { [Op.and]: where },
      include: [
        {
          model: Account,
          as: 'account',
          attributes: ['id', 'regionId'],
          where: regionWhere(actor.scope),
        },
      ],
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  /** Assigns (or reassigns) a scheduled or assigned repossession to a field agent: active, holding repossessions:record, covering the account's region (422). */
  async assign(actor: EmployeeActor, id: number, input: { employeeId: number; notes?: string }): Promise<Repossession> {
    const { account: seen } = await this.visible(actor, id);
    return withTransaction(this.sequelize, async (t) => {
      await lockAccount(seen.id, t);
      const r = (await Repossession.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      if (r.status !== 'scheduled' && r.status !== 'assigned') {
        throw problems.conflict(`This repossession is already ${r.status}.`, 'illegal-repossession-step', { status: r.status });
      }
      await this.assertMayRecover(input.employeeId, seen.regionId, t);
      const before = { status: r.status, assignedTo: r.assignedTo ?? null };
      await r.update({ status: 'assigned', assignedTo: input.employeeId, assignedBy: actor.employeeId, assignedAt: new Date() }, { transaction: t });
      await audit.record(t, {
        actor,
        action: 'repossession.assign',
        entity: 'repossessions',
        entityId: r.id,
        before,
        after: { status: 'assigned', assignedTo: input.employeeId, ...(input.notes ? { notes: input.notes } : {}) },
      });
      return r;
    });
  }

  private async assertMayRecover(employeeId: number, regionId: number, t: Transaction): Promise<void> {
    const rows = await this.sequelize.query<{ code: string }>(
      `SELECT pm.code FROM employees e JOIN rolePermissions rp ON rp.roleId = e.roleId JOIN permissions pm ON pm.id = rp.permissionId
        WHERE e.id = ? AND e.isActive = ? AND e.deletedAt IS NULL AND pm.code IN (?, 'regions:all')`,
      { replacements: [employeeId, true, RECORD], type: QueryTypes.SELECT, transaction: t },
    );
    const codes = new Set(rows.map((r) => r.code));
    const covers = codes.has('regions:all') || (await EmployeeRegion.count({ where: { employeeId, regionId }, transaction: t })) > 0;
    if (!codes.has(RECORD) || !covers) {
      const exists = (await Employee.count({ where: { id: employeeId }, transaction: t })) > 0;
      throw problems.unprocessable(
        exists ? `Employee ${employeeId} cannot carry out this repossession (active, ${RECORD}, the account's region).` : `No employee ${employeeId}.`,
        'cannot-repossess',
        { errors: [{ field: 'employeeId', in: 'body', message: exists ? 'cannot carry out repossessions in this region' : 'no such employee' }] },
      );
    }
  }

  /** The assigned agent records; so may whoever holds repossessions:assign (on the agent's behalf). Others: 403. */
  private checkRecorder(actor: EmployeeActor, r: Repossession): void {
    if (r.status !== 'assigned') {
      throw problems.conflict(
        r.status === 'scheduled' ? 'This repossession is not assigned to a field agent yet.' : `This repossession is already ${r.status}.`,
        'illegal-repossession-step',
        { status: r.status },
      );
    }
    if (r.assignedTo !== actor.employeeId && !actor.permissions.has(ASSIGN)) throw problems.forbidden('This repossession is assigned to another agent.');
  }

  /** The agent could not take the unit back: the repossession fails with a reason (it may be marked again later). */
  async fail(actor: EmployeeActor, id: number, input: { reason: string; latitude?: number; longitude?: number }): Promise<Repossession> {
    const { account: seen } = await this.visible(actor, id);
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(seen.id, t);
      const r = (await Repossession.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      this.checkRecorder(actor, r);
      const { calendar } = await preparedAccount(account, t);
      const visit = await FieldVisit.create(
        {
          employeeId: actor.employeeId,
          customerId: account.customerId,
          accountId: account.id,
          purpose: 'repossession',
          scheduledFor: calendar.businessDate,
          visitedAt: new Date(),
          latitude: input.latitude !== undefined ? input.latitude.toFixed(7) : null,
          longitude: input.longitude !== undefined ? input.longitude.toFixed(7) : null,
          outcome: 'failed',
          notes: input.reason,
        },
        { transaction: t },
      );
      await r.update({ status: 'failed', failureReason: input.reason, performedBy: actor.employeeId, fieldVisitId: visit.id }, { transaction: t });
      await account.save({ transaction: t });
      await audit.record(t, {
        actor,
        action: 'repossession.fail',
        entity: 'repossessions',
        entityId: r.id,
        before: { status: 'assigned' },
        after: { status: 'failed', reason: input.reason, fieldVisitId: visit.id },
      });
      return r;
    });
  }

  /** The unit is taken back (see the class comment): everything in one transaction, the account row locked first. */
  async recover(actor: EmployeeActor, id: number, input: RecoverInput): Promise<Repossession> {
    const { account: seen } = await this.visible(actor, id);
    const warehouse = await Warehouse.findByPk(input.warehouseId, { attributes: ['id', 'regionId', 'isActive'] });
    if (!warehouse || !warehouse.isActive || warehouse.regionId !== seen.regionId) {
      throw problems.validation([{ field: 'warehouseId', in: 'body', message: "no active warehouse with this id in the account's region" }]);
    }
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(seen.id, t);
      const r = (await Repossession.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      this.checkRecorder(actor, r);
      if (account.status !== 'active' && account.status !== 'suspended') {
        throw problems.conflict(`An account that is ${account.status} cannot be repossessed.`, 'illegal-transition', {
          from: account.status,
          to: 'repossessed',
        });
      }
      const { calendar, payplan } = await preparedAccount(account, t);
      const businessDate = calendar.businessDate;
      const now = new Date();

      // The unit: the account's device (the one linked now), locked after the account.
      const link = await AccountDevice.findOne({ where: { accountId: account.id, status: 'active' }, order: [['id', 'DESC']], transaction: t });
      if (!link) throw problems.conflict('The account has no device attached: there is no unit to recover.', 'no-device');
      const device = (await lockDevice(link.deviceId, t))!;
      if (device.warehouseId !== null) throw problems.conflict('This device is already in stock.', 'already-in-stock', { warehouseId: device.warehouseId });

      // 1. Locked out: a SET_TIME 0 token (the device has no days left once it is entered) when it takes tokens, and no credit on the account.
      let deviceTokenId: number | null = null;
      try {
        const [token] = await mintTokens(
          this.crypto,
          device,
          { type: 'SET_TIME', value: 0, source: 'system', accountId: account.id, requestedBy: actor.employeeId, reason: `repossession ${r.id}` },
          t,
        );
        deviceTokenId = token!.id;
      } catch (err) {
        // A device without an OpenPAYGO key takes no token; it is locked by being taken back.
        if (!(err instanceof DeviceTokenError && err.code === 'no-openpaygo-key')) throw err;
      }
      const left = remainingDays(account.creditExpiresAt ?? null, now);
      if (left > 0) {
        const expiry = wholeSeconds(now.getTime());
        await CreditDayEntry.create(
          {
            accountId: account.id,
            deviceId: device.id,
            days: -left,
            reason: 'removal',
            note: `repossession ${r.id}`,
            createdBy: actor.employeeId,
            creditExpiresAt: expiry,
          },
          { transaction: t },
        );
        account.creditExpiresAt = expiry;
      }

      // 2. Detached and back in stock.
      const grade = input.condition;
      const deviceStatus = GRADE_DEVICE_STATUS[grade];
      await link.update({ status: grade === 'faulty' ? 'faulty' : 'inactive' }, { transaction: t });
      await Device.update({ status: deviceStatus, warehouseId: warehouse.id }, { where: { id: device.id }, transaction: t });
      await DeviceEvent.create(
        {
          deviceId: device.id,
          eventType: 'repossessed',
          payload: { repossessionId: r.id, accountId: account.id, warehouseId: warehouse.id, condition: grade },
          occurredAt: now,
          createdBy: actor.employeeId,
        },
        { transaction: t },
      );
      await applyMovements(t, [
        {
          warehouseId: warehouse.id,
          productId: device.productId,
          deviceId: device.id,
          quantity: 1,
          movementType: 'repossession',
          referenceType: 'repossessions',
          referenceId: r.id,
          note: `${grade}: account ${account.accountNumber}`,
          createdBy: actor.employeeId,
        },
      ]);

      // 3. The unit's value: Dr 1300 / Cr 1200, the newest open instalments reduced by it.
      const value = await this.unitValue(device, grade, t);
      const booked = await this.reduceInstallments(account.id, value, t);
      let journalEntryId: number | null = null;
      if (booked.greaterThan(0)) {
        account.balance = toMoneyString(new Decimal(account.balance).minus(booked));
        const entry = await postEntry(
          {
            businessDate,
            countryId: calendar.countryId,
            description: `Repossession of ${account.accountNumber}: unit ${device.serialNumber} recovered (${grade})`,
            sourceType: 'repossession',
            sourceId: r.id,
            accountId: account.id,
            currency: calendar.currency,
            createdBy: actor.employeeId,
            lines: [
              { ledger: LEDGER.inventory, debit: toMoneyString(booked), memo: `recovered unit ${device.serialNumber}` },
              { ledger: LEDGER.loansReceivable, credit: toMoneyString(booked), accountId: account.id },
            ],
          },
          t,
        );
        journalEntryId = entry.id;
      }

      // 4. The account: repossessed (the lifecycle allows it from active or suspended), DPD and bucket after.
      await transition(
        account,
        'repossessed',
        { by: actor.employeeId, businessDate, reason: `repossessed: ${r.reason ?? 'repossession ' + r.id}`.slice(0, 255) },
        t,
      );
      await settleAccount(account, payplan, businessDate, { by: actor.employeeId, reason: 'repossession' }, t);
      await account.save({ transaction: t });

      // 5. What remains owed: a write-off requested by the recording employee, approved by another.
      const writeoff = new Decimal(account.balance).greaterThan(0)
        ? await requestWriteoff(account, actor, `Remaining after repossession ${r.id} (unit ${device.serialNumber}, ${grade})`, t)
        : null;

      const visit = await FieldVisit.create(
        {
          employeeId: actor.employeeId,
          customerId: account.customerId,
          accountId: account.id,
          purpose: 'repossession',
          scheduledFor: businessDate,
          visitedAt: now,
          latitude: input.latitude.toFixed(7),
          longitude: input.longitude.toFixed(7),
          outcome: 'recovered',
          notes: input.notes ?? null,
        },
        { transaction: t },
      );
      if (input.photos.length) {
        await FieldVisitPhoto.bulkCreate(
          input.photos.map((p) => ({
            fieldVisitId: visit.id,
            reference: p.reference,
            mimeType: p.mimeType,
            sizeBytes: p.sizeBytes ?? null,
            sha256: p.sha256 ?? null,
            caption: p.caption ?? null,
            takenAt: p.takenAt ? new Date(p.takenAt) : null,
          })),
          { transaction: t },
        );
      }
      await r.update(
        {
          status: 'completed',
          deviceId: device.id,
          repossessedAt: now,
          performedBy: actor.employeeId,
          warehouseId: warehouse.id,
          condition: grade,
          fieldVisitId: visit.id,
          recoveredValue: toMoneyString(booked),
          journalEntryId,
          writeoffId: writeoff?.id ?? null,
          deviceTokenId,
        },
        { transaction: t },
      );
      await audit.record(t, {
        actor,
        action: 'repossession.recover',
        entity: 'repossessions',
        entityId: r.id,
        before: { status: 'assigned', accountStatus: 'active/suspended' },
        after: {
          status: 'completed',
          deviceId: device.id,
          condition: grade,
          warehouseId: warehouse.id,
          recoveredValue: toMoneyString(booked),
          journalEntryId,
          writeoffId: writeoff?.id ?? null,
          deviceTokenId,
          photos: input.photos.length,
        },
      });
      return r;
    });
  }

  /**
   * The recovered unit's value: its cost (the purchase order line it was received on; a unit
   * registered outside any order, the product's list price) times the grade's share.
   */
  private async unitValue(device: Device, grade: ConditionGrade, t: Transaction): Promise<Decimal> {
    let cost: string | null = null;
    if (device.purchaseOrderItemId) {
      const [line] = await this.sequelize.query<{ unitCost: string }>('SELECT unitCost FROM purchaseOrderItems WHERE id = ?', {
        replacements: [device.purchaseOrderItemId],
        type: QueryTypes.SELECT,
        transaction: t,
      });
      cost = line?.unitCost ?? null;
    }
    if (cost === null) cost = (await Product.findByPk(device.productId, { attributes: ['id', 'price'], transaction: t }))?.price ?? '0';
    return new Decimal(cost).times(GRADE_VALUE_SHARE[grade]).toDecimalPlaces(2, Decimal.ROUND_DOWN);
  }

  /**
   * Lowers what the open instalments owe by up to `value`, newest first: an instalment covered in
   * full is waived, the one covered in part keeps the rest (its amount lowered). Charges are left
   * to the write-off. Returns what was taken (the value, at most what the instalments owe).
   */
  private async reduceInstallments(accountId: number, value: Decimal, t: Transaction): Promise<Decimal> {
    let rest = value;
    if (!rest.greaterThan(0)) return new Decimal(0);
    const open = await InstallmentSchedule.findAll({
      where: { accountId, status: { [Op.in]: ['pending', 'partial', 'overdue'] } },
      order: [
        ['dueDate', 'DESC'],
        ['installmentNumber', 'DESC'],
      ],
      transaction: t,
    });
    let taken = new Decimal(0);
    for (const i of open) {
      if (!rest.greaterThan(0)) break;
      const owed = new Decimal(i.amount).minus(i.paidAmount);
      if (!owed.greaterThan(0)) continue;
      if (rest.greaterThanOrEqualTo(owed)) {
        await i.update({ status: 'waived' }, { transaction: t });
        rest = rest.minus(owed);
        taken = taken.plus(owed);
      } else {
        await i.update({ amount: toMoneyString(new Decimal(i.amount).minus(rest)) }, { transaction: t });
        taken = taken.plus(rest);
        rest = new Decimal(0);
      }
    }
    return taken;
  }
}
