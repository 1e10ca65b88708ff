// @ts-check
'use strict';
const { QueryTypes } = require('sequelize');
const { hash, Algorithm } = require('@node-rs/argon2');
const { demoDataWanted, stamped } = require('./lib/env');

// DEMO DATA (development only): a region and one employee per role, all with the password
// Demo#2026! (see README). Skipped in production and in the test database.
const PASSWORD = 'Demo#2026!';
const STAFF = [
  { role: 'agent', dept: 'SALES', code: 'DEMO-AGENT', first: 'Amina', last: 'Wanjiru', email: 'agent@amt.local', phone: '+254700000001', regions: ['KE-NAI'] },
  {
    role: 'supervisor',
    dept: 'SALES',
    code: 'DEMO-SUPERVISOR',
    first: 'Peter',
    last: 'Otieno',
    email: 'supervisor@amt.local',
    phone: '+254700000002',
    regions: ['KE-NAI', 'KE-CST'],
  },
  {
    role: 'back_office',
    dept: 'BACKOFFICE',
    code: 'DEMO-BACKOFFICE',
    first: 'Grace',
    last: 'Akinyi',
    email: 'backoffice@amt.local',
    phone: '+254700000003',
    regions: [],
  },
  { role: 'finance', dept: 'FINANCE', code: 'DEMO-FINANCE', first: 'John', last: 'Kamau', email: 'finance@amt.local', phone: '+254700000004', regions: [] },
  {
    role: 'collections',
    dept: 'COLLECTIONS',
    code: 'DEMO-COLLECTIONS',
    first: 'Mary',
    last: 'Njeri',
    email: 'collections@amt.local',
    phone: '+254700000005',
    regions: [],
  },
];
const REGIONS = [
  { code: 'KE-NAI', name: 'Nairobi (demo)' },
  { code: 'KE-CST', name: 'Coast (demo)' },
];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    if (!demoDataWanted()) return;
    const sequelize = queryInterface.sequelize;
    /** @type {{id:number}[]} */
    const [ke] = await sequelize.query("SELECT id FROM countries WHERE code = 'KE'", { type: QueryTypes.SELECT });
    await queryInterface.bulkInsert('companyRegions', stamped(REGIONS.map((r) => ({ ...r, countryId: ke.id, isActive: true }))), {
      ignoreDuplicates: true,
    });
    /** @type {{id:number, name:string}[]} */
    const roles = await sequelize.query('SELECT id, name FROM roles', { type: QueryTypes.SELECT });
    /** @type {{id:number, code:string}[]} */
    const depts = await sequelize.query('SELECT id, code FROM departments', { type: QueryTypes.SELECT });
    /** @type {{id:number, code:string}[]} */
    const regions = await sequelize.query('SELECT id, code FROM companyRegions', { type: QueryTypes.SELECT });
    const passwordHash = await hash(PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    await queryInterface.bulkInsert(
      'employees',
      stamped(
        STAFF.map((s) => ({
          employeeCode: s.code,
          firstName: s.first,
          lastName: s.last,
          email: s.email,
          phone: s.phone,
          passwordHash,
          roleId: /** @type {{id:number}} */ (roles.find((r) => r.name === s.role)).id,
          departmentId: depts.find((d) => d.code === s.dept)?.id ?? null,
          isActive: true,
        })),
      ),
      { ignoreDuplicates: true },
    );
    /** @type {{id:number, employeeCode:string}[]} */
    const employees = await sequelize.query('SELECT id, employeeCode FROM employees', { type: QueryTypes.SELECT });
    const links = STAFF.flatMap((s) =>
      s.regions.map((code) => ({
        employeeId: /** @type {{id:number}} */ (employees.find((e) => e.employeeCode === s.code)).id,
        regionId: /** @type {{id:number}} */ (regions.find((r) => r.code === code)).id,
      })),
    );
    await queryInterface.bulkInsert('employeeRegions', stamped(links), { ignoreDuplicates: true });
  },
  async down(queryInterface) {
    await queryInterface.bulkDelete('employees', { employeeCode: STAFF.map((s) => s.code) });
    await queryInterface.bulkDelete('companyRegions', { code: REGIONS.map((r) => r.code) });
  },
};
