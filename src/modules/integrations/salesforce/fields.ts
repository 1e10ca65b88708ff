/**
 * How AMT's records are spelled in Salesforce (docs/salesforce.md lists the fields the org needs).
 * Customers are Accounts (business: Name, Phone, custom fields) or Person Accounts (FirstName,
 * LastName, PersonMobilePhone, PersonEmail, PersonBirthdate), upserted by AMT_Customer_Id__c. The
 * national ID never leaves AMT. PAYG accounts are PAYG_Account__c upserted by AMT_Account_Number__c.
 */

/** The customer fields kept in step with Salesforce, by AMT name; values as strings (null = empty). */
export const CONTACT_FIELDS = ['phone', 'email', 'preferredLanguage', 'addressLine', 'city', 'district'] as const;
/** Identity fields: sent, and taken back only while KYC is not verified (never over a verified one). */
export const IDENTITY_FIELDS = ['firstName', 'lastName', 'dateOfBirth'] as const;
export const SYNCED_FIELDS = [...CONTACT_FIELDS, ...IDENTITY_FIELDS] as const;
export type SyncedField = (typeof SYNCED_FIELDS)[number];
export type SyncedState = Record<SyncedField, string | null>;

export const CUSTOMER_OBJECT = 'Account';
export const CUSTOMER_EXTERNAL_ID = 'AMT_Customer_Id__c';
export const ACCOUNT_OBJECT = 'PAYG_Account__c';
export const ACCOUNT_EXTERNAL_ID = 'AMT_Account_Number__c';

export interface FieldMode {
  personAccounts: boolean;
  personAccountRecordTypeId?: string;
}

/** AMT field -> Salesforce Account field, per mode. */
export function accountFieldsOf(mode: FieldMode): Record<SyncedField, string> {
  return mode.personAccounts
    ? {
        phone: 'PersonMobilePhone',
        email: 'PersonEmail',
        preferredLanguage: 'AMT_Preferred_Language__c',
        addressLine: 'BillingStreet',
        city: 'BillingCity',
        district: 'BillingState',
        firstName: 'FirstName',
        lastName: 'LastName',
        dateOfBirth: 'PersonBirthdate',
      }
    : {
        phone: 'Phone',
        email: 'AMT_Email__c',
        preferredLanguage: 'AMT_Preferred_Language__c',
        addressLine: 'BillingStreet',
        city: 'BillingCity',
        district: 'BillingState',
        firstName: 'AMT_First_Name__c',
        lastName: 'AMT_Last_Name__c',
        dateOfBirth: 'AMT_Date_Of_Birth__c',
      };
}

export interface CustomerState extends SyncedState {
  id: number;
  kycStatus: string;
  regionId: number;
  deleted: boolean;
}

export function syncedOf(c: CustomerState): SyncedState {
  return Object.fromEntries(SYNCED_FIELDS.map((f) => [f, c[f]])) as SyncedState;
}

/** The Account upserted for a customer. */
export function customerRecord(c: CustomerState, mode: FieldMode): Record<string, unknown> {
  const map = accountFieldsOf(mode);
  const rec: Record<string, unknown> = { [CUSTOMER_EXTERNAL_ID]: String(c.id) };
  for (const f of SYNCED_FIELDS) rec[map[f]] = c[f];
  if (!mode.personAccounts) rec.Name = `${c.firstName ?? ''} ${c.lastName ?? ''}`.trim();
  if (mode.personAccounts && mode.personAccountRecordTypeId) rec.RecordTypeId = mode.personAccountRecordTypeId;
  rec.AMT_KYC_Status__c = c.kycStatus;
  rec.AMT_Region_Id__c = String(c.regionId);
  rec.AMT_Deleted__c = c.deleted;
  return rec;
}

/** The synced fields as Salesforce holds them (strings, trimmed, '' as null). */
export function syncedFromRecord(r: Record<string, unknown>, mode: FieldMode): SyncedState {
  const map = accountFieldsOf(mode);
  return Object.fromEntries(SYNCED_FIELDS.map((f) => [f, normalised(r[map[f]])])) as SyncedState;
}

export function normalised(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const s = String(v).trim();
  return s === '' ? null : s;
}

export interface AccountState {
  id: number;
  accountNumber: string;
  customerId: number;
  productCode: string;
  productName: string;
  status: string;
  balance: string;
  daysPastDue: number;
  parBucket: string;
  nextDueDate: string | null;
  nextDueAmount: string | null;
  agentId: number | null;
  agentName: string | null;
  lastPaymentDate: string | null;
}

/** The PAYG_Account__c upserted for an account. Money as decimal strings (never floats). */
export function accountRecord(a: AccountState): Record<string, unknown> {
  return {
    [ACCOUNT_EXTERNAL_ID]: a.accountNumber,
    Name: a.accountNumber,
    AMT_Account_Id__c: String(a.id),
    AMT_Customer_Id__c: String(a.customerId),
    Product_Code__c: a.productCode,
    Product_Name__c: a.productName,
    Status__c: a.status,
    Balance__c: a.balance,
    Days_Past_Due__c: a.daysPastDue,
    PAR_Bucket__c: a.parBucket,
    Next_Due_Date__c: a.nextDueDate,
    Next_Due_Amount__c: a.nextDueAmount,
    Agent_Id__c: a.agentId === null ? null : String(a.agentId),
    Agent_Name__c: a.agentName,
    Last_Payment_Date__c: a.lastPaymentDate,
  };
}
