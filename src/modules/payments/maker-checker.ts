import { regionScope, type RegionScope } from '../../platform/auth/principal';
import type { ApiRequest } from '../../platform/http/route';

/** Who acts on a maker-checker request, and which regions they may see. */
export interface Actor {
  employeeId: number;
  scope: RegionScope;
}

/** The calling employee of an authenticated route, as an Actor. */
export function actorOf(req: ApiRequest): Actor {
  return { employeeId: req.principal!.employeeId, scope: regionScope(req.principal) };
}
