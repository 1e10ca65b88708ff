import { Op, UniqueConstraintError, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import { pendingAfterWhere, PENDING_ORDER, refuseOwnRequest, type Decider, type InboxAfter, type PendingItem } from '../../platform/approvals/kit';
import type { EmployeeActor } from '../../platform/auth/actor';
import { inRegionScope } from '../../platform/auth/principal';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, pageOf, type Paged } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { Employee, EmployeeRegion } from '../access/models';
import { Account } from '../accounts/models';
import { audit } from '../audit/audit';
import { DeviceToken } from '../devices/models';
import { LEDGER, type LedgerCode } from '../ledger/chart';
import { postEntry } from '../ledger/journal.service';
import { calendarOfRegion } from '../organisation/business-date';
import { Payment, PaymentAllocation, Receipt } from '../payments/models';
import { AgentRemittance, CashCollection, type AgentRemittanceStatus } from './models';
import { PaymentPostingService } from '../payments/posting.service';
import { paymentView } from '../payments/views';
import { cashLimitExceeded, cashPosition, type CashPosition } from './cash-limit';

/** cash:remit:confirm lets an employee see and decide on other agents' cash (supervisors, back office, finance). */
function supervises(actor: Pick<EmployeeActor, 'permissions'>): boolean {
  return actor.permissions.has('cash:remit:confirm');
}

export interface CollectInput {
  clientCollectionId: string;
  accountId: number;
  amount: MoneyString;
  collectedAt: Date;
  latitude?: string | null;
  longitude?: string | null;
}

export const REMITTANCE_METHODS = ['office_cash', 'bank_deposit', 'mobile_money'] as const;
export type RemittanceMethod = (typeof REMITTANCE_METHODS)[number];

/** Where handed-in cash lands when a remittance is confirmed (it leaves 1120 agent cash in transit). */
const REMITTED_TO: Record<RemittanceMethod, LedgerCode> = {
  office_cash: LEDGER.cashOnHand,
  bank_deposit: LEDGER.bank,
  mobile_money: LEDGER.mobileMoneyClearing,
};

export interface RemittanceInput {
  amount: MoneyString;
  method: RemittanceMethod;
  reference?: string;
  remittedAt?: Date;
  notes?: string;
  /** Default: every collection the agent holds that is in no pending remittance. */
  collectionIds?: number[];
}

export function collectionFields(c: CashCollection) {
  return {
    id: c.id,
    clientCollectionId: c.clientCollectionId,
    agentId: c.agentId,
    accountId: c.accountId,
    customerId: c.customerId,
    amount: c.amount,
    collectedAt: c.collectedAt.toISOString(),
    status: c.status,
    paymentId: c.paymentId,
    agentRemittanceId: c.agentRemittanceId,
    latitude: c.latitude,
    longitude: c.longitude,
    createdAt: c.createdAt.toISOString(),
  };
}

export function remittanceView(r: AgentRemittance) {
  return {
    id: r.id,
    agentId: r.agentId,
    amount: r.amount,
    method: r.method,
    reference: r.reference,
    remittedAt: r.remittedAt.toISOString(),
    status: r.status,
    confirmedBy: r.confirmedBy,
    confirmedAt: r.confirmedAt ? r.confirmedAt.toISOString() : null,
    notes: r.notes,
    collectionIds: (r.collections ?? []).map((c) => c.id),
    createdAt: r.createdAt.toISOString(),
  };
}

/**
 * Agents' cash: each collection the phone uploads is posted at once as a cash payment (Dr 1120 agent
 * cash in transit / Cr 1200, receipt, credit days and token through the payment events), keyed by
 * the phone's clientCollectionId so a retry never doubles. Until a remittance of it is confirmed
 * (Dr 1110 / Cr 1120, by someone other than the agent) the cash counts against the agent's limit.
 */
export class CashService {
  private readonly posting: PaymentPostingService;

  constructor(private readonly sequelize: Sequelize) {
    this.posting = new PaymentPostingService(sequelize);
  }

