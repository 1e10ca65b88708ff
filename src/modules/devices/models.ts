import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { Employee } from '../access/models';
import { Product, ProductType } from '../catalogue/models';
import { Warehouse } from '../organisation/reference.models';
import { Account, AccountDevice, CreditDayEntry, Repossession } from '../accounts/models';
import { Payment } from '../payments/models';

// Devices depend on accounts (a device is attached to an account), never the reverse: the links
// accounts' tables have to devices are typed on them from this side (associated below).
declare module '../accounts/models' {
  interface Account {
    devices?: NonAttribute<Device[]>;
    deviceTokens?: NonAttribute<DeviceToken[]>;
  }
  interface AccountDevice {
    device?: NonAttribute<Device>;
  }
  interface Repossession {
    device?: NonAttribute<Device | null>;
  }
  interface CreditDayEntry {
    device?: NonAttribute<Device | null>;
  }
}

export const DEVICE_MODEL_TOKEN_TYPES = ['standard', 'extended'] as const;
export type DeviceModelTokenType = (typeof DEVICE_MODEL_TOKEN_TYPES)[number];

export const DEVICE_STATUSES = ['stored', 'shipped', 'activated', 'in_repair', 'terminated'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

export const DEVICE_TOKEN_TYPES = ['ADD_TIME', 'SET_TIME', 'DISABLE_PAYG', 'COUNTER_SYNC'] as const;
export type DeviceTokenType = (typeof DEVICE_TOKEN_TYPES)[number];

export const DEVICE_TOKEN_SOURCES = ['payment', 'manual', 'resend', 'reversal', 'system', 'refund'] as const;
export type DeviceTokenSource = (typeof DEVICE_TOKEN_SOURCES)[number];

export class DeviceModel extends Model<InferAttributes<DeviceModel>, InferCreationAttributes<DeviceModel>> {
  declare id: CreationOptional<number>;
  declare manufacturer: string;
  declare name: string;
  declare code: string;
  declare productTypeId: CreationOptional<number | null>;
  declare supportsOpenPaygo: CreationOptional<boolean>;
  /** OpenPAYGO Token flavour the firmware speaks. */
  declare tokenType: CreationOptional<DeviceModelTokenType>;
  /** Keypad limited to digits 1-4 (OpenPAYGO restricted digit set). */
  declare restrictedDigitSet: CreationOptional<boolean>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare productType?: NonAttribute<ProductType | null>;
}

export class Device extends Model<InferAttributes<Device>, InferCreationAttributes<Device>> {
  declare id: CreationOptional<number>;
  declare serialNumber: string;
  declare deviceModelId: number;
  declare productId: number;
  /** The warehouse holding the unit while in stock; null once it is with a customer. */
  declare warehouseId: CreationOptional<number | null>;
  declare supplierId: CreationOptional<number | null>;
  declare purchaseOrderId: CreationOptional<number | null>;
  /** The purchase order line the unit was received on (its cost). */
  declare purchaseOrderItemId: CreationOptional<number | null>;
  declare status: CreationOptional<DeviceStatus>;
  /** Ciphertext of the OpenPAYGO secret key; decrypt only to generate a token. */
  declare openpaygoSecretKey: CreationOptional<string | null>;
  /** OpenPAYGO starting code (BIGINT; read back as a number on every dialect). */
  declare startingCode: CreationOptional<number | null>;
  /** Counter of the last token issued (OpenPAYGO token count). */
  declare tokenCount: CreationOptional<number>;
  declare firmwareVersion: CreationOptional<string | null>;
  declare activatedAt: CreationOptional<Date | null>;
  declare paygDisabledAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare deviceModel?: NonAttribute<DeviceModel>;
  declare product?: NonAttribute<Product>;
  declare warehouse?: NonAttribute<Warehouse | null>;
  declare tokens?: NonAttribute<DeviceToken[]>;
  declare events?: NonAttribute<DeviceEvent[]>;
  // Inventory's links (supplier, purchaseOrder, stockMovements) are typed in inventory/models.ts.
  declare accountDevices?: NonAttribute<AccountDevice[]>;
  declare accounts?: NonAttribute<Account[]>;
}

export class DeviceToken extends Model<InferAttributes<DeviceToken>, InferCreationAttributes<DeviceToken>> {
  declare id: CreationOptional<number>;
  declare deviceId: number;
  declare accountId: CreationOptional<number | null>;
  declare tokenType: DeviceTokenType;
  /** Days for ADD_TIME/SET_TIME; 0 for DISABLE_PAYG and COUNTER_SYNC. */
  declare value: number;
  declare token: string;
  declare tokenCount: number;
  declare paymentId: CreationOptional<number | null>;
  declare requestedBy: CreationOptional<number | null>;
  declare source: DeviceTokenSource;
  declare reason: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare device?: NonAttribute<Device>;
  declare account?: NonAttribute<Account | null>;
  declare requester?: NonAttribute<Employee | null>;
}

export class DeviceEvent extends Model<InferAttributes<DeviceEvent>, InferCreationAttributes<DeviceEvent>> {
  declare id: CreationOptional<number>;
  declare deviceId: number;
  /** e.g. status_changed, shipped, activated, token_issued, repaired. */
  declare eventType: string;
  declare payload: CreationOptional<Record<string, unknown> | null>;
  declare occurredAt: Date;
  declare createdBy: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare device?: NonAttribute<Device>;
  declare creator?: NonAttribute<Employee | null>;
}

const id = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true } as const;
const timestamps = { createdAt: DataTypes.DATE, updatedAt: DataTypes.DATE } as const;

