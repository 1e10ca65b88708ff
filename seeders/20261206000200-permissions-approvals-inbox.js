// @ts-check
'use strict';
const { permissionSeeder } = require('./lib/permissions');

/**
 * Permission codes added with the approvals inbox (GET /api/v1/approvals), for
 * databases seeded before they existed: the codes, and the grants the catalog gives them (admin's
 * '*' included). Idempotent: existing rows are left alone.
 *  - approvals:read: see the pending requests the employee may decide, across kinds.
 */
const CODES = ['approvals:read'];

module.exports = permissionSeeder(CODES);