  /** Records and posts a collection; a retry of the same clientCollectionId answers the first result. */
  async collect(actor: EmployeeActor, input: CollectInput): Promise<{ replayed: boolean; body: Awaited<ReturnType<CashService['collectionView']>> }> {
    const existing = await CashCollection.findOne({ where: { clientCollectionId: input.clientCollectionId } });
    if (existing) return { replayed: true, body: await this.replay(actor, existing, input) };
    const amount = new Decimal(input.amount);
    if (amount.lessThanOrEqualTo(0)) throw problems.validation([{ field: 'amount', in: 'body', message: 'amount must be positive' }]);
    const head = await Account.findByPk(input.accountId, { attributes: ['id', 'regionId'] });
    if (!head || !inRegionScope(actor.scope, head.regionId)) throw problems.notFound('account');
    let collectionId: number;
    try {
      collectionId = await withTransaction(this.sequelize, async (t) => {
        // Account first, then the agent's row: the order every payment path locks in, so two
        // collections of one agent queue here rather than both passing the limit check.
        const account = (await Account.findByPk(input.accountId, { lock: t.LOCK.UPDATE, transaction: t }))!;
        await Employee.findByPk(actor.employeeId, { attributes: ['id'], lock: t.LOCK.UPDATE, transaction: t });
        const position = await cashPosition(this.sequelize, actor.employeeId, t);
        if (position.blocked) throw cashLimitExceeded(position);
        const collection = await CashCollection.create(
          {
            clientCollectionId: input.clientCollectionId,
            agentId: actor.employeeId,
            accountId: account.id,
            customerId: account.customerId,
            amount: toMoneyString(amount),
            collectedAt: input.collectedAt,
            latitude: input.latitude ?? null,
            longitude: input.longitude ?? null,
            status: 'recorded',
          },
          { transaction: t },
        );
        const posted = await this.posting.postLocked(
          account,
          amount,
          {
            accountId: account.id,
            amount: toMoneyString(amount),
            paymentTypeCode: 'CASH',
            channel: 'cash',
            transactionRef: input.clientCollectionId,
            paymentDate: input.collectedAt,
            paymentMethod: 'agent_collection',
            createdBy: actor.employeeId,
            debitLedger: LEDGER.agentCashInTransit,
          },
          t,
        );
        await collection.update({ status: 'posted', paymentId: posted.payment.id }, { transaction: t });
        return collection.id;
      });
    } catch (err) {
      // A concurrent retry of the same collection committed first.
      if (err instanceof UniqueConstraintError) {
        const first = await CashCollection.findOne({ where: { clientCollectionId: input.clientCollectionId } });
        if (first) return { replayed: true, body: await this.replay(actor, first, input) };
      }
      throw err;
    }
    return { replayed: false, body: await this.collectionView(collectionId) };
  }

  private async replay(actor: EmployeeActor, existing: CashCollection, input: CollectInput) {
    if (existing.agentId !== actor.employeeId) {
      throw problems.conflict("This clientCollectionId belongs to another agent's collection.", 'client-collection-id-taken');
    }
    if (existing.accountId !== input.accountId || !new Decimal(existing.amount).equals(input.amount)) {
      throw problems.unprocessable('This clientCollectionId was already used for a different account or amount.', 'client-collection-id-reused', {
        collection: { accountId: existing.accountId, amount: existing.amount },
      });
    }
    return this.collectionView(existing.id);
  }

  /** A collection with its payment, receipt, allocations and the device tokens the payment minted. */
  async collectionView(id: number) {
    const c = (await CashCollection.findByPk(id))!;
    const [payment, receipt, allocations, tokens] = c.paymentId
      ? await Promise.all([
          Payment.findByPk(c.paymentId),
          Receipt.findOne({ where: { paymentId: c.paymentId }, order: [['id', 'ASC']] }),
          PaymentAllocation.findAll({ where: { paymentId: c.paymentId }, order: [['id', 'ASC']] }),
          DeviceToken.findAll({ where: { paymentId: c.paymentId }, attributes: ['deviceId', 'tokenType', 'value', 'token'], order: [['id', 'ASC']] }),
        ])
      : [null, null, [], []];
    return {
      collection: collectionFields(c),
      payment: payment ? paymentView(payment) : null,
      receipt: receipt ? { receiptNumber: receipt.receiptNumber, amount: receipt.amount, issuedAt: receipt.issuedAt.toISOString() } : null,
      allocations: allocations.map((a) => ({
        kind: a.allocationType,
        id: a.installmentScheduleId ?? a.accountChargeId,
        amount: a.amount,
      })),
      tokens: tokens.map((t) => ({ deviceId: t.deviceId, tokenType: t.tokenType, value: t.value, token: t.token })),
    };
  }

