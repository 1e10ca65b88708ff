// @ts-check
'use strict';
const { id, timestamps, fk } = require('./lib/columns');
const { QueryTypes } = require('sequelize');
const { keepingSqliteIndexes } = require('./lib/guards');

const OPENING = 'opening balance (stock levels kept from 20261207300000)';

/** The columns added to existing tables: [table, column, referenced table, onDelete, index name, unique]. */
const LINKS = /** @type {const} */ ([
  ['warehouses', 'employeeId', 'employees', 'RESTRICT', 'warehouses_employee', true],
  ['devices', 'purchaseOrderItemId', 'purchaseOrderItems', 'SET NULL', 'devices_purchase_order_item', false],
  ['stockTransferItems', 'inTransitDeviceId', 'devices', 'RESTRICT', 'stockTransferItems_in_transit_device', true],
]);

/**
 * Stock custody from purchase order to a customer's roof (issue 14):
 *  - warehouses.employeeId: a warehouse row that is a field agent's own stock location (the stock
 *    an agent carries); NULL for ordinary warehouses. Unique: one location per agent.
 *  - devices.purchaseOrderItemId: the purchase order line a unit was received on (its cost, for
 *    stock valuation).
 *  - stockTransferItems.inTransitDeviceId: the device while its transfer is dispatched and not yet
 *    received or cancelled, NULL otherwise. Unique: a device is in at most one open transfer, so a
 *    unit is in exactly one place (a warehouse or agent location through devices.warehouseId, an
 *    open transfer, or a customer's account) even when two transfers of it race.
 *  - fieldVisitPhotos: photos taken on a field visit (an installation), kept as references to
 *    where the phone or a file store keeps them, with their type, size and SHA-256.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    for (const [table, column, target, onDelete, index, unique] of LINKS) {
      await queryInterface.addColumn(table, column, { type: Sequelize.INTEGER, allowNull: true });
      await queryInterface.addIndex(table, [column], { unique, name: index });
      // A named constraint, so that down can drop it before the column (MySQL refuses otherwise).
      await keepingSqliteIndexes(queryInterface, table, () =>
        queryInterface.addConstraint(table, {
          type: 'foreign key',
          fields: [column],
          name: `${table}_${column}_fk`,
          references: { table: target, field: 'id' },
          onDelete,
          onUpdate: 'CASCADE',
        }),
      );
    }

    await queryInterface.createTable('fieldVisitPhotos', {
      id: id(Sequelize),
      fieldVisitId: fk(Sequelize, 'fieldVisits', { onDelete: 'CASCADE' }),
      // Where the photo is kept (a file store key or URL the phone uploaded it to).
      reference: { type: Sequelize.STRING(500), allowNull: false },
      mimeType: { type: Sequelize.STRING(100), allowNull: false },
      sizeBytes: { type: Sequelize.INTEGER, allowNull: true },
      sha256: { type: Sequelize.CHAR(64), allowNull: true },
      caption: { type: Sequelize.STRING(255), allowNull: true },
      takenAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('fieldVisitPhotos', ['fieldVisitId'], { name: 'fieldVisitPhotos_visit' });

    // Opening balances: stock levels were not kept before; the units in each warehouse become its
    // level (where it has none yet), with an adjustment movement saying so.
    const sequelize = queryInterface.sequelize;
    /** @type {{ warehouseId: number, productId: number, n: number | string }[]} */
    const groups = await sequelize.query(
      'SELECT warehouseId, productId, COUNT(*) AS n FROM devices WHERE warehouseId IS NOT NULL GROUP BY warehouseId, productId',
      { type: QueryTypes.SELECT },
    );
    const now = new Date();
    for (const g of groups) {
      const existing = await sequelize.query('SELECT id FROM stockItems WHERE warehouseId = ? AND productId = ?', {
        replacements: [g.warehouseId, g.productId],
        type: QueryTypes.SELECT,
      });
      if (existing.length) continue;
      const quantity = Number(g.n);
      await queryInterface.bulkInsert('stockItems', [
        { warehouseId: g.warehouseId, productId: g.productId, quantity, reservedQuantity: 0, createdAt: now, updatedAt: now },
      ]);
      await queryInterface.bulkInsert('stockMovements', [
        { warehouseId: g.warehouseId, productId: g.productId, quantity, movementType: 'adjustment', note: OPENING, createdAt: now, updatedAt: now },
      ]);
    }
  },

  async down(queryInterface) {
    // Opening balances stay as stock levels (they are true); their movements go with the marker.
    await queryInterface.bulkDelete('stockMovements', { note: OPENING });
    await queryInterface.dropTable('fieldVisitPhotos');
    for (const [table, column, , , index] of [...LINKS].reverse()) {
      await keepingSqliteIndexes(queryInterface, table, () => queryInterface.removeConstraint(table, `${table}_${column}_fk`));
      await queryInterface.removeIndex(table, index);
      await keepingSqliteIndexes(queryInterface, table, () => queryInterface.removeColumn(table, column));
    }
  },
};
