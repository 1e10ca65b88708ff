// @ts-check
'use strict';
const { permissionSeeder } = require('./lib/permissions');

/**
 * credit-notes:approve (issue 16): approve or reject a credit note above the approval threshold
 * (finance), for databases seeded before it existed. Idempotent: existing rows are left alone.
 */
const CODES = ['credit-notes:approve'];

module.exports = permissionSeeder(CODES);
