import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { HttpProblem } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { Employee } from '../access/models';
import { CashCollection } from './models';
import { SystemSetting } from '../organisation/reference.models';

/** The cash limit when neither the employee (employees.cashLimit) nor systemSettings 'agentCashLimit' sets one. */
export const DEFAULT_AGENT_CASH_LIMIT: MoneyString = '50000.00';
export const CASH_LIMIT_SETTING = 'agentCashLimit';

export interface CashPosition {
  agentId: number;
  /** Cash collected and posted, not yet in a confirmed remittance. */
  balance: MoneyString;
  limit: MoneyString;
  limitSource: 'employee' | 'system' | 'default';
  /** True when the balance is at or above the limit: no collections or sales until the agent remits. */
  blocked: boolean;
}

/** The system-wide default from systemSettings ('agentCashLimit': "50000.00" or 50000), if set and valid. */
async function systemLimit(transaction?: Transaction): Promise<MoneyString | null> {
  const s = await SystemSetting.findOne({ where: { key: CASH_LIMIT_SETTING }, attributes: ['value'], transaction });
  const v = s?.value as unknown;
  const text =
    typeof v === 'number' || typeof v === 'string' ? String(v) : typeof v === 'object' && v && 'amount' in v ? String((v as { amount: unknown }).amount) : null;
  if (text === null || !/^\d{1,12}(\.\d{1,2})?$/.test(text)) return null;
  return toMoneyString(text);
}

/** The agent's cash balance and limit (read in `transaction` when given, e.g. under the agent's row lock). */
export async function cashPosition(sequelize: Sequelize, agentId: number, transaction?: Transaction): Promise<CashPosition> {
  const [employee, rows, system] = await Promise.all([
    Employee.findByPk(agentId, { attributes: ['id', 'cashLimit'], transaction }),
    sequelize.query<{ total: string | null }>(
      `SELECT SUM(amount) AS total FROM ${CashCollection.getTableName() as string} WHERE agentId = ? AND status = 'posted'`,
      { replacements: [agentId], type: QueryTypes.SELECT, transaction },
    ),
    systemLimit(transaction),
  ]);
  const own = employee?.cashLimit;
  const [limit, limitSource] =
    own !== null && own !== undefined
      ? [toMoneyString(own), 'employee' as const]
      : system !== null
        ? [system, 'system' as const]
        : [DEFAULT_AGENT_CASH_LIMIT, 'default' as const];
  const balance = toMoneyString(rows[0]?.total ?? 0);
  return { agentId, balance, limit, limitSource, blocked: new Decimal(balance).greaterThanOrEqualTo(limit) };
}

export function cashLimitExceeded(position: CashPosition): HttpProblem {
  return new HttpProblem(
    403,
    `You carry ${position.balance} in cash, at or above your limit of ${position.limit}. Remit the cash you hold (POST /agent-remittances) and have it confirmed before collecting or selling again.`,
    {
      type: 'cash-limit-exceeded',
      title: 'Cash limit exceeded',
      extensions: { balance: position.balance, limit: position.limit },
    },
  );
}

/**
 * Refuses (403 cash-limit-exceeded) an employee whose cash balance is at or above their limit.
 * Collections call it under the agent's row lock; sales (POST /accounts) before opening the
 * account, as the sale guard the cash module registers (index.ts, accounts/events.ts).
 * Employees who carry no cash have a balance of 0 and always pass.
 */
export async function assertCashBelowLimit(sequelize: Sequelize, employeeId: number, transaction?: Transaction): Promise<CashPosition> {
  const position = await cashPosition(sequelize, employeeId, transaction);
  if (position.blocked) throw cashLimitExceeded(position);
  return position;
}
