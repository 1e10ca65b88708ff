// @ts-check
'use strict';
const { permissionSeeder } = require('./lib/permissions');

/**
 * Permission code added with the offline-first push (issue 14), for databases seeded before it
 * existed: the code, and the grants the catalog gives it (admin's '*' included). Idempotent.
 *  - sync:push: send a phone's queued actions in one request (agents, supervisors); each action
 *    still needs its own route's permission.
 */
const CODES = ['sync:push'];

module.exports = permissionSeeder(CODES);
