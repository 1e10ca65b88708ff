// @ts-check
'use strict';
const { id, timestamps, fk } = require('./lib/columns');

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('countries', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(255), allowNull: false },
      code: { type: Sequelize.STRING(3), allowNull: false, unique: true },
      currency: { type: Sequelize.STRING(3), allowNull: false },
      phoneCode: { type: Sequelize.STRING(10), allowNull: false },
      timezone: { type: Sequelize.STRING(64), allowNull: false },
      businessDate: { type: Sequelize.DATEONLY, allowNull: true },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });
    await queryInterface.createTable('companyRegions', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(255), allowNull: false },
      countryId: fk(Sequelize, 'countries', { onDelete: 'RESTRICT' }),
      code: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      // FK to employees is added below, once employees exists.
      managerId: { type: Sequelize.INTEGER, allowNull: true },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });
    await queryInterface.createTable('departments', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(255), allowNull: false },
      code: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      description: { type: Sequelize.TEXT, allowNull: true },
      managerId: { type: Sequelize.INTEGER, allowNull: true },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });
    await queryInterface.createTable('roles', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(100), allowNull: false, unique: true },
      description: { type: Sequelize.TEXT, allowNull: true },
      permissions: { type: Sequelize.JSON, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.createTable('permissions', {
      id: id(Sequelize),
      code: { type: Sequelize.STRING(100), allowNull: false, unique: true },
      description: { type: Sequelize.STRING(255), allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.createTable('rolePermissions', {
      id: id(Sequelize),
      roleId: fk(Sequelize, 'roles', { onDelete: 'CASCADE' }),
      permissionId: fk(Sequelize, 'permissions', { onDelete: 'CASCADE' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('rolePermissions', ['roleId', 'permissionId'], {
      unique: true,
      name: 'rolePermissions_role_permission',
    });
    await queryInterface.createTable('employees', {
      id: id(Sequelize),
      employeeCode: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      firstName: { type: Sequelize.STRING(255), allowNull: false },
      lastName: { type: Sequelize.STRING(255), allowNull: false },
      email: { type: Sequelize.STRING(255), allowNull: true, unique: true },
      phone: { type: Sequelize.STRING(50), allowNull: true, unique: true },
      passwordHash: { type: Sequelize.STRING(255), allowNull: true },
      departmentId: fk(Sequelize, 'departments', { allowNull: true, onDelete: 'SET NULL' }),
      roleId: fk(Sequelize, 'roles', { onDelete: 'RESTRICT' }),
      supervisorId: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'SET NULL' }),
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      lastLoginAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize, { paranoid: true }),
    });
    await queryInterface.addConstraint('companyRegions', {
      type: 'foreign key',
      fields: ['managerId'],
      name: 'companyRegions_managerId_fk',
      references: { table: 'employees', field: 'id' },
      onDelete: 'SET NULL',
      onUpdate: 'CASCADE',
    });
    await queryInterface.addConstraint('departments', {
      type: 'foreign key',
      fields: ['managerId'],
      name: 'departments_managerId_fk',
      references: { table: 'employees', field: 'id' },
      onDelete: 'SET NULL',
      onUpdate: 'CASCADE',
    });
    await queryInterface.createTable('employeeRegions', {
      id: id(Sequelize),
      employeeId: fk(Sequelize, 'employees', { onDelete: 'CASCADE' }),
      regionId: fk(Sequelize, 'companyRegions', { onDelete: 'CASCADE' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('employeeRegions', ['employeeId', 'regionId'], {
      unique: true,
      name: 'employeeRegions_employee_region',
    });
    await queryInterface.createTable('refreshTokens', {
      id: id(Sequelize),
      employeeId: fk(Sequelize, 'employees', { onDelete: 'CASCADE' }),
      tokenHash: { type: Sequelize.CHAR(64), allowNull: false, unique: true },
      familyId: { type: Sequelize.CHAR(36), allowNull: false },
      expiresAt: { type: Sequelize.DATE, allowNull: false },
      revokedAt: { type: Sequelize.DATE, allowNull: true },
      revokedReason: { type: Sequelize.STRING(50), allowNull: true },
      replacedById: fk(Sequelize, 'refreshTokens', { allowNull: true, onDelete: 'SET NULL' }),
      createdByIp: { type: Sequelize.STRING(45), allowNull: true },
      userAgent: { type: Sequelize.STRING(255), allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('refreshTokens', ['familyId'], { name: 'refreshTokens_family' });
    await queryInterface.createTable('loginAttempts', {
      id: id(Sequelize),
      identifier: { type: Sequelize.STRING(255), allowNull: false },
      employeeId: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'SET NULL' }),
      ipAddress: { type: Sequelize.STRING(45), allowNull: false },
      succeeded: { type: Sequelize.BOOLEAN, allowNull: false },
      reason: { type: Sequelize.STRING(50), allowNull: true },
      userAgent: { type: Sequelize.STRING(255), allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('loginAttempts', ['identifier', 'createdAt'], { name: 'loginAttempts_identifier_created' });
    await queryInterface.addIndex('loginAttempts', ['ipAddress', 'createdAt'], { name: 'loginAttempts_ip_created' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('loginAttempts');
    await queryInterface.dropTable('refreshTokens');
    await queryInterface.dropTable('employeeRegions');
    await queryInterface.removeConstraint('departments', 'departments_managerId_fk');
    await queryInterface.removeConstraint('companyRegions', 'companyRegions_managerId_fk');
    await queryInterface.dropTable('employees');
    await queryInterface.dropTable('rolePermissions');
    await queryInterface.dropTable('permissions');
    await queryInterface.dropTable('roles');
    await queryInterface.dropTable('departments');
    await queryInterface.dropTable('companyRegions');
    await queryInterface.dropTable('countries');
  },
};
