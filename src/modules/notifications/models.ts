import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { Employee } from '../access/models';
import { Account } from '../accounts/models';
import { Customer } from '../customers/models';

export const NOTIFICATION_CHANNELS = ['sms', 'email'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

/** pending -> sending -> sent -> delivered; or failed. */
export const NOTIFICATION_STATUSES = ['pending', 'sending', 'sent', 'delivered', 'failed'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export class NotificationTemplate extends Model<InferAttributes<NotificationTemplate>, InferCreationAttributes<NotificationTemplate>> {
  declare id: CreationOptional<number>;
  /** e.g. payment_received, reminder_due */
  declare code: string;
  /** e.g. en, sw, fr (customers.preferredLanguage) */
  declare language: string;
  declare channel: NotificationChannel;
  declare subject: CreationOptional<string | null>;
  /** Text with {{placeholders}}. */
  declare body: string;
  declare description: CreationOptional<string | null>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class Notification extends Model<InferAttributes<Notification>, InferCreationAttributes<Notification>> {
  declare id: CreationOptional<number>;
  declare customerId: CreationOptional<number | null>;
  declare employeeId: CreationOptional<number | null>;
  declare accountId: CreationOptional<number | null>;
  declare channel: NotificationChannel;
  /** Phone number (E.164) or e-mail address. */
  declare recipient: string;
  declare templateCode: CreationOptional<string | null>;
  declare subject: CreationOptional<string | null>;
  declare body: string;
  declare status: CreationOptional<NotificationStatus>;
  declare provider: CreationOptional<string | null>;
  declare providerMessageId: CreationOptional<string | null>;
  declare attempts: CreationOptional<number>;
  declare lastError: CreationOptional<string | null>;
  /** Not sent before this instant (quiet hours, back-off). */
  declare sendAfter: Date;
  declare sentAt: CreationOptional<Date | null>;
  declare deliveredAt: CreationOptional<Date | null>;
  /** Unique, e.g. reminder:<accountId>:<date>: a nightly re-run never sends twice. */
  declare dedupeKey: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare customer?: NonAttribute<Customer | null>;
  declare employee?: NonAttribute<Employee | null>;
  declare account?: NonAttribute<Account | null>;
}

const id = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true } as const;
const timestamps = { createdAt: DataTypes.DATE, updatedAt: DataTypes.DATE } as const;

export function initNotificationsModels(sequelize: Sequelize): void {
  NotificationTemplate.init(
    {
      id,
      code: { type: DataTypes.STRING(100), allowNull: false },
      language: { type: DataTypes.STRING(10), allowNull: false },
      channel: { type: DataTypes.ENUM(...NOTIFICATION_CHANNELS), allowNull: false },
      subject: { type: DataTypes.STRING(255), allowNull: true },
      body: { type: DataTypes.TEXT, allowNull: false },
      description: { type: DataTypes.STRING(255), allowNull: true },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'notificationTemplates',
      modelName: 'NotificationTemplate',
      version: true,
      indexes: [{ name: 'notificationTemplates_code_language_channel', fields: ['code', 'language', 'channel'], unique: true }],
    },
  );
  Notification.init(
    {
      id,
      customerId: { type: DataTypes.INTEGER, allowNull: true },
      employeeId: { type: DataTypes.INTEGER, allowNull: true },
      accountId: { type: DataTypes.INTEGER, allowNull: true },
      channel: { type: DataTypes.ENUM(...NOTIFICATION_CHANNELS), allowNull: false },
      recipient: { type: DataTypes.STRING(255), allowNull: false },
      templateCode: { type: DataTypes.STRING(100), allowNull: true },
      subject: { type: DataTypes.STRING(255), allowNull: true },
      body: { type: DataTypes.TEXT, allowNull: false },
      status: { type: DataTypes.ENUM(...NOTIFICATION_STATUSES), allowNull: false, defaultValue: 'pending' },
      provider: { type: DataTypes.STRING(50), allowNull: true },
      providerMessageId: { type: DataTypes.STRING(191), allowNull: true },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      lastError: { type: DataTypes.TEXT, allowNull: true },
      sendAfter: { type: DataTypes.DATE, allowNull: false },
      sentAt: { type: DataTypes.DATE, allowNull: true },
      deliveredAt: { type: DataTypes.DATE, allowNull: true },
      dedupeKey: { type: DataTypes.STRING(191), allowNull: true, unique: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'notifications',
      modelName: 'Notification',
      indexes: [
        { name: 'notifications_status_send_after', fields: ['status', 'sendAfter'] },
        { name: 'notifications_provider_message', fields: ['provider', 'providerMessageId'] },
      ],
    },
  );
}

export function associateNotificationsModels(): void {
  Notification.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  Customer.hasMany(Notification, { foreignKey: 'customerId', as: 'notifications' });
  Notification.belongsTo(Employee, { foreignKey: 'employeeId', as: 'employee' });
  Notification.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Account.hasMany(Notification, { foreignKey: 'accountId', as: 'notifications' });
}
