// @ts-check
'use strict';
const { permissionSeeder } = require('./lib/permissions');

/**
 * Permission codes added with stock custody and installation (issue 14), for
 * databases seeded before they existed: the codes, and the grants the catalog gives them (admin's
 * '*' included). Idempotent: existing rows are left alone.
 *  - stock:receive: receive stock sent to the employee's own stock location, return what they carry.
 *  - devices:install: install a device from their own stock on an account they sold (agents).
 */
const CODES = ['stock:receive', 'devices:install'];

module.exports = permissionSeeder(CODES);
