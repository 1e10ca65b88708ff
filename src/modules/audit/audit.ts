import type { Transaction } from 'sequelize';
import type { Actor } from '../../platform/auth/actor';
import { currentRequest } from '../../platform/http/request-context';
import { SystemLog } from './models';

export interface AuditEvent {
  /** Who acted: an Actor (its employeeId is the row's userId), or null for the system (jobs, gateways, API clients' callbacks). */
  actor: Pick<Actor, 'employeeId'> | null;
  /** e.g. account.suspend, refund.approve */
  action: string;
  /** The table, e.g. accounts */
  entity: string;
  entityId: number | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** Column sizes of systemLogs: an over-long header must not fail the change it records. */
const IP_MAX = 45;
const REQUEST_ID_MAX = 64;
const USER_AGENT_MAX = 1000;

/**
 * The one way to write the audit trail (systemLogs). In the caller's transaction, so the row
 * commits or rolls back with the change it records. The IP, user agent and request id come from
 * the HTTP request the call runs in (request-context.ts); outside a request (jobs, CLI) they are null.
 */
export const audit = {
  /** `t` null only where the change itself is written outside a transaction (the row then commits on its own). */
  async record(t: Transaction | null, event: AuditEvent): Promise<void> {
    const request = currentRequest();
    await SystemLog.create(
      {
        userId: event.actor?.employeeId ?? null,
        action: event.action,
        entity: event.entity,
        entityId: event.entityId,
        oldValues: event.before ?? null,
        newValues: event.after ?? null,
        ipAddress: request?.ip?.slice(0, IP_MAX) ?? null,
        userAgent: request?.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
        requestId: request?.requestId?.slice(0, REQUEST_ID_MAX) ?? null,
      },
      { transaction: t ?? undefined },
    );
  },
};
