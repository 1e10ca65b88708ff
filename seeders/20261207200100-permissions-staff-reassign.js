// @ts-check
'use strict';
const { permissionSeeder } = require('./lib/permissions');

/**
 * Permission codes added with staff administration (POST /api/v1/employees/:id/reassign), for
 * databases seeded before they existed: the codes, and the grants the catalog gives them (admin's
 * '*' included). Idempotent: existing rows are left alone.
 *  - employees:reassign: move an agent's customers and open accounts to another agent (supervisor, back_office, admin).
 */
const CODES = ['employees:reassign'];

module.exports = permissionSeeder(CODES);
