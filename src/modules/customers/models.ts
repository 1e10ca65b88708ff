// Customers and what hangs off them (migration 20261124000012): addresses with GPS, contacts, next
// of kin, KYC documents and decisions, notes, consents, referral rewards and the blacklist.
import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type ModelAttributeColumnOptions,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import { moneyColumn, idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';
import { Decimal, type MoneyString } from '../../platform/money';
import { Employee } from '../access/models';
import { CompanyRegion } from '../organisation/models';
import { Area } from '../organisation/reference.models';

export const GENDERS = ['male', 'female', 'other'] as const;
export type Gender = (typeof GENDERS)[number];

export const KYC_STATUSES = ['pending', 'verified', 'rejected'] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];

export const KYC_DECISIONS = ['verified', 'rejected'] as const;
export type KycDecision = (typeof KYC_DECISIONS)[number];

export const ADDRESS_TYPES = ['home', 'business', 'other'] as const;
export type AddressType = (typeof ADDRESS_TYPES)[number];

export const CONTACT_TYPES = ['phone', 'email', 'whatsapp'] as const;
export const CONSENT_TYPES = ['terms', 'data_processing', 'data_sharing', 'credit_bureau', 'marketing_sms'] as const;
export type ConsentType = (typeof CONSENT_TYPES)[number];
export const CONSENT_METHODS = ['paper_form', 'field_app', 'ussd', 'call_centre', 'sms'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];
export type ContactType = (typeof CONTACT_TYPES)[number];

