import type { Sequelize, Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import type { Account, ScheduleChange } from './models';

/**
 * What other domains do when a payment holiday is applied, without accounts knowing them:
 * devices (above accounts) grants the holiday's days as credit days so the device keeps working,
 * when the payplan's policy says so. The listener runs in the holiday's transaction, with the
 * account locked; a throw rolls the holiday back.
 */
export interface HolidayAppliedEvent {
  account: Account;
  change: ScheduleChange;
  days: number;
  businessDate: CalendarDate;
  by: number | null;
}

export type HolidayListener = (event: HolidayAppliedEvent, t: Transaction) => Promise<void>;

const byRuntime = new WeakMap<Sequelize, Map<string, HolidayListener>>();

function listenersOf(sequelize: Sequelize): Map<string, HolidayListener> {
  let l = byRuntime.get(sequelize);
  if (!l) byRuntime.set(sequelize, (l = new Map()));
  return l;
}

/** Where a module subscribes, from its `register(ctx)`; registering a name again replaces it. */
export function scheduleChangeSubscriptions(sequelize: Sequelize): { onHoliday(name: string, listener: HolidayListener): void } {
  const l = listenersOf(sequelize);
  return { onHoliday: (name, listener) => void l.set(name, listener) };
}

/** Run by the holiday service in its transaction. */
export async function emitHolidayApplied(event: HolidayAppliedEvent, t: Transaction): Promise<void> {
  const sequelize = (t as unknown as { sequelize: Sequelize }).sequelize;
  for (const listener of listenersOf(sequelize).values()) await listener(event, t);
}
