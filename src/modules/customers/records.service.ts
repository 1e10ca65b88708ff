import { Op, type Sequelize } from 'sequelize';
import type { EmployeeActor } from '../../platform/auth/actor';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, pageOf, type Paged } from '../../platform/http/pagination';
import { checkIfMatch } from '../../platform/http/etag';
import type { StoreAnswer } from '../../platform/http/idempotency';
import { problems } from '../../platform/http/problem';
import { audit } from '../audit/audit';
import type { CustomerService } from './customer.service';
import { CustomerConsent, CustomerContact, CustomerNote, NextOfKin, type ConsentMethod, type ConsentType, type ContactType } from './models';

export interface NextOfKinInput {
  name: string;
  relationship: string;
  phone: string;
  address?: string | null;
}

export interface ContactInput {
  contactType: ContactType;
  value: string;
  label?: string | null;
  isPrimary?: boolean;
}

/**
 * What a customer record holds besides the customer row: next of kin, additional contacts,
 * consents and notes. Each read and write is for a customer the caller may see (another region's is
 * a 404, through CustomerService.get) and every write is audited in its transaction.
 */
export class CustomerRecordsService {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly customers: CustomerService,
  ) {}

  kinView = (k: NextOfKin) => ({
    id: k.id,
    customerId: k.customerId,
    name: k.name,
    relationship: k.relationship,
    phone: k.phone,
    address: k.address ?? null,
    version: k.version,
    createdAt: k.createdAt.toISOString(),
  });

  contactView = (c: CustomerContact) => ({
    id: c.id,
    customerId: c.customerId,
    contactType: c.contactType,
    value: c.value,
    label: c.label ?? null,
    isPrimary: c.isPrimary ?? false,
    isVerified: c.isVerified ?? false,
    createdAt: c.createdAt.toISOString(),
  });

  consentView = (c: CustomerConsent) => ({
    consentType: c.consentType,
    granted: c.granted,
    grantedAt: c.grantedAt?.toISOString() ?? null,
    revokedAt: c.revokedAt?.toISOString() ?? null,
    recordedBy: c.recordedBy,
    method: c.method,
    updatedAt: c.updatedAt.toISOString(),
  });

  noteView = (n: CustomerNote) => ({ id: n.id, customerId: n.customerId, note: n.note, createdBy: n.createdBy, createdAt: n.createdAt.toISOString() });

  // ---- next of kin

  async listKin(actor: EmployeeActor, customerId: number): Promise<NextOfKin[]> {
    await this.customers.get(actor, customerId);
    return NextOfKin.findAll({ where: { customerId }, order: [['id', 'ASC']] });
  }

  /** `answer` (a clientId create): the API's answer, stored as the transaction's last statement. */
  async addKin(actor: EmployeeActor, customerId: number, input: NextOfKinInput, answer?: StoreAnswer<NextOfKin>): Promise<NextOfKin> {
    await this.customers.get(actor, customerId);
    return withTransaction(this.sequelize, async (t) => {
      const kin = await NextOfKin.create({ customerId, ...input }, { transaction: t });
      await audit.record(t, { actor, action: 'customer.next_of_kin_added', entity: 'nextOfKins', entityId: kin.id, after: this.kinView(kin) });
      await answer?.(kin, t);
      return kin;
    });
  }

  /**
   * `ifMatch`: the version the caller read (If-Match), checked under the row lock; stale is a 412.
   * `answer` stores the clientId's answer in the same transaction.
   */
  async changeKin(
    actor: EmployeeActor,
    customerId: number,
    kinId: number,
    patch: Partial<NextOfKinInput>,
    ifMatch?: string,
    answer?: StoreAnswer<NextOfKin>,
  ): Promise<NextOfKin> {
    await this.customers.get(actor, customerId);
    return withTransaction(this.sequelize, async (t) => {
      const kin = await NextOfKin.findOne({ where: { id: kinId, customerId }, transaction: t, lock: t.LOCK.UPDATE });
      if (!kin) throw problems.notFound('next of kin');
      checkIfMatch(ifMatch, kin.version, false);
      const before = this.kinView(kin);
      await kin.update(patch, { transaction: t });
      await audit.record(t, { actor, action: 'customer.next_of_kin_changed', entity: 'nextOfKins', entityId: kin.id, before, after: this.kinView(kin) });
      await answer?.(kin, t);
      return kin;
    });
  }

  async removeKin(actor: EmployeeActor, customerId: number, kinId: number): Promise<void> {
    await this.customers.get(actor, customerId);
    await withTransaction(this.sequelize, async (t) => {
      const kin = await NextOfKin.findOne({ where: { id: kinId, customerId }, transaction: t, lock: t.LOCK.UPDATE });
      if (!kin) throw problems.notFound('next of kin');
      await audit.record(t, { actor, action: 'customer.next_of_kin_removed', entity: 'nextOfKins', entityId: kin.id, before: this.kinView(kin) });
      await kin.destroy({ transaction: t });
    });
  }

  // ---- additional contacts

  async listContacts(actor: EmployeeActor, customerId: number): Promise<CustomerContact[]> {
    await this.customers.get(actor, customerId);
    return CustomerContact.findAll({ where: { customerId }, order: [['id', 'ASC']] });
  }

  /** A contact made primary takes that place from the customer's other contact of the same type. */
  async addContact(actor: EmployeeActor, customerId: number, input: ContactInput, answer?: StoreAnswer<CustomerContact>): Promise<CustomerContact> {
    await this.customers.get(actor, customerId);
    return withTransaction(this.sequelize, async (t) => {
      if (input.isPrimary) {
        await CustomerContact.update({ isPrimary: false }, { where: { customerId, contactType: input.contactType, isPrimary: true }, transaction: t });
      }
      const contact = await CustomerContact.create({ customerId, ...input }, { transaction: t });
      await audit.record(t, { actor, action: 'customer.contact_added', entity: 'customerContacts', entityId: contact.id, after: this.contactView(contact) });
      await answer?.(contact, t);
      return contact;
    });
  }

  async removeContact(actor: EmployeeActor, customerId: number, contactId: number): Promise<void> {
    await this.customers.get(actor, customerId);
    await withTransaction(this.sequelize, async (t) => {
      const contact = await CustomerContact.findOne({ where: { id: contactId, customerId }, transaction: t, lock: t.LOCK.UPDATE });
      if (!contact) throw problems.notFound('contact');
      await audit.record(t, {
        actor,
        action: 'customer.contact_removed',
        entity: 'customerContacts',
        entityId: contact.id,
        before: this.contactView(contact),
      });
      await contact.destroy({ transaction: t });
    });
  }

  // ---- consents

  async listConsents(actor: EmployeeActor, customerId: number): Promise<CustomerConsent[]> {
    await this.customers.get(actor, customerId);
    return CustomerConsent.findAll({ where: { customerId }, order: [['consentType', 'ASC']] });
  }

  /**
   * Records that the customer gave or withdrew a consent, who recorded it and how. One row per
   * customer and type (its unique key), locked while it changes; the history is in the audit rows.
   */
  async setConsent(actor: EmployeeActor, customerId: number, consentType: ConsentType, granted: boolean, method: ConsentMethod): Promise<CustomerConsent> {
    await this.customers.get(actor, customerId);
    return withTransaction(this.sequelize, async (t) => {
      const now = new Date(Math.floor(Date.now() / 1000) * 1000); // as the DATETIME column keeps it
      const existing = await CustomerConsent.findOne({ where: { customerId, consentType }, transaction: t, lock: t.LOCK.UPDATE });
      const before = existing ? this.consentView(existing) : null;
      const values = granted ? { granted, grantedAt: now, revokedAt: null } : { granted, revokedAt: now };
      const consent = existing
        ? await existing.update({ ...values, recordedBy: actor.employeeId, method }, { transaction: t })
        : await CustomerConsent.create({ customerId, consentType, ...values, recordedBy: actor.employeeId, method }, { transaction: t });
      await audit.record(t, {
        actor,
        action: granted ? 'customer.consent_granted' : 'customer.consent_revoked',
        entity: 'customerConsents',
        entityId: consent.id,
        before,
        after: this.consentView(consent),
      });
      return consent;
    });
  }

  // ---- notes (never edited: a correction is another note)

  async listNotes(actor: EmployeeActor, customerId: number, q: { limit: number; cursor?: string }): Promise<Paged<CustomerNote>> {
    await this.customers.get(actor, customerId);
    const rows = await CustomerNote.findAll({
      where: { customerId, ...(q.cursor ? { id: { [Op.lt]: decodeIdCursor(q.cursor) } } : {}) },
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  async addNote(actor: EmployeeActor, customerId: number, note: string, answer?: StoreAnswer<CustomerNote>): Promise<CustomerNote> {
    await this.customers.get(actor, customerId);
    return withTransaction(this.sequelize, async (t) => {
      const row = await CustomerNote.create({ customerId, note, createdBy: actor.employeeId }, { transaction: t });
      await audit.record(t, { actor, action: 'customer.note_added', entity: 'customerNotes', entityId: row.id, after: { length: note.length } });
      await answer?.(row, t);
      return row;
    });
  }
}
