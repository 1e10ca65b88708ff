import { regionScope, type RegionScope } from '../../platform/auth/principal';
import type { ApiRequest } from '../../platform/http/route';
import { problems } from '../../platform/http/problem';

/** Who acts on a maker-checker request, and which regions they may see. */
export interface Actor {
  employeeId: number;
  scope: RegionScope;
}

/**
 * Maker-checker: whoever decides a request (reversal, refund, write-off) must not be whoever made
 * it. Checked here, before the database's four-eyes trigger would refuse the row.
 */
export function refuseOwnRequest(requestedBy: number, actor: Actor, what: string): void {
  if (requestedBy === actor.employeeId) {
    throw problems.forbidden(`You requested this ${what}; another employee must approve or reject it (maker-checker).`, 'four-eyes');
  }
}

/** The calling employee of an authenticated route, as an Actor. */
export function actorOf(req: ApiRequest): Actor {
  return { employeeId: req.principal!.employeeId, scope: regionScope(req.principal) };
}
