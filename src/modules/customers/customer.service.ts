import { Op, OptimisticLockError, UniqueConstraintError, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import type { EmployeeActor } from '../../platform/auth/actor';
import { inRegionScope } from '../../platform/auth/principal';
import type { DataCrypto } from '../../platform/crypto';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, type Paged, pageOf } from '../../platform/http/pagination';
import { checkIfMatch } from '../../platform/http/etag';
import type { StoreAnswer } from '../../platform/http/idempotency';
import { problems } from '../../platform/http/problem';
import { audit } from '../audit/audit';
import { integrations } from '../integrations/outbox';
import { CompanyRegion } from '../organisation/models';
import { BlacklistEntry, Customer, CustomerAddress, CustomerDocument, KycCheck, type Gender, type KycDecision, type KycStatus } from './models';

/** The AES-GCM context national IDs are encrypted under: a ciphertext moved to another column fails to decrypt. */
const NATIONAL_ID_CONTEXT = 'customers.nationalId';

/** customers:kyc: may see full national IDs and decide KYC. */
const KYC_PERMISSION = 'customers:kyc';

export interface OnboardInput {
  firstName: string;
  lastName: string;
  phone: string;
  email?: string;
  nationalId?: string;
  dateOfBirth?: string;
  gender?: Gender;
  regionId: number;
  agentId?: number;
  preferredLanguage?: string;
  referredBy?: number;
  address?: { addressLine: string; landmark?: string; city?: string; district?: string; latitude?: string; longitude?: string };
}

export type CustomerPatch = Partial<
  Pick<OnboardInput, 'firstName' | 'lastName' | 'phone' | 'email' | 'nationalId' | 'dateOfBirth' | 'gender' | 'preferredLanguage' | 'agentId'>
>;

/** A change to a customer that came from another system (the Salesforce inbound pull), never from an employee. */
export interface IntegrationChange {
  /** The system, e.g. 'salesforce': the audit row says the customer was changed by `integration:<source>`. */
  source: string;
  /** The remote record, for the audit row. */
  remoteId: string;
  fields: Partial<Pick<OnboardInput, 'firstName' | 'lastName' | 'phone' | 'dateOfBirth' | 'preferredLanguage'>> & { email?: string | null };
  /** The primary address's fields (the primary address is created when there is none). */
  address?: { addressLine?: string | null; city?: string | null; district?: string | null };
}

export interface CustomerQuery {
  limit: number;
  cursor?: string;
  phone?: string;
  nationalId?: string;
  kycStatus?: KycStatus;
  regionId?: number;
  q?: string;
}

/** National IDs are compared and indexed as written on the card, without spaces or case. */
export function normaliseNationalId(value: string): string {
  return value.replace(/[\s-]+/g, '').toUpperCase();
}

