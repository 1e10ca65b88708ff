import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { moneyColumn, idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';
import type { MoneyString } from '../../platform/money';
import { Employee } from '../access/models';
import { Product } from '../catalogue/models';
import { Device, DeviceModel } from '../devices/models';
import { Country } from '../organisation/models';
import { Warehouse } from '../organisation/reference.models';

// Inventory depends on devices (devices are stocked, bought and moved here), never the reverse: the
// links a device has to inventory's tables are typed on Device from this side (associated below).
declare module '../devices/models' {
  interface Device {
    supplier?: NonAttribute<Supplier | null>;
    purchaseOrder?: NonAttribute<PurchaseOrder | null>;
    stockMovements?: NonAttribute<StockMovement[]>;
  }
}

export const PURCHASE_ORDER_STATUSES = ['draft', 'ordered', 'partially_received', 'received', 'cancelled'] as const;
export type PurchaseOrderStatus = (typeof PURCHASE_ORDER_STATUSES)[number];

export const STOCK_MOVEMENT_TYPES = ['receipt', 'sale', 'transfer_out', 'transfer_in', 'adjustment', 'return', 'repossession'] as const;
export type StockMovementType = (typeof STOCK_MOVEMENT_TYPES)[number];

export const STOCK_TRANSFER_STATUSES = ['draft', 'in_transit', 'received', 'cancelled'] as const;
export type StockTransferStatus = (typeof STOCK_TRANSFER_STATUSES)[number];

export class Supplier extends Model<InferAttributes<Supplier>, InferCreationAttributes<Supplier>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare code: string;
  declare contactName: CreationOptional<string | null>;
  declare email: CreationOptional<string | null>;
  declare phone: CreationOptional<string | null>;
  declare address: CreationOptional<string | null>;
  declare countryId: CreationOptional<number | null>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare country?: NonAttribute<Country | null>;
}

export class PurchaseOrder extends Model<InferAttributes<PurchaseOrder>, InferCreationAttributes<PurchaseOrder>> {
  declare id: CreationOptional<number>;
  declare supplierId: number;
  declare orderNumber: string;
  declare status: CreationOptional<PurchaseOrderStatus>;
  /** Warehouse the goods are to be received into. */
  declare warehouseId: CreationOptional<number | null>;
  declare orderedAt: CreationOptional<Date | null>;
  declare expectedAt: CreationOptional<string | null>;
  declare totalAmount: CreationOptional<MoneyString>;
  declare currency: CreationOptional<string | null>;
  declare notes: CreationOptional<string | null>;
  declare createdBy: number;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare supplier?: NonAttribute<Supplier>;
  declare warehouse?: NonAttribute<Warehouse | null>;
  declare items?: NonAttribute<PurchaseOrderItem[]>;
}

export class PurchaseOrderItem extends Model<InferAttributes<PurchaseOrderItem>, InferCreationAttributes<PurchaseOrderItem>> {
  declare id: CreationOptional<number>;
  declare purchaseOrderId: number;
  declare productId: number;
  declare deviceModelId: CreationOptional<number | null>;
  declare quantity: number;
  declare receivedQuantity: CreationOptional<number>;
  declare unitCost: MoneyString;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare purchaseOrder?: NonAttribute<PurchaseOrder>;
  declare product?: NonAttribute<Product>;
  declare deviceModel?: NonAttribute<DeviceModel | null>;
}

export class StockItem extends Model<InferAttributes<StockItem>, InferCreationAttributes<StockItem>> {
  declare id: CreationOptional<number>;
  declare warehouseId: number;
  declare productId: number;
  declare quantity: CreationOptional<number>;
  /** Held for pending accounts or transfers; available = quantity - reservedQuantity. */
  declare reservedQuantity: CreationOptional<number>;
  declare reorderLevel: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare warehouse?: NonAttribute<Warehouse>;
  declare product?: NonAttribute<Product>;
}

export class StockMovement extends Model<InferAttributes<StockMovement>, InferCreationAttributes<StockMovement>> {
  declare id: CreationOptional<number>;
  declare warehouseId: number;
  declare productId: number;
  declare deviceId: CreationOptional<number | null>;
  /** Signed: positive into the warehouse, negative out of it. */
  declare quantity: number;
  declare movementType: StockMovementType;
  /** What caused it, e.g. ('purchaseOrders', 12), ('stockTransfers', 3), ('accounts', 99). */
  declare referenceType: CreationOptional<string | null>;
  declare referenceId: CreationOptional<number | null>;
  declare note: CreationOptional<string | null>;
  declare createdBy: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare warehouse?: NonAttribute<Warehouse>;
  declare product?: NonAttribute<Product>;
  declare device?: NonAttribute<Device | null>;
  declare creator?: NonAttribute<Employee | null>;
}