  /** A collection the actor may see: their own, or any in their regions for a supervisor. */
  async getCollection(actor: EmployeeActor, id: number) {
    const c = await CashCollection.findByPk(id, { attributes: ['id', 'agentId', 'accountId'] });
    if (!c) throw problems.notFound('cash collection');
    if (c.agentId !== actor.employeeId) {
      const account = await Account.findByPk(c.accountId, { attributes: ['id', 'regionId'] });
      if (!supervises(actor) || !account || !inRegionScope(actor.scope, account.regionId)) throw problems.notFound('cash collection');
    }
    return this.collectionView(id);
  }

  /** The agents whose cash the actor may see: 'all' (regions:all), or themselves and, for a supervisor, the agents of their regions. */
  private async visibleAgents(actor: Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>): Promise<'all' | number[]> {
    if (!supervises(actor)) return [actor.employeeId];
    if (actor.scope.all) return 'all';
    const rows = await EmployeeRegion.findAll({ where: { regionId: { [Op.in]: [...actor.scope.regionIds] } }, attributes: ['employeeId'] });
    return [...new Set([actor.employeeId, ...rows.map((r) => r.employeeId)])];
  }

  /** Remittances, newest first: the agent's own, or those of agents a supervisor may see (another agent's is a 404). */
  async listRemittances(
    actor: EmployeeActor,
    q: { status?: AgentRemittanceStatus; agentId?: number; limit: number; cursor?: string },
  ): Promise<Paged<AgentRemittance>> {
    if (q.agentId !== undefined && !(await this.canSeeAgent(actor, q.agentId))) throw problems.notFound('agent');
    const visible = await this.visibleAgents(actor);
    const where: WhereOptions[] = [];
    if (q.agentId !== undefined) where.push({ agentId: q.agentId });
    else if (visible !== 'all') where.push({ agentId: { [Op.in]: visible } });
    if (q.status) where.push({ status: q.status });
    if (q.cursor) where.push({ id: { [Op.lt]: decodeIdCursor(q.cursor) } });
    const rows = await AgentRemittance.findAll({
      where: { [Op.and]: where },
      include: [{ model: CashCollection, as: 'collections', attributes: ['id'] }],
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  /** Pending remittances the decider may confirm or reject (the approvals inbox): agents they see, never their own. */
  async pendingRemittances(decider: Decider, after: InboxAfter | undefined, limit: number): Promise<PendingItem[]> {
    const visible = await this.visibleAgents(decider);
    const rows = await AgentRemittance.findAll({
      where: {
        [Op.and]: [
          { status: 'pending', agentId: { [Op.ne]: decider.employeeId } },
          visible === 'all' ? {} : { agentId: { [Op.in]: visible } },
          pendingAfterWhere(after),
        ],
      },
      order: PENDING_ORDER,
      limit,
    });
    return rows.map((r) => ({
      id: r.id,
      amount: r.amount,
      requestedBy: r.agentId,
      requestedAt: r.createdAt,
      regionId: null,
      accountId: null,
      employeeId: r.agentId,
    }));
  }

  /** Whether the actor may see `agentId`'s cash: themselves, or a supervisor sharing a region with the agent. */
  private async canSeeAgent(actor: EmployeeActor, agentId: number): Promise<boolean> {
    if (agentId === actor.employeeId) return true;
    if (!supervises(actor)) return false;
    if (actor.scope.all) return (await Employee.count({ where: { id: agentId } })) > 0;
    const shared = await EmployeeRegion.count({ where: { employeeId: agentId, regionId: { [Op.in]: [...actor.scope.regionIds] } } });
    return shared > 0;
  }

  async agentCash(
    actor: EmployeeActor,
    agentId: number,
  ): Promise<CashPosition & { openCollections: ReturnType<typeof collectionFields>[]; pendingRemittances: ReturnType<typeof remittanceView>[] }> {
    if (!(await this.canSeeAgent(actor, agentId))) throw problems.notFound('agent');
    const [position, open, pending] = await Promise.all([
      cashPosition(this.sequelize, agentId),
      CashCollection.findAll({ where: { agentId, status: 'posted' }, order: [['id', 'DESC']], limit: 500 }),
      AgentRemittance.findAll({
        where: { agentId, status: 'pending' },
        include: [{ model: CashCollection, as: 'collections', attributes: ['id'] }],
        order: [['id', 'DESC']],
      }),
    ]);
    return { ...position, openCollections: open.map(collectionFields), pendingRemittances: pending.map(remittanceView) };
  }

  /** The agent hands cash in: a pending remittance of collections that must add up to the amount. */
  /**
   * `beforeCommit` runs in the remittance's transaction (the route stores its Idempotency-Key answer
   * there, as payments do), so the remittance and its stored answer commit together or not at all.
   */
  async remit(
    actor: EmployeeActor,
    input: RemittanceInput,
    hooks: { beforeCommit?: (r: AgentRemittance, t: Transaction) => Promise<void> } = {},
  ): Promise<AgentRemittance> {
    const amount = new Decimal(input.amount);
    if (amount.lessThanOrEqualTo(0)) throw problems.validation([{ field: 'amount', in: 'body', message: 'amount must be positive' }]);
    return withTransaction(this.sequelize, async (t) => {
      await Employee.findByPk(actor.employeeId, { attributes: ['id'], lock: t.LOCK.UPDATE, transaction: t });
      const where = {
        agentId: actor.employeeId,
        status: 'posted' as const,
        agentRemittanceId: null,
        ...(input.collectionIds ? { id: { [Op.in]: input.collectionIds } } : {}),
      };
      const collections = await CashCollection.findAll({ where, lock: t.LOCK.UPDATE, transaction: t, order: [['id', 'ASC']] });
      if (input.collectionIds) {
        const found = new Set(collections.map((c) => c.id));
        const missing = input.collectionIds.filter((id) => !found.has(id));
        if (missing.length) {
          throw problems.unprocessable(
            `Collections ${missing.join(', ')} are not yours to remit, or are already in a remittance.`,
            'collections-not-remittable',
            { collectionIds: missing },
          );
        }
      }
      if (collections.length === 0) throw problems.unprocessable('You hold no collected cash that is not already in a remittance.', 'nothing-to-remit');
      const total = collections.reduce((s, c) => s.plus(c.amount), new Decimal(0));
      if (!total.equals(amount)) {
        throw problems.unprocessable(`The collections add up to ${total.toFixed(2)}, not ${amount.toFixed(2)}.`, 'remittance-amount-mismatch', {
          expected: total.toFixed(2),
        });
      }
      const accounts = await Account.findAll({
        where: { id: { [Op.in]: [...new Set(collections.map((c) => c.accountId))] } },
        attributes: ['id', 'regionId'],
        transaction: t,
      });
      const countries = new Set(await Promise.all(accounts.map(async (a) => (await calendarOfRegion(a.regionId, t)).countryId)));
      if (countries.size > 1)
        throw problems.unprocessable(
          "These collections are in more than one country; remit each country's cash separately (collectionIds).",
          'remittance-mixed-countries',
        );
      const remittance = await AgentRemittance.create(
        {
          agentId: actor.employeeId,
          amount: toMoneyString(amount),
          remittedAt: input.remittedAt ?? new Date(),
          method: input.method,
          reference: input.reference ?? null,
          notes: input.notes ?? null,
          status: 'pending',
        },
        { transaction: t },
      );
      await CashCollection.update({ agentRemittanceId: remittance.id }, { where: { id: { [Op.in]: collections.map((c) => c.id) } }, transaction: t });
      remittance.collections = collections;
      await hooks.beforeCommit?.(remittance, t);
      return remittance;
    });
  }

  async getRemittance(actor: EmployeeActor, id: number): Promise<AgentRemittance> {
    const r = await AgentRemittance.findByPk(id, { include: [{ model: CashCollection, as: 'collections', attributes: ['id'] }] });
    if (!r || !(await this.canSeeAgent(actor, r.agentId))) throw problems.notFound('remittance');
    return r;
  }

  /** Confirms the cash arrived: Dr 1110 cash on hand (1130 bank, 1100 mobile money) / Cr 1120; the collections are remitted. */
  async confirm(actor: EmployeeActor, id: number): Promise<AgentRemittance> {
    const visible = await this.decidable(actor, id);
    return withTransaction(this.sequelize, async (t) => {
      const r = (await AgentRemittance.findByPk(visible.id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      if (r.status !== 'pending') throw problems.conflict(`This remittance is already ${r.status}.`, 'already-decided', { currentStatus: r.status });
      const collections = await CashCollection.findAll({ where: { agentRemittanceId: r.id }, lock: t.LOCK.UPDATE, transaction: t, order: [['id', 'ASC']] });
      const first = await Account.findByPk(collections[0]!.accountId, { attributes: ['id', 'regionId'], transaction: t });
      const calendar = await calendarOfRegion(first!.regionId, t);
      await postEntry(
        {
          businessDate: calendar.businessDate,
          countryId: calendar.countryId,
          description: `Agent remittance ${r.id} (${r.method}${r.reference ? ` ${r.reference}` : ''}) confirmed`,
          sourceType: 'remittance',
          sourceId: r.id,
          currency: calendar.currency,
          createdBy: actor.employeeId,
          lines: [
            { ledger: REMITTED_TO[r.method as RemittanceMethod] ?? LEDGER.cashOnHand, debit: r.amount },
            { ledger: LEDGER.agentCashInTransit, credit: r.amount },
          ],
        },
        t,
      );
      await CashCollection.update({ status: 'remitted' }, { where: { agentRemittanceId: r.id, status: 'posted' }, transaction: t });
      await r.update({ status: 'confirmed', confirmedBy: actor.employeeId, confirmedAt: new Date() }, { transaction: t });
      await audit.record(t, {
        actor,
        action: 'agent_remittance.confirm',
        entity: 'agentRemittances',
        entityId: r.id,
        before: { status: 'pending' },
        after: { status: 'confirmed', amount: r.amount },
      });
      r.collections = collections;
      return r;
    });
  }

  /** The cash did not arrive as declared: the collections go back to the agent's balance, to remit again. */
  async reject(actor: EmployeeActor, id: number, reason: string): Promise<AgentRemittance> {
    const visible = await this.decidable(actor, id);
    return withTransaction(this.sequelize, async (t) => {
      const r = (await AgentRemittance.findByPk(visible.id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      if (r.status !== 'pending') throw problems.conflict(`This remittance is already ${r.status}.`, 'already-decided', { currentStatus: r.status });
      await CashCollection.update({ agentRemittanceId: null }, { where: { agentRemittanceId: r.id }, transaction: t });
      await r.update(
        { status: 'rejected', confirmedBy: actor.employeeId, confirmedAt: new Date(), notes: [r.notes, `rejected: ${reason}`].filter(Boolean).join('\n') },
        { transaction: t },
      );
      await audit.record(t, {
        actor,
        action: 'agent_remittance.reject',
        entity: 'agentRemittances',
        entityId: r.id,
        before: { status: 'pending' },
        after: { status: 'rejected', reason },
      });
      r.collections = [];
      return r;
    });
  }

  /** Four eyes: the agent never decides on their own remittance (403); others must see the agent (404). */
  private async decidable(actor: EmployeeActor, id: number): Promise<AgentRemittance> {
    const r = await AgentRemittance.findByPk(id, { attributes: ['id', 'agentId'] });
    if (!r) throw problems.notFound('remittance');
    refuseOwnRequest(r.agentId, actor, 'remittance', 'This is your own remittance; another employee must confirm or reject it.');
    if (!(await this.canSeeAgent(actor, r.agentId))) throw problems.notFound('remittance');
    return r;
  }
}
