import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { moneyColumn, idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';
import { Decimal, type MoneyString } from '../../platform/money';
import { Employee } from '../access/models';
import { Country } from '../organisation/models';

export const LEDGER_ACCOUNT_TYPES = ['asset', 'liability', 'equity', 'income', 'expense'] as const;
export type LedgerAccountType = (typeof LEDGER_ACCOUNT_TYPES)[number];

export const NORMAL_BALANCES = ['debit', 'credit'] as const;
export type NormalBalance = (typeof NORMAL_BALANCES)[number];

export const FISCAL_PERIOD_STATUSES = ['open', 'closed'] as const;
export type FiscalPeriodStatus = (typeof FISCAL_PERIOD_STATUSES)[number];

/** Usual values of journalEntries.sourceType (the column is free text, VARCHAR(50)). */
export const JOURNAL_SOURCE_TYPES = [
  'payment',
  'reversal',
  'refund',
  'writeoff',
  'charge',
  'sale',
  'remittance',
  'credit_note',
  'commission',
  'manual',
] as const;

/** Chart of accounts. Reference data: optimistic `version`, retired with isActive = false. */
export class LedgerAccount extends Model<InferAttributes<LedgerAccount>, InferCreationAttributes<LedgerAccount>> {
  declare id: CreationOptional<number>;
  /** e.g. '1200' (see seeders/20261124000150-reference-ledger-accounts.js). */
  declare code: string;
  declare name: string;
  declare type: LedgerAccountType;
  declare normalBalance: NormalBalance;
  declare description: CreationOptional<string | null>;
  declare parentId: CreationOptional<number | null>;
  /** A control account is posted only with a sub-ledger: every line on it carries accountId. */
  declare isControl: CreationOptional<boolean>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare parent?: NonAttribute<LedgerAccount | null>;
  declare children?: NonAttribute<LedgerAccount[]>;
  declare lines?: NonAttribute<JournalLine[]>;
}

/** A period of the books; a closed period takes no postings (also refused by a database trigger). */
export class FiscalPeriod extends Model<InferAttributes<FiscalPeriod>, InferCreationAttributes<FiscalPeriod>> {
  declare id: CreationOptional<number>;
  /** e.g. '2026-11'. */
  declare name: string;
  declare startDate: string;
  declare endDate: string;
  declare status: CreationOptional<FiscalPeriodStatus>;
  declare closedAt: CreationOptional<Date | null>;
  declare closedBy: CreationOptional<number | null>;
  /** NULL = a global period, for every country. */
  declare countryId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare country?: NonAttribute<Country | null>;
  declare closer?: NonAttribute<Employee | null>;
  declare entries?: NonAttribute<JournalEntry[]>;
}

/**
 * One balanced posting. Its lines sum to zero (debits = credits), written in the same transaction
 * as the business change. The database refuses an entry whose fiscal period is closed or does not
 * cover its businessDate. A mistake is corrected by a reversing entry (reversalOfId, unique: an
 * entry is reversed at most once), never by an edit.
 */
export class JournalEntry extends Model<InferAttributes<JournalEntry>, InferCreationAttributes<JournalEntry>> {
  declare id: CreationOptional<number>;
  declare entryNumber: string;
  declare businessDate: string;
  declare fiscalPeriodId: number;
  declare description: string;
  /** What posted it: see JOURNAL_SOURCE_TYPES. */
  declare sourceType: string;
  declare sourceId: CreationOptional<number | null>;
  /** The loan account the entry is about, if any. */
  declare accountId: CreationOptional<number | null>;
  declare reversalOfId: CreationOptional<number | null>;
  /** ISO 4217, e.g. KES. */
  declare currency: string;
  /** The country the entry is booked in (null only on entries older than its migration that no country could be found for). */
  declare countryId: CreationOptional<number | null>;
  /** NULL = posted by the system (callback, nightly job). */
  declare createdBy: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare lines?: NonAttribute<JournalLine[]>;
  declare fiscalPeriod?: NonAttribute<FiscalPeriod>;
  declare reversalOf?: NonAttribute<JournalEntry | null>;
  declare reversal?: NonAttribute<JournalEntry | null>;
  declare creator?: NonAttribute<Employee | null>;
}

/**
 * A journal line. APPEND-ONLY: lines are only ever inserted, never updated or deleted. The
 * database refuses UPDATE and DELETE (triggers journalLines_no_update / journalLines_no_delete on
 * MySQL/MariaDB and SQLite) and the model's hooks refuse them before they reach it. Exactly one of
 * debit/credit is above zero, neither below (CHECK journalLines_one_sided; a trigger on SQLite).
 */
export class JournalLine extends Model<InferAttributes<JournalLine>, InferCreationAttributes<JournalLine>> {
  declare id: CreationOptional<number>;
  declare journalEntryId: number;
  declare ledgerAccountId: number;
  /** Sub-ledger: the loan account this line belongs to (required on control accounts). */
  declare accountId: CreationOptional<number | null>;
  declare debit: CreationOptional<MoneyString>;
  declare credit: CreationOptional<MoneyString>;
  declare memo: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare entry?: NonAttribute<JournalEntry>;
  declare ledgerAccount?: NonAttribute<LedgerAccount>;
}

function appendOnly(): never {
  throw new Error('journalLines are append-only: post a reversing entry instead of changing or deleting a line');
}

export function initLedgerModels(sequelize: Sequelize): void {
  LedgerAccount.init(
    {
      id,
      code: { type: DataTypes.STRING(20), allowNull: false, unique: true },
      name: { type: DataTypes.STRING(255), allowNull: false },
      type: { type: DataTypes.ENUM(...LEDGER_ACCOUNT_TYPES), allowNull: false },
      normalBalance: { type: DataTypes.ENUM(...NORMAL_BALANCES), allowNull: false },
      description: { type: DataTypes.STRING(255), allowNull: true },
      parentId: { type: DataTypes.INTEGER, allowNull: true },
      isControl: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
    },
    { sequelize, tableName: 'ledgerAccounts', modelName: 'LedgerAccount', version: true },
  );
  FiscalPeriod.init(
    {
      id,
      name: { type: DataTypes.STRING(50), allowNull: false },
      startDate: { type: DataTypes.DATEONLY, allowNull: false },
      endDate: { type: DataTypes.DATEONLY, allowNull: false },
      status: { type: DataTypes.ENUM(...FISCAL_PERIOD_STATUSES), allowNull: false, defaultValue: 'open' },
      closedAt: { type: DataTypes.DATE, allowNull: true },
      closedBy: { type: DataTypes.INTEGER, allowNull: true },
      countryId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'fiscalPeriods',
      modelName: 'FiscalPeriod',
      indexes: [
        // NULL countryId (global) rows are not unique to the database: check before opening one.
        { name: 'fiscalPeriods_country_start', fields: ['countryId', 'startDate'], unique: true },
        { name: 'fiscalPeriods_dates', fields: ['startDate', 'endDate'] },
      ],
    },
  );
  JournalEntry.init(
    {
      id,
      entryNumber: { type: DataTypes.STRING(30), allowNull: false, unique: true },
      businessDate: { type: DataTypes.DATEONLY, allowNull: false },
      fiscalPeriodId: { type: DataTypes.INTEGER, allowNull: false },
      description: { type: DataTypes.STRING(255), allowNull: false },
      sourceType: { type: DataTypes.STRING(50), allowNull: false },
      sourceId: { type: DataTypes.INTEGER, allowNull: true },
      accountId: { type: DataTypes.INTEGER, allowNull: true },
      reversalOfId: { type: DataTypes.INTEGER, allowNull: true, unique: true },
      currency: { type: DataTypes.CHAR(3), allowNull: false },
      countryId: { type: DataTypes.INTEGER, allowNull: true },
      createdBy: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'journalEntries',
      modelName: 'JournalEntry',
      indexes: [
        { name: 'journalEntries_source', fields: ['sourceType', 'sourceId'] },
        { name: 'journalEntries_account_date', fields: ['accountId', 'businessDate'] },
        { name: 'journalEntries_business_date', fields: ['businessDate'] },
        { name: 'journalEntries_country_date', fields: ['countryId', 'businessDate'] },
      ],
    },
  );
  JournalLine.init(
    {
      id,
      journalEntryId: { type: DataTypes.INTEGER, allowNull: false },
      ledgerAccountId: { type: DataTypes.INTEGER, allowNull: false },
      accountId: { type: DataTypes.INTEGER, allowNull: true },
      debit: moneyColumn('debit', { defaultValue: '0.00' }),
      credit: moneyColumn('credit', { defaultValue: '0.00' }),
      memo: { type: DataTypes.STRING(255), allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'journalLines',
      modelName: 'JournalLine',
      indexes: [
        { name: 'journalLines_entry', fields: ['journalEntryId'] },
        { name: 'journalLines_ledger_account', fields: ['ledgerAccountId'] },
        { name: 'journalLines_account', fields: ['accountId'] },
      ],
      validate: {
        oneSided(this: JournalLine) {
          const debit = new Decimal(this.debit ?? 0);
          const credit = new Decimal(this.credit ?? 0);
          if (debit.isNegative() || credit.isNegative() || debit.isZero() === credit.isZero()) {
            throw new Error('a journal line has exactly one of debit or credit above zero, and neither below zero');
          }
        },
      },
      // No updates are ever made: a line is inserted once and kept forever.
      hooks: {
        beforeUpdate: appendOnly,
        beforeBulkUpdate: appendOnly,
        beforeDestroy: appendOnly,
        beforeBulkDestroy: appendOnly,
        beforeUpsert: appendOnly,
      },
    },
  );
}

export function associateLedgerModels(): void {
  LedgerAccount.belongsTo(LedgerAccount, { foreignKey: 'parentId', as: 'parent' });
  LedgerAccount.hasMany(LedgerAccount, { foreignKey: 'parentId', as: 'children' });
  LedgerAccount.hasMany(JournalLine, { foreignKey: 'ledgerAccountId', as: 'lines' });

  FiscalPeriod.belongsTo(Country, { foreignKey: 'countryId', as: 'country' });
  FiscalPeriod.belongsTo(Employee, { foreignKey: 'closedBy', as: 'closer' });
  FiscalPeriod.hasMany(JournalEntry, { foreignKey: 'fiscalPeriodId', as: 'entries' });

  JournalEntry.hasMany(JournalLine, { foreignKey: 'journalEntryId', as: 'lines' });
  JournalEntry.belongsTo(FiscalPeriod, { foreignKey: 'fiscalPeriodId', as: 'fiscalPeriod' });
  JournalEntry.belongsTo(JournalEntry, { foreignKey: 'reversalOfId', as: 'reversalOf' });
  JournalEntry.hasOne(JournalEntry, { foreignKey: 'reversalOfId', as: 'reversal' });
  JournalEntry.belongsTo(Employee, { foreignKey: 'createdBy', as: 'creator' });

  JournalLine.belongsTo(JournalEntry, { foreignKey: 'journalEntryId', as: 'entry' });
  JournalLine.belongsTo(LedgerAccount, { foreignKey: 'ledgerAccountId', as: 'ledgerAccount' });
}
