import { regionScope, type Principal, type RegionScope } from './principal';

/**
 * Who acts on an authenticated call: an employee (bearer token) or an API client (a machine).
 * The router sets it as `req.actor` on every authenticated route; services take it, audit.record
 * takes its employeeId. One type for every workflow (maker-checker, cash, customers, commissions).
 */
export type Actor = EmployeeActor | ClientActor;

export interface EmployeeActor {
  kind: 'employee';
  employeeId: number;
  /** Regions whose records the employee may see (another region's record is a 404). */
  scope: RegionScope;
  /** What the employee's role grants (e.g. cash:remit:confirm lets them decide on other agents' cash). */
  permissions: ReadonlySet<string>;
}

export interface ClientActor {
  kind: 'client';
  /** No employee acts: audit rows of an API client's call carry a null userId. */
  employeeId: null;
  /** apiClients.id */
  clientId: number;
  /** An API client covers no region by itself: anything region-scoped fails closed. */
  scope: RegionScope;
  /** The client's scopes. */
  permissions: ReadonlySet<string>;
}

export function employeeActor(principal: Principal): EmployeeActor {
  return { kind: 'employee', employeeId: principal.employeeId, scope: regionScope(principal), permissions: principal.permissions };
}

export function clientActor(client: { id: number; scopes: ReadonlySet<string> }): ClientActor {
  return { kind: 'client', employeeId: null, clientId: client.id, scope: { all: false, regionIds: [] }, permissions: client.scopes };
}

/** What a service needs of an employee that only checks who acts and in which regions (an EmployeeActor is one). */
export type ScopedActor = Pick<EmployeeActor, 'employeeId' | 'scope'>;
