import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';
import { Employee } from '../access/models';
import { initSalesforceModels } from './salesforce/models';

export const NETSUITE_SYNC_STATUSES = ['pending', 'success', 'failed'] as const;
export type NetsuiteSyncStatus = (typeof NETSUITE_SYNC_STATUSES)[number];

export const OUTBOX_TARGETS = ['netsuite', 'salesforce', 'webhook'] as const;
export type OutboxTarget = (typeof OUTBOX_TARGETS)[number];

/**
 * pending -> processing (leased by a drain worker) -> done; or back to pending (retry, after a
 * backoff); or failed: dead (after SYNC_MAX_ATTEMPTS or a permanent error), kept with lastError
 * until an operator retries it (drain.ts).
 */
export const OUTBOX_STATUSES = ['pending', 'processing', 'done', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export const DATA_IMPORT_STATUSES = ['uploaded', 'processing', 'completed', 'failed'] as const;
export type DataImportStatus = (typeof DATA_IMPORT_STATUSES)[number];

export interface DataImportRowError {
  row: number;
  field?: string;
  message: string;
}

/** NetSuite id of a local record (original schema document columns). */
export class NetsuiteSync extends Model<InferAttributes<NetsuiteSync>, InferCreationAttributes<NetsuiteSync>> {
  declare id: CreationOptional<number>;
  declare entityType: string;
  declare entityId: number;
  declare netsuiteId: CreationOptional<string | null>;
  declare lastSyncDate: CreationOptional<Date | null>;
  declare syncStatus: CreationOptional<NetsuiteSyncStatus>;
  declare errorMessage: CreationOptional<string | null>;
  declare attempts: CreationOptional<number>;
  declare nextAttemptAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Salesforce id of a local record (original schema document columns). */
export class SalesforceMapping extends Model<InferAttributes<SalesforceMapping>, InferCreationAttributes<SalesforceMapping>> {
  declare id: CreationOptional<number>;
  declare localEntity: string;
  declare localId: number;
  /** null until the record exists in Salesforce. */
  declare salesforceId: CreationOptional<string | null>;
  declare salesforceObject: string;
  declare lastSync: CreationOptional<Date | null>;
  /** Customers: the fields as AMT last agreed them with Salesforce (the inbound pull's base; salesforce/fields.ts). */
  declare sentState: CreationOptional<Record<string, string | null> | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Written in the same transaction as the business change; drained by workers. */
export class SyncOutbox extends Model<InferAttributes<SyncOutbox>, InferCreationAttributes<SyncOutbox>> {
  declare id: CreationOptional<number>;
  declare aggregateType: string;
  declare aggregateId: number;
  declare eventType: string;
  declare payload: Record<string, unknown>;
  declare target: OutboxTarget;
  declare status: CreationOptional<OutboxStatus>;
  declare attempts: CreationOptional<number>;
  /** Not picked up before this instant. */
  declare availableAt: Date;
  declare lastError: CreationOptional<string | null>;
  declare processedAt: CreationOptional<Date | null>;
  /** The fencing token of the drain worker's lease while processing; null otherwise. */
  declare leaseId: CreationOptional<string | null>;
  /** Which worker holds (or last held) the lease, for operators. */
  declare leasedBy: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare webhookDeliveries?: NonAttribute<WebhookDelivery[]>;
}

export class WebhookSubscription extends Model<InferAttributes<WebhookSubscription>, InferCreationAttributes<WebhookSubscription>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare url: string;
  /** Signing secret, encrypted (ciphertext). Never returned by the API. */
  declare secret: string;
  /** Event types delivered, e.g. ['payment.completed']. */
  declare events: string[];
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare deliveries?: NonAttribute<WebhookDelivery[]>;
}

export class WebhookDelivery extends Model<InferAttributes<WebhookDelivery>, InferCreationAttributes<WebhookDelivery>> {
  declare id: CreationOptional<number>;
  declare webhookSubscriptionId: number;
  declare syncOutboxId: CreationOptional<number | null>;
  declare eventType: string;
  declare payload: Record<string, unknown>;
  declare status: CreationOptional<WebhookDeliveryStatus>;
  declare responseStatus: CreationOptional<number | null>;
  declare attempts: CreationOptional<number>;
  declare lastError: CreationOptional<string | null>;
  declare nextAttemptAt: CreationOptional<Date | null>;
  declare deliveredAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare subscription?: NonAttribute<WebhookSubscription>;
  declare outboxEvent?: NonAttribute<SyncOutbox | null>;
}

export class DataImport extends Model<InferAttributes<DataImport>, InferCreationAttributes<DataImport>> {
  declare id: CreationOptional<number>;
  /** e.g. customers, devices, payments */
  declare importType: string;
  declare fileName: string;
  declare storageKey: CreationOptional<string | null>;
  /** SHA-256 of the file. */
  declare checksum: CreationOptional<string | null>;
  declare status: CreationOptional<DataImportStatus>;
  declare totalRows: CreationOptional<number>;
  declare processedRows: CreationOptional<number>;
  declare failedRows: CreationOptional<number>;
  declare rowErrors: CreationOptional<DataImportRowError[] | null>;
  declare uploadedBy: number;
  declare startedAt: CreationOptional<Date | null>;
  declare finishedAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare uploader?: NonAttribute<Employee>;
}

export function initIntegrationsModels(sequelize: Sequelize): void {
  initSalesforceModels(sequelize);
  NetsuiteSync.init(
    {
      id,
      entityType: { type: DataTypes.STRING(50), allowNull: false },
      entityId: { type: DataTypes.INTEGER, allowNull: false },
      netsuiteId: { type: DataTypes.STRING(100), allowNull: true },
      lastSyncDate: { type: DataTypes.DATE, allowNull: true },
      syncStatus: { type: DataTypes.ENUM(...NETSUITE_SYNC_STATUSES), allowNull: false, defaultValue: 'pending' },
      errorMessage: { type: DataTypes.TEXT, allowNull: true },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      nextAttemptAt: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'netsuiteSync',
      modelName: 'NetsuiteSync',
      indexes: [
        { name: 'netsuiteSync_entity', fields: ['entityType', 'entityId'], unique: true },
        { name: 'netsuiteSync_status_next_attempt', fields: ['syncStatus', 'nextAttemptAt'] },
      ],
    },
  );
  SalesforceMapping.init(
    {
      id,
      localEntity: { type: DataTypes.STRING(50), allowNull: false },
      localId: { type: DataTypes.INTEGER, allowNull: false },
      salesforceId: { type: DataTypes.STRING(100), allowNull: true },
      salesforceObject: { type: DataTypes.STRING(50), allowNull: false },
      lastSync: { type: DataTypes.DATE, allowNull: true },
      sentState: { type: DataTypes.JSON, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'salesforceMapping',
      modelName: 'SalesforceMapping',
      indexes: [
        { name: 'salesforceMapping_local', fields: ['localEntity', 'localId'], unique: true },
        { name: 'salesforceMapping_remote', fields: ['salesforceObject', 'salesforceId'], unique: true },
      ],
    },
  );
  SyncOutbox.init(
    {
      id,
      aggregateType: { type: DataTypes.STRING(50), allowNull: false },
      aggregateId: { type: DataTypes.INTEGER, allowNull: false },
      eventType: { type: DataTypes.STRING(100), allowNull: false },
      payload: { type: DataTypes.JSON, allowNull: false },
      target: { type: DataTypes.ENUM(...OUTBOX_TARGETS), allowNull: false },
      status: { type: DataTypes.ENUM(...OUTBOX_STATUSES), allowNull: false, defaultValue: 'pending' },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      availableAt: { type: DataTypes.DATE, allowNull: false },
      lastError: { type: DataTypes.TEXT, allowNull: true },
      processedAt: { type: DataTypes.DATE, allowNull: true },
      leaseId: { type: DataTypes.CHAR(36), allowNull: true },
      leasedBy: { type: DataTypes.STRING(100), allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'syncOutbox',
      modelName: 'SyncOutbox',
      indexes: [
        { name: 'syncOutbox_target_status_available', fields: ['target', 'status', 'availableAt'] },
        { name: 'syncOutbox_status_processed', fields: ['status', 'processedAt'] },
        { name: 'syncOutbox_aggregate', fields: ['aggregateType', 'aggregateId'] },
      ],
    },
  );
  WebhookSubscription.init(
    {
      id,
      name: { type: DataTypes.STRING(255), allowNull: false },
      url: { type: DataTypes.STRING(2048), allowNull: false },
      secret: { type: DataTypes.STRING(512), allowNull: false },
      events: { type: DataTypes.JSON, allowNull: false },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'webhookSubscriptions',
      modelName: 'WebhookSubscription',
      version: true,
      defaultScope: { attributes: { exclude: ['secret'] } },
      scopes: { withSecret: { attributes: { include: ['secret'] } } },
    },
  );
  WebhookDelivery.init(
    {
      id,
      webhookSubscriptionId: { type: DataTypes.INTEGER, allowNull: false },
      syncOutboxId: { type: DataTypes.INTEGER, allowNull: true },
      eventType: { type: DataTypes.STRING(100), allowNull: false },
      payload: { type: DataTypes.JSON, allowNull: false },
      status: { type: DataTypes.ENUM(...WEBHOOK_DELIVERY_STATUSES), allowNull: false, defaultValue: 'pending' },
      responseStatus: { type: DataTypes.INTEGER, allowNull: true },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      lastError: { type: DataTypes.TEXT, allowNull: true },
      nextAttemptAt: { type: DataTypes.DATE, allowNull: true },
      deliveredAt: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'webhookDeliveries',
      modelName: 'WebhookDelivery',
      indexes: [
        { name: 'webhookDeliveries_subscription_outbox', fields: ['webhookSubscriptionId', 'syncOutboxId'], unique: true },
        { name: 'webhookDeliveries_status_next_attempt', fields: ['status', 'nextAttemptAt'] },
      ],
    },
  );
  DataImport.init(
    {
      id,
      importType: { type: DataTypes.STRING(50), allowNull: false },
      fileName: { type: DataTypes.STRING(255), allowNull: false },
      storageKey: { type: DataTypes.STRING(255), allowNull: true },
      checksum: { type: DataTypes.CHAR(64), allowNull: true },
      status: { type: DataTypes.ENUM(...DATA_IMPORT_STATUSES), allowNull: false, defaultValue: 'uploaded' },
      totalRows: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      processedRows: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      failedRows: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      rowErrors: { type: DataTypes.JSON, allowNull: true },
      uploadedBy: { type: DataTypes.INTEGER, allowNull: false },
      startedAt: { type: DataTypes.DATE, allowNull: true },
      finishedAt: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'dataImports',
      modelName: 'DataImport',
      indexes: [{ name: 'dataImports_type_status', fields: ['importType', 'status'] }],
    },
  );
}

export function associateIntegrationsModels(): void {
  SyncOutbox.hasMany(WebhookDelivery, { foreignKey: 'syncOutboxId', as: 'webhookDeliveries' });
  WebhookSubscription.hasMany(WebhookDelivery, { foreignKey: 'webhookSubscriptionId', as: 'deliveries' });
  WebhookDelivery.belongsTo(WebhookSubscription, { foreignKey: 'webhookSubscriptionId', as: 'subscription' });
  WebhookDelivery.belongsTo(SyncOutbox, { foreignKey: 'syncOutboxId', as: 'outboxEvent' });
  DataImport.belongsTo(Employee, { foreignKey: 'uploadedBy', as: 'uploader' });
}
