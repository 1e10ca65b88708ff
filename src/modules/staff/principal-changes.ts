import { invalidatePrincipal } from '../access/principal-loader';

/**
 * After a commit that changes what an employee may do (deactivation, role, regions, password):
 * every principal cache of this process drops them at once, so their next request is checked
 * against the database (a deactivated employee's access token is refused there).
 */
export async function principalChanged(employeeId: number): Promise<void> {
  invalidatePrincipal(employeeId);
}