/** Customers: onboarding by field agents, KYC decisions by back office, region-scoped reads. */
export class CustomerService {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly crypto: DataCrypto,
  ) {}

  view(c: Customer, actor: EmployeeActor) {
    return {
      id: c.id,
      firstName: c.firstName,
      lastName: c.lastName,
      phone: c.phone,
      email: c.email,
      // The full number only for those who verify it; everyone else sees its last characters.
      nationalId: c.nationalId ? (actor.permissions.has(KYC_PERMISSION) ? this.nationalIdOf(c) : masked(this.nationalIdOf(c))) : null,
      dateOfBirth: c.dateOfBirth,
      gender: c.gender,
      kycStatus: c.kycStatus,
      regionId: c.regionId,
      agentId: c.agentId,
      referredBy: c.referredBy,
      preferredLanguage: c.preferredLanguage,
      version: c.version,
      createdAt: c.createdAt.toISOString(),
    };
  }

  private nationalIdOf(c: Customer): string {
    return this.crypto.decrypt(c.nationalId!, NATIONAL_ID_CONTEXT);
  }

  private async visible(actor: EmployeeActor, id: number): Promise<Customer> {
    const customer = await Customer.findByPk(id);
    if (!customer || !inRegionScope(actor.scope, customer.regionId)) throw problems.notFound('customer');
    return customer;
  }

  async get(actor: EmployeeActor, id: number): Promise<Customer> {
    return this.visible(actor, id);
  }

  /** Refuses a blacklisted phone or national ID (422), and a national ID already on file (409). */
  private async screen(phone: string | undefined, nationalIdHash: string | null, exceptId?: number): Promise<void> {
    const match: WhereOptions[] = [];
    if (phone) match.push({ phone });
    if (nationalIdHash) match.push({ nationalIdHash });
    if (match.length === 0) return;
    const listed = await BlacklistEntry.findOne({ where: { isActive: true, [Op.or]: match }, attributes: ['id'] });
    if (listed) throw problems.unprocessable('This phone number or national ID is on the blacklist.', 'customer-blacklisted');
    if (nationalIdHash) {
      const same = await Customer.findOne({ where: { nationalIdHash, ...(exceptId ? { id: { [Op.ne]: exceptId } } : {}) }, attributes: ['id'] });
      if (same) throw problems.conflict('A customer with this national ID is already on file.', 'customer-exists', { customerId: same.id });
    }
  }

  /** `answer`: stores the API's answer as the transaction's last statement (a retry with the phone's clientId replays it). */
  async onboard(actor: EmployeeActor, input: OnboardInput, answer?: StoreAnswer<Customer>): Promise<Customer> {
    // Another region's customer is not the caller's business (404); a region that does not exist is bad input.
    if (!inRegionScope(actor.scope, input.regionId)) throw problems.notFound('region');
    if (!(await CompanyRegion.findByPk(input.regionId, { attributes: ['id'] }))) {
      throw problems.validation([{ field: 'regionId', in: 'body', message: 'regionId names no region' }]);
    }
    if (input.referredBy !== undefined) {
      const referrer = await Customer.findByPk(input.referredBy, { attributes: ['id'] });
      if (!referrer) throw problems.validation([{ field: 'referredBy', in: 'body', message: 'no such customer' }]);
    }
    const nationalId = input.nationalId ? normaliseNationalId(input.nationalId) : undefined;
    const nationalIdHash = nationalId ? this.crypto.blindIndex(nationalId) : null;
    await this.screen(input.phone, nationalIdHash);
    try {
      return await withTransaction(this.sequelize, async (t) => {
        const customer = await Customer.create(
          {
            firstName: input.firstName,
            lastName: input.lastName,
            phone: input.phone,
            email: input.email ?? null,
            nationalId: nationalId ? this.crypto.encrypt(nationalId, NATIONAL_ID_CONTEXT) : null,
            nationalIdHash,
            dateOfBirth: input.dateOfBirth ?? null,
            gender: input.gender ?? null,
            regionId: input.regionId,
            agentId: input.agentId ?? actor.employeeId,
            referredBy: input.referredBy ?? null,
            preferredLanguage: input.preferredLanguage ?? 'en',
          },
          { transaction: t },
        );
        if (input.address) await CustomerAddress.create({ customerId: customer.id, isPrimary: true, ...input.address }, { transaction: t });
        // The audit row names what was set, never the national ID itself.
        await audit.record(t, {
          actor,
          action: 'customer.onboard',
          entity: 'customers',
          entityId: customer.id,
          after: { regionId: customer.regionId, nationalId: nationalId ? 'set' : null },
        });
        // NetSuite and Salesforce read the customer's current state when they sync (no personal data in the row).
        await integrations.enqueue(t, { aggregate: 'customer', id: customer.id, event: 'customer.created', payload: { customerId: customer.id } });
        await answer?.(customer, t);
        return customer;
      });
    } catch (err) {
      if (err instanceof UniqueConstraintError) throw problems.conflict('A customer with this e-mail address is already on file.', 'customer-exists');
      throw err;
    }
  }

  /**
   * `ifMatch`: the version the caller read (If-Match); a stale one is a 412. The UPDATE itself is
   * conditional on the version (model option version: true), so a change committed between this
   * check and the write is a 412 too (OptimisticLockError), never lost. `answer` stores the
   * clientId's answer in the same transaction (an offline edit retried answers the first result).
   */
  async update(actor: EmployeeActor, id: number, patch: CustomerPatch, ifMatch?: string, answer?: StoreAnswer<Customer>): Promise<Customer> {
    const customer = await this.visible(actor, id);
    checkIfMatch(ifMatch, customer.version, false);
    const nationalId = patch.nationalId ? normaliseNationalId(patch.nationalId) : undefined;
    const nationalIdHash = nationalId ? this.crypto.blindIndex(nationalId) : null;
    await this.screen(
      patch.phone !== customer.phone ? patch.phone : undefined,
      nationalIdHash !== customer.nationalIdHash ? nationalIdHash : null,
      customer.id,
    );
    const { nationalId: _plain, ...rest } = patch;
    const changes: Partial<Customer> = { ...rest };
    // A new national ID has not been checked: KYC starts again.
    if (nationalId && nationalIdHash !== customer.nationalIdHash) {
      Object.assign(changes, { nationalId: this.crypto.encrypt(nationalId, NATIONAL_ID_CONTEXT), nationalIdHash, kycStatus: 'pending' });
    }
    try {
      return await withTransaction(this.sequelize, async (t) => {
        await customer.update(changes, { transaction: t });
        const fields = Object.keys(changes).filter((k) => k !== 'nationalIdHash');
        await audit.record(t, { actor, action: 'customer.update', entity: 'customers', entityId: customer.id, after: { fields } });
        await integrations.enqueue(t, { aggregate: 'customer', id: customer.id, event: 'customer.updated', payload: { customerId: customer.id, fields } });
        await answer?.(customer, t);
        return customer;
      });
    } catch (err) {
      if (err instanceof UniqueConstraintError) throw problems.conflict('A customer with this e-mail address is already on file.', 'customer-exists');
      // As a problem, so a clientId keeps this 412 as its answer like If-Match's own.
      if (err instanceof OptimisticLockError) throw problems.preconditionFailed('The customer was changed since you read it. Reload it and try again.');
      throw err;
    }
  }

  /**
   * Applies a change from an integration (no employee: the audit row's user is null and it names
   * the source). In one transaction, the customer row locked first: identity fields (name, date of
   * birth) of a KYC-verified customer are refused (409 kyc-verified), as are a blacklisted phone
   * (422) and an e-mail address another customer has (409). `within` runs in the same transaction
   * (the caller's sync bookkeeping), so both commit or neither.
   */
  async applyIntegrationChange(customerId: number, change: IntegrationChange, within?: (t: Transaction) => Promise<void>): Promise<Customer> {
    const { fields, address } = change;
    if (fields.phone) await this.screen(fields.phone, null, customerId);
    try {
      return await withTransaction(this.sequelize, async (t) => {
        const customer = await Customer.findByPk(customerId, { transaction: t, lock: t.LOCK.UPDATE });
        if (!customer) throw problems.notFound('customer');
        const identity = (['firstName', 'lastName', 'dateOfBirth'] as const).filter((f) => fields[f] !== undefined);
        if (identity.length > 0 && customer.kycStatus === 'verified') {
          throw problems.conflict(`KYC-verified identity fields (${identity.join(', ')}) are changed only in AMT.`, 'kyc-verified');
        }
        const changed = Object.keys(fields).filter((k) => fields[k as keyof typeof fields] !== undefined);
        if (changed.length > 0) await customer.update(fields, { transaction: t });
        const addressFields = address ? Object.keys(address).filter((k) => address[k as keyof typeof address] !== undefined) : [];
        if (address && addressFields.length > 0) {
          const primary = await CustomerAddress.findOne({ where: { customerId, isPrimary: true }, order: [['id', 'DESC']], transaction: t });
          if (primary) await primary.update(address as Partial<CustomerAddress>, { transaction: t });
          else if (address.addressLine)
            await CustomerAddress.create({ customerId, isPrimary: true, ...address, addressLine: address.addressLine }, { transaction: t });
        }
        await audit.record(t, {
          actor: null,
          action: 'customer.update',
          entity: 'customers',
          entityId: customerId,
          after: { fields: [...changed, ...addressFields.map((f) => `address.${f}`)], changedBy: `integration:${change.source}`, remoteId: change.remoteId },
        });
        if (within) await within(t);
        return customer;
      });
    } catch (err) {
      if (err instanceof UniqueConstraintError) throw problems.conflict('A customer with this e-mail address is already on file.', 'customer-exists');
      throw err;
    }
  }

  /** Back office verifies or rejects; whoever onboarded the customer or uploaded their documents may not (four eyes). */
  async decideKyc(actor: EmployeeActor, id: number, decision: KycDecision, reason?: string): Promise<{ customer: Customer; check: KycCheck }> {
    const customer = await this.visible(actor, id);
    if (customer.agentId === actor.employeeId) {
      throw problems.forbidden('You onboarded this customer; another employee must decide the KYC (maker-checker).', 'four-eyes');
    }
    if (await CustomerDocument.findOne({ where: { customerId: customer.id, uploadedBy: actor.employeeId }, attributes: ['id'] })) {
      throw problems.forbidden("You uploaded this customer's documents; another employee must decide the KYC (maker-checker).", 'four-eyes');
    }
    if (decision === 'verified' && !customer.nationalId) {
      throw problems.unprocessable('A customer without a national ID on file cannot be verified.', 'national-id-missing');
    }
    if (decision === 'rejected' && !reason) throw problems.validation([{ field: 'reason', in: 'body', message: 'a rejection needs a reason' }]);
    return withTransaction(this.sequelize, async (t) => {
      const check = await KycCheck.create(
        { customerId: customer.id, decision, reason: reason ?? null, checkedBy: actor.employeeId, checkedAt: new Date() },
        { transaction: t },
      );
      const before = customer.kycStatus;
      await customer.update({ kycStatus: decision }, { transaction: t });
      await audit.record(t, {
        actor,
        action: 'customer.kyc',
        entity: 'customers',
        entityId: customer.id,
        before: { kycStatus: before },
        after: { kycStatus: decision, kycCheckId: check.id },
      });
      await integrations.enqueue(t, {
        aggregate: 'customer',
        id: customer.id,
        event: 'customer.updated',
        payload: { customerId: customer.id, fields: ['kycStatus'] },
      });
      return { customer, check };
    });
  }

  async list(actor: EmployeeActor, q: CustomerQuery): Promise<Paged<Customer>> {
    const where: WhereOptions[] = [];
    if (!actor.scope.all) where.push({ regionId: { [Op.in]: [...actor.scope.regionIds] } });
    if (q.regionId) where.push({ regionId: q.regionId });
    if (q.kycStatus) where.push({ kycStatus: q.kycStatus });
    if (q.phone) where.push({ phone: q.phone });
    // Found through its blind index: the stored number is encrypted and cannot be searched.
    if (q.nationalId) where.push({ nationalIdHash: this.crypto.blindIndex(normaliseNationalId(q.nationalId)) });
    if (q.q) where.push({ [Op.or]: [{ lastName: { [Op.startsWith]: q.q } }, { firstName: { [Op.startsWith]: q.q } }] });
    if (q.cursor) where.push({ id: { [Op.lt]: decodeIdCursor(q.cursor) } });
    const rows = await Customer.findAll({ where: { [Op.and]: where }, order: [['id', 'DESC']], limit: q.limit + 1 });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }
}

function masked(value: string): string {
  return value.length <= 4 ? '*'.repeat(value.length) : `${'*'.repeat(value.length - 4)}${value.slice(-4)}`;
}
