// @ts-check
'use strict';
const { money, fk, enumOf } = require('./lib/columns');
const { keepingSqliteIndexes } = require('./lib/guards');

const PAYPLAN_COLUMNS = ['lateFeeType', 'lateFeeAmount', 'lateFeeRate', 'lateFeeGraceDays', 'lateFeeCap', 'lateFeeRepeatDays'];

/**
 * Late fees (issue 16): a payplan may define one, and the nightly close raises it as an
 * accountCharges row tied to the overdue instalment.
 *  - payplans.lateFeeType: NULL (no late fee), 'fixed' (lateFeeAmount) or 'percentage'
 *    (lateFeeRate percent of what the overdue instalment still owes, rounded to the cent);
 *  - lateFeeGraceDays: days past the due date before the first fee;
 *  - lateFeeCap: the most the late fees of one instalment add up to (NULL: no cap);
 *  - lateFeeRepeatDays: NULL = one fee per instalment; n = another every n days while it is unpaid.
 *  - accountCharges.installmentScheduleId: the instalment a late fee is for (NULL for other
 *    charges), unique with the businessDate: a re-run of the close, or a crash in the middle of
 *    the step, can never raise the same instalment's fee twice on one business date.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('payplans', 'lateFeeType', enumOf(Sequelize, ['fixed', 'percentage'], { allowNull: true }));
    await queryInterface.addColumn('payplans', 'lateFeeAmount', money(Sequelize, { allowNull: true }));
    await queryInterface.addColumn('payplans', 'lateFeeRate', { type: Sequelize.DECIMAL(5, 2), allowNull: true });
    await queryInterface.addColumn('payplans', 'lateFeeGraceDays', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 });
    await queryInterface.addColumn('payplans', 'lateFeeCap', money(Sequelize, { allowNull: true }));
    await queryInterface.addColumn('payplans', 'lateFeeRepeatDays', { type: Sequelize.INTEGER, allowNull: true });
    await queryInterface.addColumn('accountCharges', 'installmentScheduleId', fk(Sequelize, 'installmentSchedules', { allowNull: true, onDelete: 'RESTRICT' }));
    await queryInterface.addIndex('accountCharges', ['installmentScheduleId', 'businessDate'], { unique: true, name: 'accountCharges_installment_date' });
  },

  async down(queryInterface) {
    const sqlite = queryInterface.sequelize.getDialect() === 'sqlite';
    // The foreign key needs an index of its own once the unique one is gone (MySQL).
    if (!sqlite) await queryInterface.addIndex('accountCharges', ['installmentScheduleId'], { name: 'installmentScheduleId' });
    await queryInterface.removeIndex('accountCharges', 'accountCharges_installment_date');
    await keepingSqliteIndexes(queryInterface, 'accountCharges', () => queryInterface.removeColumn('accountCharges', 'installmentScheduleId'));
    await keepingSqliteIndexes(queryInterface, 'payplans', async () => {
      for (const c of [...PAYPLAN_COLUMNS].reverse()) await queryInterface.removeColumn('payplans', c);
    });
  },
};