export class StockTransfer extends Model<InferAttributes<StockTransfer>, InferCreationAttributes<StockTransfer>> {
  declare id: CreationOptional<number>;
  declare fromWarehouseId: number;
  declare toWarehouseId: number;
  declare transferNumber: string;
  declare status: CreationOptional<StockTransferStatus>;
  declare shippedAt: CreationOptional<Date | null>;
  declare receivedAt: CreationOptional<Date | null>;
  declare notes: CreationOptional<string | null>;
  declare createdBy: number;
  declare receivedBy: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare fromWarehouse?: NonAttribute<Warehouse>;
  declare toWarehouse?: NonAttribute<Warehouse>;
  declare items?: NonAttribute<StockTransferItem[]>;
}

export class StockTransferItem extends Model<InferAttributes<StockTransferItem>, InferCreationAttributes<StockTransferItem>> {
  declare id: CreationOptional<number>;
  declare stockTransferId: number;
  declare productId: number;
  declare deviceId: CreationOptional<number | null>;
  /** The device while the transfer is in transit, NULL once received or cancelled (unique: one open transfer per device). */
  declare inTransitDeviceId: CreationOptional<number | null>;
  declare quantity: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare stockTransfer?: NonAttribute<StockTransfer>;
  declare product?: NonAttribute<Product>;
  declare device?: NonAttribute<Device | null>;
}

export function initInventoryModels(sequelize: Sequelize): void {
  Supplier.init(
    {
      id,
      name: { type: DataTypes.STRING(255), allowNull: false },
      code: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      contactName: { type: DataTypes.STRING(255), allowNull: true },
      email: { type: DataTypes.STRING(255), allowNull: true },
      phone: { type: DataTypes.STRING(50), allowNull: true },
      address: { type: DataTypes.TEXT, allowNull: true },
      countryId: { type: DataTypes.INTEGER, allowNull: true },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
    },
    { sequelize, tableName: 'suppliers', modelName: 'Supplier', version: true },
  );
  PurchaseOrder.init(
    {
      id,
      supplierId: { type: DataTypes.INTEGER, allowNull: false },
      orderNumber: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      status: { type: DataTypes.ENUM(...PURCHASE_ORDER_STATUSES), allowNull: false, defaultValue: 'draft' },
      warehouseId: { type: DataTypes.INTEGER, allowNull: true },
      orderedAt: { type: DataTypes.DATE, allowNull: true },
      expectedAt: { type: DataTypes.DATEONLY, allowNull: true },
      totalAmount: moneyColumn('totalAmount', { defaultValue: '0.00' }),
      currency: { type: DataTypes.STRING(3), allowNull: true },
      notes: { type: DataTypes.TEXT, allowNull: true },
      createdBy: { type: DataTypes.INTEGER, allowNull: false },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'purchaseOrders',
      modelName: 'PurchaseOrder',
      indexes: [{ name: 'purchaseOrders_status_expected', fields: ['status', 'expectedAt'] }],
    },
  );
  PurchaseOrderItem.init(
    {
      id,
      purchaseOrderId: { type: DataTypes.INTEGER, allowNull: false },
      productId: { type: DataTypes.INTEGER, allowNull: false },
      deviceModelId: { type: DataTypes.INTEGER, allowNull: true },
      quantity: { type: DataTypes.INTEGER, allowNull: false },
      receivedQuantity: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      unitCost: moneyColumn('unitCost'),
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'purchaseOrderItems',
      modelName: 'PurchaseOrderItem',
      indexes: [{ name: 'purchaseOrderItems_order', fields: ['purchaseOrderId'] }],
    },
  );
  StockItem.init(
    {
      id,
      warehouseId: { type: DataTypes.INTEGER, allowNull: false },
      productId: { type: DataTypes.INTEGER, allowNull: false },
      quantity: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      reservedQuantity: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      reorderLevel: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'stockItems',
      modelName: 'StockItem',
      indexes: [{ name: 'stockItems_warehouse_product', fields: ['warehouseId', 'productId'], unique: true }],
    },
  );
  StockMovement.init(
    {
      id,
      warehouseId: { type: DataTypes.INTEGER, allowNull: false },
      productId: { type: DataTypes.INTEGER, allowNull: false },
      deviceId: { type: DataTypes.INTEGER, allowNull: true },
      quantity: { type: DataTypes.INTEGER, allowNull: false },
      movementType: { type: DataTypes.ENUM(...STOCK_MOVEMENT_TYPES), allowNull: false },
      referenceType: { type: DataTypes.STRING(50), allowNull: true },
      referenceId: { type: DataTypes.INTEGER, allowNull: true },
      note: { type: DataTypes.TEXT, allowNull: true },
      createdBy: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'stockMovements',
      modelName: 'StockMovement',
      indexes: [
        { name: 'stockMovements_warehouse_product_created', fields: ['warehouseId', 'productId', 'createdAt'] },
        { name: 'stockMovements_reference', fields: ['referenceType', 'referenceId'] },
        { name: 'stockMovements_device', fields: ['deviceId'] },
      ],
    },
  );
  StockTransfer.init(
    {
      id,
      fromWarehouseId: { type: DataTypes.INTEGER, allowNull: false },
      toWarehouseId: { type: DataTypes.INTEGER, allowNull: false },
      transferNumber: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      status: { type: DataTypes.ENUM(...STOCK_TRANSFER_STATUSES), allowNull: false, defaultValue: 'draft' },
      shippedAt: { type: DataTypes.DATE, allowNull: true },
      receivedAt: { type: DataTypes.DATE, allowNull: true },
      notes: { type: DataTypes.TEXT, allowNull: true },
      createdBy: { type: DataTypes.INTEGER, allowNull: false },
      receivedBy: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'stockTransfers',
      modelName: 'StockTransfer',
      indexes: [{ name: 'stockTransfers_status', fields: ['status'] }],
    },
  );
  StockTransferItem.init(
    {
      id,
      stockTransferId: { type: DataTypes.INTEGER, allowNull: false },
      productId: { type: DataTypes.INTEGER, allowNull: false },
      deviceId: { type: DataTypes.INTEGER, allowNull: true },
      inTransitDeviceId: { type: DataTypes.INTEGER, allowNull: true },
      quantity: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'stockTransferItems',
      modelName: 'StockTransferItem',
      indexes: [
        { name: 'stockTransferItems_transfer', fields: ['stockTransferId'] },
        { name: 'stockTransferItems_in_transit_device', fields: ['inTransitDeviceId'], unique: true },
      ],
    },
  );
}

