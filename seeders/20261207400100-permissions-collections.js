// @ts-check
'use strict';
const { permissionSeeder } = require('./lib/permissions');

/**
 * Permission codes added with collections and the manual status actions (issue 15), for databases
 * seeded before they existed: the codes, and the grants the catalog gives them (admin's '*'
 * included). Also collections:write (an existing code) for the roles the catalog now grants it
 * to: agents work the cases of their own accounts (the assignment rule gives them first).
 * Idempotent: existing rows are left alone.
 *  - collections:supervise: reassign cases, see every collector's worklist.
 *  - accounts:suspend, accounts:reactivate, accounts:repossess, accounts:close: the back office's
 *    manual status actions.
 */
const CODES = ['collections:supervise', 'accounts:suspend', 'accounts:reactivate', 'accounts:repossess', 'accounts:close'];

// The agents' collections:write: granted here, taken back from agents on down.
module.exports = permissionSeeder(CODES, { regranted: { codes: ['collections:write'], roles: ['agent'] } });
