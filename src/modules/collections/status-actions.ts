import { Op, type Sequelize } from 'sequelize';
import type { EmployeeActor } from '../../platform/auth/actor';
import { inRegionScope } from '../../platform/auth/principal';
import { withTransaction } from '../../platform/db/transaction';
import { problems } from '../../platform/http/problem';
import { toMoneyString } from '../../platform/money';
import { AccountDevice, Repossession } from '../accounts/models';
import { applyAccountState, manualStatusStep, type ManualStatusAction } from '../accounts/status';
import { audit } from '../audit/audit';
import { lockAccount, preparedAccount } from '../accounts/settlement';

/** The permission of each manual status action. */
export const ACTION_PERMISSIONS: Record<ManualStatusAction, string> = {
  suspend: 'accounts:suspend',
  reactivate: 'accounts:reactivate',
  'mark-for-repossession': 'accounts:repossess',
  'close-settled': 'accounts:close',
};

export interface StatusActionResult {
  accountId: number;
  action: ManualStatusAction;
  previousStatus: string;
  status: string;
  daysPastDue: number;
  balance: string;
  repossessionId: number | null;
}

/**
 * Back office's manual status actions on an account, through the lifecycle (accounts/status.ts
 * manualStatusStep for the rule, lifecycle.ts transition for the move and its history row): in one
 * transaction, the account row locked first and brought to the business date (the nightly step it
 * missed), the status history row, a repossession scheduled when marking for repossession (the
 * nightly collections step then escalates the case), and the audit row. Refused moves are a 409.
 */
export async function applyStatusAction(
  sequelize: Sequelize,
  actor: EmployeeActor,
  accountId: number,
  action: ManualStatusAction,
  reason: string,
): Promise<StatusActionResult> {
  return withTransaction(sequelize, async (t) => {
    const account = await lockAccount(accountId, t);
    if (!inRegionScope(actor.scope, account.regionId)) throw problems.notFound('account');
    const { calendar, payplan } = await preparedAccount(account, t);
    const previousStatus = account.status;
    const decided = manualStatusStep(action, {
      status: account.status,
      daysPastDue: account.daysPastDue,
      balance: account.balance,
      daysUntilSuspension: payplan.daysUntilSuspension,
    });
    if ('refusal' in decided) throw problems.conflict(decided.refusal, 'illegal-status-action', { action, status: account.status });
    let repossessionId: number | null = null;
    if (action === 'mark-for-repossession') {
      const scheduled = await Repossession.findOne({ where: { accountId, status: { [Op.in]: ['scheduled', 'assigned'] } }, transaction: t });
      if (scheduled) throw problems.conflict(`A repossession of account ${accountId} is already scheduled (${scheduled.id}).`, 'repossession-scheduled');
      const device = await AccountDevice.findOne({ where: { accountId, status: 'active' }, order: [['id', 'DESC']], transaction: t });
      const r = await Repossession.create(
        { accountId, deviceId: device?.deviceId ?? null, reason, status: 'scheduled', scheduledFor: calendar.businessDate },
        { transaction: t },
      );
      repossessionId = r.id;
    }
    await applyAccountState(
      account,
      {
        status: decided.step ? decided.step.to : account.status,
        daysPastDue: account.daysPastDue,
        parBucket: account.parBucket,
        activationDate: account.activationDate ?? null,
        steps: decided.step ? [decided.step] : [],
      },
      { by: actor.employeeId, businessDate: calendar.businessDate, reasonPrefix: reason },
      t,
    );
    await account.save({ transaction: t });
    await audit.record(t, {
      actor,
      action: `account.${action}`,
      entity: 'accounts',
      entityId: account.id,
      before: { status: previousStatus },
      after: { status: account.status, reason, ...(repossessionId ? { repossessionId } : {}) },
    });
    return {
      accountId: account.id,
      action,
      previousStatus,
      status: account.status,
      daysPastDue: account.daysPastDue,
      balance: toMoneyString(account.balance),
      repossessionId,
    };
  });
}
