// @ts-check
'use strict';
const { QueryTypes } = require('sequelize');
const { stamped } = require('./lib/env');
/** @type {{ permissions: Record<string, string>, roles: Record<string, { description: string, grants: string[] }> }} */
const catalog = require('../src/modules/access/permission-catalog.json');

const DEPARTMENTS = [
  { name: 'Sales', code: 'SALES', description: 'Field sales agents and their supervisors' },
  { name: 'Back Office', code: 'BACKOFFICE', description: 'KYC, accounts and customer operations' },
  { name: 'Finance', code: 'FINANCE', description: 'Payments, ledger, commissions' },
  { name: 'Collections', code: 'COLLECTIONS', description: 'Arrears and recoveries' },
  { name: 'Technology', code: 'TECH', description: 'Systems and operations' },
];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    const codes = Object.keys(catalog.permissions);
    await queryInterface.bulkInsert('permissions', stamped(codes.map((code) => ({ code, description: catalog.permissions[code] }))), {
      ignoreDuplicates: true,
    });
    const roleNames = Object.keys(catalog.roles);
    await queryInterface.bulkInsert('roles', stamped(roleNames.map((name) => ({ name, description: catalog.roles[name].description, permissions: null }))), {
      ignoreDuplicates: true,
    });
    await queryInterface.bulkInsert('departments', stamped(DEPARTMENTS.map((d) => ({ ...d, isActive: true }))), {
      ignoreDuplicates: true,
    });

    const sequelize = queryInterface.sequelize;
    /** @type {{id:number, code:string}[]} */
    const perms = await sequelize.query('SELECT id, code FROM permissions', { type: QueryTypes.SELECT });
    /** @type {{id:number, name:string}[]} */
    const roles = await sequelize.query('SELECT id, name FROM roles', { type: QueryTypes.SELECT });
    const permId = new Map(perms.map((p) => [p.code, p.id]));
    const grants = [];
    for (const role of roles) {
      const def = catalog.roles[role.name];
      if (!def) continue;
      const granted = def.grants.includes('*') ? codes : def.grants;
      for (const code of granted) grants.push({ roleId: role.id, permissionId: permId.get(code) });
    }
    await queryInterface.bulkInsert('rolePermissions', stamped(grants), { ignoreDuplicates: true });
  },
  async down(queryInterface) {
    await queryInterface.bulkDelete('rolePermissions', {});
    await queryInterface.bulkDelete('roles', { name: Object.keys(catalog.roles) });
    await queryInterface.bulkDelete('permissions', { code: Object.keys(catalog.permissions) });
    await queryInterface.bulkDelete('departments', { code: DEPARTMENTS.map((d) => d.code) });
  },
};