export const DOCUMENT_TYPES = [
  'national_id',
  'passport',
  'photo',
  'proof_of_address',
  'signature',
  'contract',
  'other',
  'id_front',
  'id_back',
  'selfie',
  'signed_contract',
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export const REFERRAL_REWARD_STATUSES = ['pending', 'approved', 'paid', 'cancelled'] as const;
export type ReferralRewardStatus = (typeof REFERRAL_REWARD_STATUSES)[number];

/** GPS coordinate, DECIMAL(10,7), read back as a fixed 7-decimal string on every dialect. */
function coordinateColumn(field: string): ModelAttributeColumnOptions<Model> {
  return {
    type: DataTypes.DECIMAL(10, 7),
    allowNull: true,
    get(this: Model) {
      const raw = this.getDataValue(field as never) as unknown;
      return raw === null || raw === undefined ? raw : new Decimal(raw as string).toFixed(7);
    },
  };
}

export class Customer extends Model<InferAttributes<Customer>, InferCreationAttributes<Customer>> {
  declare id: CreationOptional<number>;
  declare firstName: string;
  declare lastName: string;
  declare email: CreationOptional<string | null>;
  declare phone: string;
  /** Ciphertext: decrypt only to show it to someone allowed to see it; never log it. */
  declare nationalId: CreationOptional<string | null>;
  /** Keyed blind index (HMAC-SHA-256 hex) of the normalised national ID, for exact search. */
  declare nationalIdHash: CreationOptional<string | null>;
  declare dateOfBirth: CreationOptional<string | null>; // DATEONLY
  declare gender: CreationOptional<Gender | null>;
  declare kycStatus: CreationOptional<KycStatus>;
  declare regionId: number;
  /** The employee who onboarded the customer. */
  declare agentId: CreationOptional<number | null>;
  declare referredBy: CreationOptional<number | null>;
  declare preferredLanguage: CreationOptional<string>;
  /** Optimistic concurrency (model option version: true): the customer's ETag; PATCH with a stale If-Match is a 412. */
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare deletedAt: CreationOptional<Date | null>;
  declare region?: NonAttribute<CompanyRegion>;
  declare agent?: NonAttribute<Employee | null>;
  declare referrer?: NonAttribute<Customer | null>;
  declare referrals?: NonAttribute<Customer[]>;
  declare addresses?: NonAttribute<CustomerAddress[]>;
  declare contacts?: NonAttribute<CustomerContact[]>;
  declare nextOfKins?: NonAttribute<NextOfKin[]>;
  declare documents?: NonAttribute<CustomerDocument[]>;
  declare kycChecks?: NonAttribute<KycCheck[]>;
  declare notes?: NonAttribute<CustomerNote[]>;
  declare consents?: NonAttribute<CustomerConsent[]>;
}

export class CustomerAddress extends Model<InferAttributes<CustomerAddress>, InferCreationAttributes<CustomerAddress>> {
  declare id: CreationOptional<number>;
  declare customerId: number;
  declare addressType: CreationOptional<AddressType>;
  declare addressLine: string;
  declare landmark: CreationOptional<string | null>;
  declare city: CreationOptional<string | null>;
  declare district: CreationOptional<string | null>;
  declare areaId: CreationOptional<number | null>;
  /** DECIMAL(10,7) as a string. */
  declare latitude: CreationOptional<string | null>;
  declare longitude: CreationOptional<string | null>;
  declare isPrimary: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare customer?: NonAttribute<Customer>;
  declare area?: NonAttribute<Area | null>;
}

export class CustomerContact extends Model<InferAttributes<CustomerContact>, InferCreationAttributes<CustomerContact>> {
  declare id: CreationOptional<number>;
  declare customerId: number;
  declare contactType: ContactType;
  declare value: string;
  declare label: CreationOptional<string | null>;
  declare isPrimary: CreationOptional<boolean>;
  declare isVerified: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare customer?: NonAttribute<Customer>;
}

export class NextOfKin extends Model<InferAttributes<NextOfKin>, InferCreationAttributes<NextOfKin>> {
  declare id: CreationOptional<number>;
  declare customerId: number;
  declare name: string;
  declare relationship: string;
  declare phone: string;
  declare address: CreationOptional<string | null>;
  /** Optimistic concurrency (version: true): the ETag. */
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare customer?: NonAttribute<Customer>;
}

export class CustomerDocument extends Model<InferAttributes<CustomerDocument>, InferCreationAttributes<CustomerDocument>> {
  declare id: CreationOptional<number>;
  declare customerId: number;
  declare documentType: DocumentType;
  /** Object-store key; the file itself is never in the database. */
  declare storageKey: string;
  /** SHA-256 hex of the file. */
  declare checksum: string;
  declare mimeType: string;
  declare sizeBytes: number;
  declare uploadedBy: number;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare customer?: NonAttribute<Customer>;
  declare uploader?: NonAttribute<Employee>;
}

/** One KYC decision, with who and why (audit: never cascaded away). */
export class KycCheck extends Model<InferAttributes<KycCheck>, InferCreationAttributes<KycCheck>> {
  declare id: CreationOptional<number>;
  declare customerId: number;
  declare decision: KycDecision;
  declare reason: CreationOptional<string | null>;
  declare checkedBy: number;
  declare checkedAt: Date;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare customer?: NonAttribute<Customer>;
  declare checker?: NonAttribute<Employee>;
}

export class CustomerNote extends Model<InferAttributes<CustomerNote>, InferCreationAttributes<CustomerNote>> {
  declare id: CreationOptional<number>;
  declare customerId: number;
  declare note: string;
  declare createdBy: number;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare customer?: NonAttribute<Customer>;
  declare author?: NonAttribute<Employee>;
}

/** One row per customer and consent type; revoking sets granted = false and revokedAt. */
export class CustomerConsent extends Model<InferAttributes<CustomerConsent>, InferCreationAttributes<CustomerConsent>> {
  declare id: CreationOptional<number>;
  declare customerId: number;
  /** e.g. terms, data_processing, credit_bureau, marketing_sms. */
  declare consentType: string;
  declare granted: boolean;
  declare grantedAt: CreationOptional<Date | null>;
  declare revokedAt: CreationOptional<Date | null>;
  declare recordedBy: CreationOptional<number | null>;
  /** How it was given or withdrawn: one of CONSENT_METHODS. */
  declare method: CreationOptional<ConsentMethod | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare customer?: NonAttribute<Customer>;
  declare recorder?: NonAttribute<Employee | null>;
}

export class ReferralReward extends Model<InferAttributes<ReferralReward>, InferCreationAttributes<ReferralReward>> {
  declare id: CreationOptional<number>;
  declare referrerId: number;
  /** One reward per referred customer (unique). */
  declare refereeId: number;
  declare amount: MoneyString;
  declare status: CreationOptional<ReferralRewardStatus>;
  declare approvedBy: CreationOptional<number | null>;
  declare paidAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare referrer?: NonAttribute<Customer>;
  declare referee?: NonAttribute<Customer>;
  declare approver?: NonAttribute<Employee | null>;
}

/** Matches a customer, a national ID (blind index) or a phone; kept when the customer goes. */
export class BlacklistEntry extends Model<InferAttributes<BlacklistEntry>, InferCreationAttributes<BlacklistEntry>> {
  declare id: CreationOptional<number>;
  declare customerId: CreationOptional<number | null>;
  declare nationalIdHash: CreationOptional<string | null>;
  declare phone: CreationOptional<string | null>;
  declare reason: string;
  declare addedBy: number;
  declare isActive: CreationOptional<boolean>;
  declare liftedAt: CreationOptional<Date | null>;
  declare liftedBy: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare customer?: NonAttribute<Customer | null>;
  declare adder?: NonAttribute<Employee>;
  declare lifter?: NonAttribute<Employee | null>;
}

export function initCustomersModels(sequelize: Sequelize): void {
  Customer.init(
    {
      id,
      firstName: { type: DataTypes.STRING(255), allowNull: false },
      lastName: { type: DataTypes.STRING(255), allowNull: false },
      email: { type: DataTypes.STRING(255), allowNull: true, unique: true },
      phone: { type: DataTypes.STRING(50), allowNull: false },
      nationalId: { type: DataTypes.STRING(512), allowNull: true },
      nationalIdHash: { type: DataTypes.CHAR(64), allowNull: true },
      dateOfBirth: { type: DataTypes.DATEONLY, allowNull: true },
      gender: { type: DataTypes.ENUM(...GENDERS), allowNull: true },
      kycStatus: { type: DataTypes.ENUM(...KYC_STATUSES), allowNull: false, defaultValue: 'pending' },
      regionId: { type: DataTypes.INTEGER, allowNull: false },
      agentId: { type: DataTypes.INTEGER, allowNull: true },
      referredBy: { type: DataTypes.INTEGER, allowNull: true },
      preferredLanguage: { type: DataTypes.STRING(10), allowNull: false, defaultValue: 'en' },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
      deletedAt: { type: DataTypes.DATE, allowNull: true },
    },
    {
      sequelize,
      tableName: 'customers',
      modelName: 'Customer',
      paranoid: true,
      version: true,
      indexes: [
        { fields: ['phone'], name: 'customers_phone' },
        { fields: ['nationalIdHash'], name: 'customers_national_id_hash' },
        { fields: ['createdAt'], name: 'customers_created' },
        { fields: ['regionId', 'kycStatus'], name: 'customers_region_kyc' },
        { fields: ['lastName', 'firstName'], name: 'customers_name' },
      ],
    },
  );
  CustomerAddress.init(
    {
      id,
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      addressType: { type: DataTypes.ENUM(...ADDRESS_TYPES), allowNull: false, defaultValue: 'home' },
      addressLine: { type: DataTypes.STRING(255), allowNull: false },
      landmark: { type: DataTypes.STRING(255), allowNull: true },
      city: { type: DataTypes.STRING(100), allowNull: true },
      district: { type: DataTypes.STRING(100), allowNull: true },
      areaId: { type: DataTypes.INTEGER, allowNull: true },
      latitude: coordinateColumn('latitude'),
      longitude: coordinateColumn('longitude'),
      isPrimary: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'customerAddresses',
      modelName: 'CustomerAddress',
      indexes: [{ fields: ['customerId', 'isPrimary'], name: 'customerAddresses_customer_primary' }],
    },
  );
  CustomerContact.init(
    {
      id,
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      contactType: { type: DataTypes.ENUM(...CONTACT_TYPES), allowNull: false },
      value: { type: DataTypes.STRING(255), allowNull: false },
      label: { type: DataTypes.STRING(100), allowNull: true },
      isPrimary: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      isVerified: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'customerContacts',
      modelName: 'CustomerContact',
      indexes: [
        { fields: ['customerId'], name: 'customerContacts_customer' },
        { fields: ['value'], name: 'customerContacts_value' },
      ],
    },
  );
  NextOfKin.init(
    {
      id,
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      name: { type: DataTypes.STRING(255), allowNull: false },
      relationship: { type: DataTypes.STRING(50), allowNull: false },
      phone: { type: DataTypes.STRING(50), allowNull: false },
      address: { type: DataTypes.TEXT, allowNull: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
    },
    { sequelize, tableName: 'nextOfKins', modelName: 'NextOfKin', version: true },
  );
  CustomerDocument.init(
    {
      id,
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      documentType: { type: DataTypes.ENUM(...DOCUMENT_TYPES), allowNull: false },
      storageKey: { type: DataTypes.STRING(512), allowNull: false },
      checksum: { type: DataTypes.CHAR(64), allowNull: false },
      mimeType: { type: DataTypes.STRING(100), allowNull: false },
      sizeBytes: { type: DataTypes.INTEGER, allowNull: false },
      uploadedBy: { type: DataTypes.INTEGER, allowNull: false },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'customerDocuments',
      modelName: 'CustomerDocument',
      indexes: [{ fields: ['customerId', 'documentType'], name: 'customerDocuments_customer_type' }],
    },
  );
  KycCheck.init(
    {
      id,
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      decision: { type: DataTypes.ENUM(...KYC_DECISIONS), allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: true },
      checkedBy: { type: DataTypes.INTEGER, allowNull: false },
      checkedAt: { type: DataTypes.DATE, allowNull: false },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'kycChecks',
      modelName: 'KycCheck',
      indexes: [{ fields: ['customerId', 'checkedAt'], name: 'kycChecks_customer_checked' }],
    },
  );
  CustomerNote.init(
    {
      id,
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      note: { type: DataTypes.TEXT, allowNull: false },
      createdBy: { type: DataTypes.INTEGER, allowNull: false },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'customerNotes',
      modelName: 'CustomerNote',
      indexes: [{ fields: ['customerId', 'createdAt'], name: 'customerNotes_customer_created' }],
    },
  );
  CustomerConsent.init(
    {
      id,
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      consentType: { type: DataTypes.STRING(50), allowNull: false },
      granted: { type: DataTypes.BOOLEAN, allowNull: false },
      grantedAt: { type: DataTypes.DATE, allowNull: true },
      revokedAt: { type: DataTypes.DATE, allowNull: true },
      recordedBy: { type: DataTypes.INTEGER, allowNull: true },
      method: { type: DataTypes.STRING(30), allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'customerConsents',
      modelName: 'CustomerConsent',
      indexes: [{ unique: true, fields: ['customerId', 'consentType'], name: 'customerConsents_customer_type' }],
    },
  );
  ReferralReward.init(
    {
      id,
      referrerId: { type: DataTypes.INTEGER, allowNull: false },
      refereeId: { type: DataTypes.INTEGER, allowNull: false },
      amount: moneyColumn('amount'),
      status: { type: DataTypes.ENUM(...REFERRAL_REWARD_STATUSES), allowNull: false, defaultValue: 'pending' },
      approvedBy: { type: DataTypes.INTEGER, allowNull: true },
      paidAt: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'referralRewards',
      modelName: 'ReferralReward',
      indexes: [
        { unique: true, fields: ['refereeId'], name: 'referralRewards_referee' },
        { fields: ['referrerId', 'status'], name: 'referralRewards_referrer_status' },
      ],
    },
  );
  BlacklistEntry.init(
    {
      id,
      customerId: { type: DataTypes.INTEGER, allowNull: true },
      nationalIdHash: { type: DataTypes.CHAR(64), allowNull: true },
      phone: { type: DataTypes.STRING(50), allowNull: true },
      reason: { type: DataTypes.TEXT, allowNull: false },
      addedBy: { type: DataTypes.INTEGER, allowNull: false },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      liftedAt: { type: DataTypes.DATE, allowNull: true },
      liftedBy: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'blacklistEntries',
      modelName: 'BlacklistEntry',
      indexes: [
        { fields: ['nationalIdHash'], name: 'blacklistEntries_national_id_hash' },
        { fields: ['phone'], name: 'blacklistEntries_phone' },
      ],
    },
  );
}

export function associateCustomersModels(): void {
  Customer.belongsTo(CompanyRegion, { foreignKey: 'regionId', as: 'region' });
  Customer.belongsTo(Employee, { foreignKey: 'agentId', as: 'agent' });
  Customer.belongsTo(Customer, { foreignKey: 'referredBy', as: 'referrer' });
  Customer.hasMany(Customer, { foreignKey: 'referredBy', as: 'referrals' });

  Customer.hasMany(CustomerAddress, { foreignKey: 'customerId', as: 'addresses' });
  CustomerAddress.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  CustomerAddress.belongsTo(Area, { foreignKey: 'areaId', as: 'area' });
  Customer.hasMany(CustomerContact, { foreignKey: 'customerId', as: 'contacts' });
  CustomerContact.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  Customer.hasMany(NextOfKin, { foreignKey: 'customerId', as: 'nextOfKins' });
  NextOfKin.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  Customer.hasMany(CustomerDocument, { foreignKey: 'customerId', as: 'documents' });
  CustomerDocument.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  CustomerDocument.belongsTo(Employee, { foreignKey: 'uploadedBy', as: 'uploader' });
  Customer.hasMany(KycCheck, { foreignKey: 'customerId', as: 'kycChecks' });
  KycCheck.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  KycCheck.belongsTo(Employee, { foreignKey: 'checkedBy', as: 'checker' });
  Customer.hasMany(CustomerNote, { foreignKey: 'customerId', as: 'notes' });
  CustomerNote.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  CustomerNote.belongsTo(Employee, { foreignKey: 'createdBy', as: 'author' });
  Customer.hasMany(CustomerConsent, { foreignKey: 'customerId', as: 'consents' });
  CustomerConsent.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  CustomerConsent.belongsTo(Employee, { foreignKey: 'recordedBy', as: 'recorder' });

  Customer.hasMany(ReferralReward, { foreignKey: 'referrerId', as: 'referralRewards' });
  ReferralReward.belongsTo(Customer, { foreignKey: 'referrerId', as: 'referrer' });
  ReferralReward.belongsTo(Customer, { foreignKey: 'refereeId', as: 'referee' });
  ReferralReward.belongsTo(Employee, { foreignKey: 'approvedBy', as: 'approver' });

  Customer.hasMany(BlacklistEntry, { foreignKey: 'customerId', as: 'blacklistEntries' });
  BlacklistEntry.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  BlacklistEntry.belongsTo(Employee, { foreignKey: 'addedBy', as: 'adder' });
  BlacklistEntry.belongsTo(Employee, { foreignKey: 'liftedBy', as: 'lifter' });
}