export function initDevicesModels(sequelize: Sequelize): void {
  DeviceModel.init(
    {
      id,
      manufacturer: { type: DataTypes.STRING(255), allowNull: false },
      name: { type: DataTypes.STRING(255), allowNull: false },
      code: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      productTypeId: { type: DataTypes.INTEGER, allowNull: true },
      supportsOpenPaygo: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      tokenType: { type: DataTypes.ENUM(...DEVICE_MODEL_TOKEN_TYPES), allowNull: false, defaultValue: 'standard' },
      restrictedDigitSet: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
    },
    { sequelize, tableName: 'deviceModels', modelName: 'DeviceModel', version: true },
  );
  Device.init(
    {
      id,
      serialNumber: { type: DataTypes.STRING(100), allowNull: false, unique: true },
      deviceModelId: { type: DataTypes.INTEGER, allowNull: false },
      productId: { type: DataTypes.INTEGER, allowNull: false },
      warehouseId: { type: DataTypes.INTEGER, allowNull: true },
      supplierId: { type: DataTypes.INTEGER, allowNull: true },
      purchaseOrderId: { type: DataTypes.INTEGER, allowNull: true },
      purchaseOrderItemId: { type: DataTypes.INTEGER, allowNull: true },
      status: { type: DataTypes.ENUM(...DEVICE_STATUSES), allowNull: false, defaultValue: 'stored' },
      openpaygoSecretKey: { type: DataTypes.STRING(255), allowNull: true },
      startingCode: {
        type: DataTypes.BIGINT,
        allowNull: true,
        // mysql2 returns BIGINT as a string (bigNumberStrings); starting codes fit a double exactly.
        get(this: Device) {
          const raw = this.getDataValue('startingCode') as unknown;
          return raw === null || raw === undefined ? raw : Number(raw);
        },
      },
      tokenCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      firmwareVersion: { type: DataTypes.STRING(50), allowNull: true },
      activatedAt: { type: DataTypes.DATE, allowNull: true },
      paygDisabledAt: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'devices',
      modelName: 'Device',
      // The secret key (even encrypted) leaves the table only when asked for.
      defaultScope: { attributes: { exclude: ['openpaygoSecretKey'] } },
      scopes: { withSecret: { attributes: { include: ['openpaygoSecretKey'] } } },
      indexes: [
        { name: 'devices_warehouse_status', fields: ['warehouseId', 'status'] },
        { name: 'devices_product_status', fields: ['productId', 'status'] },
        { name: 'devices_purchase_order_item', fields: ['purchaseOrderItemId'] },
      ],
    },
  );
  DeviceToken.init(
    {
      id,
      deviceId: { type: DataTypes.INTEGER, allowNull: false },
      accountId: { type: DataTypes.INTEGER, allowNull: true },
      tokenType: { type: DataTypes.ENUM(...DEVICE_TOKEN_TYPES), allowNull: false },
      value: { type: DataTypes.INTEGER, allowNull: false },
      token: { type: DataTypes.STRING(20), allowNull: false },
      tokenCount: { type: DataTypes.INTEGER, allowNull: false },
      paymentId: { type: DataTypes.INTEGER, allowNull: true },
      requestedBy: { type: DataTypes.INTEGER, allowNull: true },
      source: { type: DataTypes.ENUM(...DEVICE_TOKEN_SOURCES), allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'deviceTokens',
      modelName: 'DeviceToken',
      indexes: [
        { name: 'deviceTokens_device_count', fields: ['deviceId', 'tokenCount'], unique: true },
        { name: 'deviceTokens_account_created', fields: ['accountId', 'createdAt'] },
        { name: 'deviceTokens_payment', fields: ['paymentId'] },
      ],
    },
  );
  DeviceEvent.init(
    {
      id,
      deviceId: { type: DataTypes.INTEGER, allowNull: false },
      eventType: { type: DataTypes.STRING(50), allowNull: false },
      payload: { type: DataTypes.JSON, allowNull: true },
      occurredAt: { type: DataTypes.DATE, allowNull: false },
      createdBy: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'deviceEvents',
      modelName: 'DeviceEvent',
      indexes: [{ name: 'deviceEvents_device_occurred', fields: ['deviceId', 'occurredAt'] }],
    },
  );
}

/**
 * Associations inside the module and towards catalogue, organisation, access, accounts and
 * payments (which sit below devices). Suppliers, purchase orders and stock movements (inventory) associate with
 * devices from their own module.
 */
export function associateDevicesModels(): void {
  DeviceModel.belongsTo(ProductType, { foreignKey: 'productTypeId', as: 'productType' });
  DeviceModel.hasMany(Device, { foreignKey: 'deviceModelId', as: 'devices' });
  Device.belongsTo(DeviceModel, { foreignKey: 'deviceModelId', as: 'deviceModel' });
  Device.belongsTo(Product, { foreignKey: 'productId', as: 'product' });
  Product.hasMany(Device, { foreignKey: 'productId', as: 'devices' });
  Device.belongsTo(Warehouse, { foreignKey: 'warehouseId', as: 'warehouse' });
  Warehouse.hasMany(Device, { foreignKey: 'warehouseId', as: 'devices' });
  Device.hasMany(DeviceToken, { foreignKey: 'deviceId', as: 'tokens' });
  DeviceToken.belongsTo(Device, { foreignKey: 'deviceId', as: 'device' });
  DeviceToken.belongsTo(Employee, { foreignKey: 'requestedBy', as: 'requester' });
  Device.hasMany(DeviceEvent, { foreignKey: 'deviceId', as: 'events' });
  DeviceEvent.belongsTo(Device, { foreignKey: 'deviceId', as: 'device' });
  DeviceEvent.belongsTo(Employee, { foreignKey: 'createdBy', as: 'creator' });

  // Accounts' links to devices (devices sit above accounts).
  AccountDevice.belongsTo(Device, { foreignKey: 'deviceId', as: 'device' });
  Device.hasMany(AccountDevice, { foreignKey: 'deviceId', as: 'accountDevices' });
  Account.belongsToMany(Device, { through: AccountDevice, foreignKey: 'accountId', otherKey: 'deviceId', as: 'devices' });
  Device.belongsToMany(Account, { through: AccountDevice, foreignKey: 'deviceId', otherKey: 'accountId', as: 'accounts' });
  Account.hasMany(DeviceToken, { foreignKey: 'accountId', as: 'deviceTokens' });
  DeviceToken.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Repossession.belongsTo(Device, { foreignKey: 'deviceId', as: 'device' });
  CreditDayEntry.belongsTo(Device, { foreignKey: 'deviceId', as: 'device' });

  // Payments buy tokens (devices sit above payments: they listen to its events).
  DeviceToken.belongsTo(Payment, { foreignKey: 'paymentId', as: 'payment' });
}
