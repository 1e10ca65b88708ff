// @ts-check
'use strict';
const { permissionSeeder } = require('./lib/permissions');

/**
 * Permission codes added with ownership transfers and credit notes (issue 16), for databases
 * seeded before they existed: the codes, and the grants the catalog gives them (admin's '*'
 * included). Idempotent: existing rows are left alone.
 *  - transfers:request: request an account's transfer to another customer (supervisors, back office).
 *  - transfers:approve: approve or reject one, never one's own (supervisors, back office).
 *  - credit-notes:write: issue a credit note against an invoice (back office, finance).
 */
const CODES = ['transfers:request', 'transfers:approve', 'credit-notes:write'];

module.exports = permissionSeeder(CODES);
