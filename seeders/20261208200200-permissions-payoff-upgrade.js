// @ts-check
'use strict';
const { permissionSeeder } = require('./lib/permissions');

/**
 * Permission codes added with payoff quotes and upgrades (issue 16), for databases seeded before
 * they existed: the codes, and the grants the catalog gives them (admin's '*' included).
 *  - accounts:payoff: quote an early payoff and settle an account by paying its quote.
 *  - accounts:upgrade: add a product (and its device) to an active account.
 */
const CODES = ['accounts:payoff', 'accounts:upgrade'];

module.exports = permissionSeeder(CODES);
