import catalog from './permission-catalog.json';

/**
 * Every permission code the system knows. Routes may only declare codes from here (checked when
 * routes are mounted); the catalog also seeds the default grants of each role. What a role may do
 * at run time is rolePermissions in the database.
 */
export const PERMISSION_CODES: ReadonlySet<string> = new Set(Object.keys(catalog.permissions));
