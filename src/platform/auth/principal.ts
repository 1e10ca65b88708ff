import { Op, type WhereOptions } from 'sequelize';

/** Who is calling: an authenticated employee, with what their role grants. */
export interface Principal {
  employeeId: number;
  roleId: number;
  roleName: string;
  permissions: ReadonlySet<string>;
  /** Regions the employee covers (employeeRegions). */
  regionIds: readonly number[];
  /** employees.sessionEpoch: an access token must carry the same (claim `se`), else it is refused. */
  sessionEpoch?: number;
}

/** Permission that lifts the region restriction (head office staff). */
export const ALL_REGIONS_PERMISSION = 'regions:all';

export type RegionScope = { all: true } | { all: false; regionIds: readonly number[] };

/** The set of regions whose records a caller may see; services filter by it. */
export function regionScope(principal: Principal | undefined): RegionScope {
  if (!principal) return { all: false, regionIds: [] };
  if (principal.permissions.has(ALL_REGIONS_PERMISSION)) return { all: true };
  return { all: false, regionIds: principal.regionIds };
}

/** A where-clause fragment restricting `column` to the scope (nothing, for all regions). */
export function regionWhere(scope: RegionScope, column = 'regionId'): WhereOptions {
  if (scope.all) return {};
  return { [column]: { [Op.in]: [...scope.regionIds] } };
}

/** True when a record in `regionId` is visible; services answer 404 otherwise. */
export function inRegionScope(scope: RegionScope, regionId: number | null | undefined): boolean {
  if (scope.all) return true;
  return regionId !== null && regionId !== undefined && scope.regionIds.includes(regionId);
}
