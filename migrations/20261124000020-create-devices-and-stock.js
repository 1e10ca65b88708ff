// @ts-check
// Devices (serialised units kept on an OpenPAYGO leash) and stock: suppliers, device models,
// devices, every token issued, device events, purchase orders, stock levels, movements and
// transfers between warehouses.
//
// Depends on productTypes, products and warehouses (20261124000010..12) and employees.
// deviceTokens.accountId and deviceTokens.paymentId point at tables created later: they are plain
// INTEGER NULL here; accounts' migration (20261124000021) adds the accountId constraint, payments'
// migration adds the paymentId one.
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');

const DEVICE_STATUSES = ['stored', 'shipped', 'activated', 'in_repair', 'terminated'];
const DEVICE_TOKEN_TYPES = ['ADD_TIME', 'SET_TIME', 'DISABLE_PAYG', 'COUNTER_SYNC'];
const DEVICE_TOKEN_SOURCES = ['payment', 'manual', 'resend', 'reversal', 'system'];
const PURCHASE_ORDER_STATUSES = ['draft', 'ordered', 'partially_received', 'received', 'cancelled'];
const STOCK_MOVEMENT_TYPES = ['receipt', 'sale', 'transfer_out', 'transfer_in', 'adjustment', 'return', 'repossession'];
const STOCK_TRANSFER_STATUSES = ['draft', 'in_transit', 'received', 'cancelled'];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    // --- reference data -------------------------------------------------------------------------
    await queryInterface.createTable('suppliers', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(255), allowNull: false },
      code: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      contactName: { type: Sequelize.STRING(255), allowNull: true },
      email: { type: Sequelize.STRING(255), allowNull: true },
      phone: { type: Sequelize.STRING(50), allowNull: true },
      address: { type: Sequelize.TEXT, allowNull: true },
      countryId: fk(Sequelize, 'countries', { allowNull: true, onDelete: 'SET NULL' }),
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });
    await queryInterface.createTable('deviceModels', {
      id: id(Sequelize),
      manufacturer: { type: Sequelize.STRING(255), allowNull: false },
      name: { type: Sequelize.STRING(255), allowNull: false },
      code: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      productTypeId: fk(Sequelize, 'productTypes', { allowNull: true, onDelete: 'SET NULL' }),
      supportsOpenPaygo: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      tokenType: enumOf(Sequelize, ['standard', 'extended'], { defaultValue: 'standard' }),
      restrictedDigitSet: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: false },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });

    // --- purchasing -----------------------------------------------------------------------------
    await queryInterface.createTable('purchaseOrders', {
      id: id(Sequelize),
      supplierId: fk(Sequelize, 'suppliers', { onDelete: 'RESTRICT' }),
      orderNumber: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      status: enumOf(Sequelize, PURCHASE_ORDER_STATUSES, { defaultValue: 'draft' }),
      // Where the goods are to be received.
      warehouseId: fk(Sequelize, 'warehouses', { allowNull: true, onDelete: 'RESTRICT' }),
      orderedAt: { type: Sequelize.DATE, allowNull: true },
      expectedAt: { type: Sequelize.DATEONLY, allowNull: true },
      totalAmount: money(Sequelize, { defaultValue: '0.00' }),
      currency: { type: Sequelize.STRING(3), allowNull: true },
      notes: { type: Sequelize.TEXT, allowNull: true },
      createdBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('purchaseOrders', ['status', 'expectedAt'], { name: 'purchaseOrders_status_expected' });
    await queryInterface.createTable('purchaseOrderItems', {
      id: id(Sequelize),
      purchaseOrderId: fk(Sequelize, 'purchaseOrders', { onDelete: 'CASCADE' }),
      productId: fk(Sequelize, 'products', { onDelete: 'RESTRICT' }),
      deviceModelId: fk(Sequelize, 'deviceModels', { allowNull: true, onDelete: 'SET NULL' }),
      quantity: { type: Sequelize.INTEGER, allowNull: false },
      receivedQuantity: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      unitCost: money(Sequelize),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('purchaseOrderItems', ['purchaseOrderId'], { name: 'purchaseOrderItems_order' });

    // --- devices --------------------------------------------------------------------------------
    await queryInterface.createTable('devices', {
      id: id(Sequelize),
      serialNumber: { type: Sequelize.STRING(100), allowNull: false, unique: true },
      deviceModelId: fk(Sequelize, 'deviceModels', { onDelete: 'RESTRICT' }),
      productId: fk(Sequelize, 'products', { onDelete: 'RESTRICT' }),
      // Where the unit sits while in stock; null once it is with a customer.
      warehouseId: fk(Sequelize, 'warehouses', { allowNull: true, onDelete: 'RESTRICT' }),
      supplierId: fk(Sequelize, 'suppliers', { allowNull: true, onDelete: 'RESTRICT' }),
      purchaseOrderId: fk(Sequelize, 'purchaseOrders', { allowNull: true, onDelete: 'SET NULL' }),
      status: enumOf(Sequelize, DEVICE_STATUSES, { defaultValue: 'stored' }),
      // Ciphertext of the OpenPAYGO secret key (never stored in clear); null for devices without OpenPAYGO.
      openpaygoSecretKey: { type: Sequelize.STRING(255), allowNull: true },
      startingCode: { type: Sequelize.BIGINT, allowNull: true },
      // The OpenPAYGO token counter of the last token issued.
      tokenCount: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      firmwareVersion: { type: Sequelize.STRING(50), allowNull: true },
      activatedAt: { type: Sequelize.DATE, allowNull: true },
      paygDisabledAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('devices', ['warehouseId', 'status'], { name: 'devices_warehouse_status' });
    await queryInterface.addIndex('devices', ['productId', 'status'], { name: 'devices_product_status' });

    await queryInterface.createTable('deviceTokens', {
      id: id(Sequelize),
      deviceId: fk(Sequelize, 'devices', { onDelete: 'RESTRICT' }),
      // FK to accounts added by 20261124000021 (accounts are created after this table).
      accountId: { type: Sequelize.INTEGER, allowNull: true },
      tokenType: enumOf(Sequelize, DEVICE_TOKEN_TYPES),
      // Days for ADD_TIME/SET_TIME; 0 for DISABLE_PAYG and COUNTER_SYNC.
      value: { type: Sequelize.INTEGER, allowNull: false },
      token: { type: Sequelize.STRING(20), allowNull: false },
      tokenCount: { type: Sequelize.INTEGER, allowNull: false },
      // FK to payments added by the payments migration.
      paymentId: { type: Sequelize.INTEGER, allowNull: true },
      requestedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      source: enumOf(Sequelize, DEVICE_TOKEN_SOURCES),
      reason: { type: Sequelize.TEXT, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('deviceTokens', ['deviceId', 'tokenCount'], { unique: true, name: 'deviceTokens_device_count' });
    await queryInterface.addIndex('deviceTokens', ['accountId', 'createdAt'], { name: 'deviceTokens_account_created' });
    await queryInterface.addIndex('deviceTokens', ['paymentId'], { name: 'deviceTokens_payment' });

    await queryInterface.createTable('deviceEvents', {
      id: id(Sequelize),
      deviceId: fk(Sequelize, 'devices', { onDelete: 'RESTRICT' }),
      eventType: { type: Sequelize.STRING(50), allowNull: false },
      payload: { type: Sequelize.JSON, allowNull: true },
      occurredAt: { type: Sequelize.DATE, allowNull: false },
      createdBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('deviceEvents', ['deviceId', 'occurredAt'], { name: 'deviceEvents_device_occurred' });

    // --- stock ----------------------------------------------------------------------------------
    await queryInterface.createTable('stockItems', {
      id: id(Sequelize),
      warehouseId: fk(Sequelize, 'warehouses', { onDelete: 'RESTRICT' }),
      productId: fk(Sequelize, 'products', { onDelete: 'RESTRICT' }),
      quantity: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      reservedQuantity: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      reorderLevel: { type: Sequelize.INTEGER, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('stockItems', ['warehouseId', 'productId'], { unique: true, name: 'stockItems_warehouse_product' });

    await queryInterface.createTable('stockMovements', {
      id: id(Sequelize),
      warehouseId: fk(Sequelize, 'warehouses', { onDelete: 'RESTRICT' }),
      productId: fk(Sequelize, 'products', { onDelete: 'RESTRICT' }),
      deviceId: fk(Sequelize, 'devices', { allowNull: true, onDelete: 'RESTRICT' }),
      // Signed: positive into the warehouse, negative out of it.
      quantity: { type: Sequelize.INTEGER, allowNull: false },
      movementType: enumOf(Sequelize, STOCK_MOVEMENT_TYPES),
      // What caused it, e.g. ('purchaseOrders', 12), ('stockTransfers', 3), ('accounts', 99).
      referenceType: { type: Sequelize.STRING(50), allowNull: true },
      referenceId: { type: Sequelize.INTEGER, allowNull: true },
      note: { type: Sequelize.TEXT, allowNull: true },
      createdBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('stockMovements', ['warehouseId', 'productId', 'createdAt'], { name: 'stockMovements_warehouse_product_created' });
    await queryInterface.addIndex('stockMovements', ['referenceType', 'referenceId'], { name: 'stockMovements_reference' });
    await queryInterface.addIndex('stockMovements', ['deviceId'], { name: 'stockMovements_device' });

    await queryInterface.createTable('stockTransfers', {
      id: id(Sequelize),
      fromWarehouseId: fk(Sequelize, 'warehouses', { onDelete: 'RESTRICT' }),
      toWarehouseId: fk(Sequelize, 'warehouses', { onDelete: 'RESTRICT' }),
      transferNumber: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      status: enumOf(Sequelize, STOCK_TRANSFER_STATUSES, { defaultValue: 'draft' }),
      shippedAt: { type: Sequelize.DATE, allowNull: true },
      receivedAt: { type: Sequelize.DATE, allowNull: true },
      notes: { type: Sequelize.TEXT, allowNull: true },
      createdBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      receivedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('stockTransfers', ['status'], { name: 'stockTransfers_status' });
    await queryInterface.createTable('stockTransferItems', {
      id: id(Sequelize),
      stockTransferId: fk(Sequelize, 'stockTransfers', { onDelete: 'CASCADE' }),
      productId: fk(Sequelize, 'products', { onDelete: 'RESTRICT' }),
      deviceId: fk(Sequelize, 'devices', { allowNull: true, onDelete: 'RESTRICT' }),
      quantity: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 1 },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('stockTransferItems', ['stockTransferId'], { name: 'stockTransferItems_transfer' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('stockTransferItems');
    await queryInterface.dropTable('stockTransfers');
    await queryInterface.dropTable('stockMovements');
    await queryInterface.dropTable('stockItems');
    await queryInterface.dropTable('deviceEvents');
    await queryInterface.dropTable('deviceTokens');
    await queryInterface.dropTable('devices');
    await queryInterface.dropTable('purchaseOrderItems');
    await queryInterface.dropTable('purchaseOrders');
    await queryInterface.dropTable('deviceModels');
    await queryInterface.dropTable('suppliers');
  },
};
