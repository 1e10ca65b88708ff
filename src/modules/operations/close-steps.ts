import type { Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';

/**
 * Country-wide steps other modules add to the nightly close (e.g. commission clawbacks). They run
 * after the accounts of the country are done and its snapshot is written, each in its own
 * transaction (retried on deadlock), and must be idempotent: the close is at-least-once and a
 * re-run of the same day runs them again. What they return goes into the jobRuns counts as
 * `<name>.<key>`.
 */
export interface CountryCloseStep {
  name: string;
  run(input: { countryId: number; closedDate: CalendarDate; businessDate: CalendarDate }, transaction: Transaction): Promise<Record<string, number> | void>;
}

const steps: CountryCloseStep[] = [];

/** Registers a step once (by name); call from a module's jobs(ctx). */
export function registerCountryCloseStep(step: CountryCloseStep): void {
  const i = steps.findIndex((s) => s.name === step.name);
  if (i >= 0) steps[i] = step;
  else steps.push(step);
}

export function countryCloseSteps(): readonly CountryCloseStep[] {
  return steps;
}
