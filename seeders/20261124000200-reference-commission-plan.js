// @ts-check
'use strict';
const { QueryTypes } = require('sequelize');
const { stamped } = require('./lib/env');

// The default commission plan: for any product in any region, the sale earns a fixed commission
// paid in three stages (half once the down payment is in, a quarter two months later, the last
// quarter five months later if the account is not in default then), taken back if the account is
// written off within 90 days; collections earn 2 % of the money collected. More specific rules
// (a product, a region, or both) in this or another plan take precedence (the commissions
// module's rules.service). Reference data: seeded in every environment; re-running adds only
// what is missing (the plan by code; each rule by plan and event).
const PLAN = {
  code: 'DEFAULT',
  name: 'Default commission plan',
  description: 'Sale: fixed amount, 50 % at the down payment, 25 % after 2 months, 25 % after 5 months if not in default. Collections: 2 %.',
  validFrom: '2026-01-01',
  validTo: null,
};

const RULES = [
  {
    eventType: 'sale',
    calculation: 'fixed',
    amount: '500.00',
    percentage: null,
    stages: [
      { percent: 50, afterMonths: 0 },
      { percent: 25, afterMonths: 2 },
      { percent: 25, afterMonths: 5, requiresNotDefaulted: true },
    ],
    clawbackWithinDays: 90,
  },
  { eventType: 'collection', calculation: 'percentage', amount: null, percentage: '2.0000', stages: null, clawbackWithinDays: null },
];

/** @param {import('sequelize').QueryInterface} queryInterface @returns {Promise<number | undefined>} */
async function planId(queryInterface) {
  /** @type {{ id: number }[]} */
  const rows = await queryInterface.sequelize.query('SELECT id FROM commissionPlans WHERE code = :code', {
    replacements: { code: PLAN.code },
    type: QueryTypes.SELECT,
  });
  return rows[0]?.id;
}

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    if ((await planId(queryInterface)) === undefined) {
      await queryInterface.bulkInsert('commissionPlans', stamped([{ ...PLAN, isActive: true, version: 0 }]), { ignoreDuplicates: true });
    }
    const id = await planId(queryInterface);
    if (id === undefined) throw new Error(`commission plan ${PLAN.code} was not created`);
    /** @type {{ eventType: string }[]} */
    const existing = await queryInterface.sequelize.query(
      'SELECT eventType FROM commissionRules WHERE commissionPlanId = :id AND productId IS NULL AND regionId IS NULL',
      { replacements: { id }, type: QueryTypes.SELECT },
    );
    const have = new Set(existing.map((r) => r.eventType));
    const missing = RULES.filter((r) => !have.has(r.eventType));
    if (missing.length === 0) return;
    await queryInterface.bulkInsert(
      'commissionRules',
      stamped(
        missing.map((r) => ({
          ...r,
          stages: r.stages ? JSON.stringify(r.stages) : null,
          commissionPlanId: id,
          productId: null,
          regionId: null,
          priority: 0,
          isActive: true,
          version: 0,
        })),
      ),
    );
  },

  async down(queryInterface) {
    // Refused by the database (RESTRICT) once commission entries were accrued under these rules.
    const id = await planId(queryInterface);
    if (id === undefined) return;
    await queryInterface.bulkDelete('commissionRules', { commissionPlanId: id });
    await queryInterface.bulkDelete('commissionPlans', { id });
  },
};
