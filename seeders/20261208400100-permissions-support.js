// @ts-check
'use strict';
const { permissionSeeder } = require('./lib/permissions');

/**
 * Permission codes added with after-sales support and the device swap (issues 15 and 16), for
 * databases seeded before they existed: the codes, and the grants the catalog gives them (admin's
 * '*' included). Idempotent: existing rows are left alone.
 *  - support:internal: see and write internal ticket comments (supervisors, back office).
 *  - support:tokens: resend a token / issue a COUNTER_SYNC token from a ticket (supervisors, back office).
 *  - warranty:decide: approve or reject warranty claims made by others (back office).
 *  - devices:swap: swap an account's device for a unit in stock (agents, supervisors, back office).
 */
const CODES = ['support:internal', 'support:tokens', 'warranty:decide', 'devices:swap'];

module.exports = permissionSeeder(CODES);
