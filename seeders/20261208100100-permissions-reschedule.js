// @ts-check
'use strict';
const { permissionSeeder } = require('./lib/permissions');

/**
 * Permission codes added with schedule changes (issue 16), for databases seeded before they
 * existed: the codes, and the grants the catalog gives them (admin's '*' included). Idempotent.
 *  - accounts:reschedule: grant a payment holiday, request a restructure (supervisors, back office).
 *  - accounts:reschedule:approve: approve or reject a holiday above the threshold or a
 *    restructure, never one's own (finance).
 */
const CODES = ['accounts:reschedule', 'accounts:reschedule:approve'];

module.exports = permissionSeeder(CODES);
