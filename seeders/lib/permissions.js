// @ts-check
'use strict';
const { QueryTypes } = require('sequelize');
const { stamped } = require('./env');
const catalog = require('../../src/modules/access/permission-catalog.json');

/**
 * The seeder of permission codes added after a database was first seeded: the codes (described
 * as the catalog describes them), and the grants the catalog gives the existing roles (admin's
 * '*' included). Idempotent: existing rows are left alone. `down` removes the codes and their grants.
 * `regranted`: existing codes the catalog now grants to more roles (`roles`); up grants them as the
 * catalog says, down takes them back from those roles only.
 * @param {string[]} codes
 * @param {{ regranted?: { codes: string[], roles: string[] } }} [options]
 * @returns {import('sequelize-cli').Migration}
 */
function permissionSeeder(codes, options = {}) {
  const regranted = options.regranted ?? { codes: [], roles: [] };
  return {
    async up(queryInterface) {
      /** @type {Record<string, string>} */
      const descriptions = catalog.permissions;
      await queryInterface.bulkInsert('permissions', stamped(codes.map((code) => ({ code, description: descriptions[code] }))), { ignoreDuplicates: true });
      const sequelize = queryInterface.sequelize;
      /** @type {{id:number, code:string}[]} */
      const perms = await sequelize.query('SELECT id, code FROM permissions WHERE code IN (:codes)', {
        replacements: { codes: [...codes, ...regranted.codes] },
        type: QueryTypes.SELECT,
      });
      /** @type {{id:number, name:string}[]} */
      const roles = await sequelize.query('SELECT id, name FROM roles', { type: QueryTypes.SELECT });
      /** @type {Record<string, { grants: string[] }>} */
      const defaults = catalog.roles;
      const grants = [];
      for (const role of roles) {
        const def = defaults[role.name];
        if (!def) continue;
        for (const p of perms) if (def.grants.includes('*') || def.grants.includes(p.code)) grants.push({ roleId: role.id, permissionId: p.id });
      }
      if (grants.length) await queryInterface.bulkInsert('rolePermissions', stamped(grants), { ignoreDuplicates: true });
    },
    async down(queryInterface) {
      const sequelize = queryInterface.sequelize;
      /** @type {{id:number}[]} */
      const perms = await sequelize.query('SELECT id FROM permissions WHERE code IN (:codes)', { replacements: { codes }, type: QueryTypes.SELECT });
      if (perms.length) await queryInterface.bulkDelete('rolePermissions', { permissionId: perms.map((p) => p.id) });
      await queryInterface.bulkDelete('permissions', { code: codes });
      if (regranted.codes.length && regranted.roles.length) {
        await sequelize.query(
          `DELETE FROM rolePermissions WHERE roleId IN (SELECT id FROM roles WHERE name IN (:roles))
             AND permissionId IN (SELECT id FROM permissions WHERE code IN (:codes))`,
          { replacements: { roles: regranted.roles, codes: regranted.codes } },
        );
      }
    },
  };
}

module.exports = { permissionSeeder };