export function associateInventoryModels(): void {
  Supplier.belongsTo(Country, { foreignKey: 'countryId', as: 'country' });
  Supplier.hasMany(PurchaseOrder, { foreignKey: 'supplierId', as: 'purchaseOrders' });
  Supplier.hasMany(Device, { foreignKey: 'supplierId', as: 'devices' });
  Device.belongsTo(Supplier, { foreignKey: 'supplierId', as: 'supplier' });

  PurchaseOrder.belongsTo(Supplier, { foreignKey: 'supplierId', as: 'supplier' });
  PurchaseOrder.belongsTo(Warehouse, { foreignKey: 'warehouseId', as: 'warehouse' });
  PurchaseOrder.belongsTo(Employee, { foreignKey: 'createdBy', as: 'creator' });
  PurchaseOrder.hasMany(PurchaseOrderItem, { foreignKey: 'purchaseOrderId', as: 'items' });
  PurchaseOrder.hasMany(Device, { foreignKey: 'purchaseOrderId', as: 'devices' });
  Device.belongsTo(PurchaseOrder, { foreignKey: 'purchaseOrderId', as: 'purchaseOrder' });
  PurchaseOrderItem.belongsTo(PurchaseOrder, { foreignKey: 'purchaseOrderId', as: 'purchaseOrder' });
  PurchaseOrderItem.belongsTo(Product, { foreignKey: 'productId', as: 'product' });
  PurchaseOrderItem.belongsTo(DeviceModel, { foreignKey: 'deviceModelId', as: 'deviceModel' });

  StockItem.belongsTo(Warehouse, { foreignKey: 'warehouseId', as: 'warehouse' });
  StockItem.belongsTo(Product, { foreignKey: 'productId', as: 'product' });
  Warehouse.hasMany(StockItem, { foreignKey: 'warehouseId', as: 'stockItems' });
  Product.hasMany(StockItem, { foreignKey: 'productId', as: 'stockItems' });

  StockMovement.belongsTo(Warehouse, { foreignKey: 'warehouseId', as: 'warehouse' });
  StockMovement.belongsTo(Product, { foreignKey: 'productId', as: 'product' });
  StockMovement.belongsTo(Device, { foreignKey: 'deviceId', as: 'device' });
  StockMovement.belongsTo(Employee, { foreignKey: 'createdBy', as: 'creator' });
  Device.hasMany(StockMovement, { foreignKey: 'deviceId', as: 'stockMovements' });

  StockTransfer.belongsTo(Warehouse, { foreignKey: 'fromWarehouseId', as: 'fromWarehouse' });
  StockTransfer.belongsTo(Warehouse, { foreignKey: 'toWarehouseId', as: 'toWarehouse' });
  StockTransfer.belongsTo(Employee, { foreignKey: 'createdBy', as: 'creator' });
  StockTransfer.belongsTo(Employee, { foreignKey: 'receivedBy', as: 'receiver' });
  StockTransfer.hasMany(StockTransferItem, { foreignKey: 'stockTransferId', as: 'items' });
  StockTransferItem.belongsTo(StockTransfer, { foreignKey: 'stockTransferId', as: 'stockTransfer' });
  StockTransferItem.belongsTo(Product, { foreignKey: 'productId', as: 'product' });
  StockTransferItem.belongsTo(Device, { foreignKey: 'deviceId', as: 'device' });
}
