// @ts-check
'use strict';
const { QueryTypes } = require('sequelize');
const { hash, Algorithm } = require('@node-rs/argon2');

// The first administrator. In production its e-mail and password must come from the environment;
// elsewhere they default to the demo credentials listed in the README.
function credentials() {
  const prod = process.env.NODE_ENV === 'production';
  const email = process.env.ADMIN_EMAIL || (prod ? '' : 'admin@amt.local');
  const password = process.env.ADMIN_PASSWORD || (prod ? '' : 'Admin#2026!');
  if (!email || !password) throw new Error('Set ADMIN_EMAIL and ADMIN_PASSWORD to seed the first administrator in production.');
  if (prod && password.length < 12) throw new Error('ADMIN_PASSWORD must be at least 12 characters.');
  return { email: email.toLowerCase(), password };
}

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    const { email, password } = credentials();
    const sequelize = queryInterface.sequelize;
    /** @type {{id:number}[]} */
    const [role] = await sequelize.query("SELECT id FROM roles WHERE name = 'admin'", { type: QueryTypes.SELECT });
    /** @type {{id:number}[]} */
    const [dept] = await sequelize.query("SELECT id FROM departments WHERE code = 'TECH'", { type: QueryTypes.SELECT });
    const passwordHash = await hash(password, { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const now = new Date();
    await queryInterface.bulkInsert(
      'employees',
      [
        {
          employeeCode: 'ADMIN-0001',
          firstName: 'System',
          lastName: 'Administrator',
          email,
          phone: null,
          passwordHash,
          departmentId: dept ? dept.id : null,
          roleId: role.id,
          isActive: true,
          createdAt: now,
          updatedAt: now,
        },
      ],
      { ignoreDuplicates: true },
    );
  },
  async down(queryInterface) {
    await queryInterface.bulkDelete('employees', { employeeCode: 'ADMIN-0001' });
  },
};
