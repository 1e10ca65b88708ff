import type { Sequelize, Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';

/** What a step is told about the day being closed. */
export interface CloseStepDay {
  countryId: number;
  /** The business day being closed (C). */
  closedDate: CalendarDate;
  /** The business day the close opens (N = C + 1), the date the accounts' DPD and statuses are as of. */
  businessDate: CalendarDate;
}

/** What a step reports; goes into the jobRuns counts as `<name>.<key>`. */
export type CloseStepCounts = Record<string, number> | void;

/**
 * Country-wide steps other modules add to the nightly close (e.g. commission clawbacks). They run
 * after the accounts of the country are done and its snapshot is written, each in its own
 * transaction (retried on deadlock), and must be idempotent: the close is at-least-once and a
 * re-run of the same day runs them again.
 */
export interface CountryCloseStep {
  name: string;
  run(input: CloseStepDay, transaction: Transaction): Promise<CloseStepCounts>;
}

/**
 * Per-account steps: run in each chunk's transaction, after the accounts' own step (DPD, statuses,
 * suspensions), with the chunk's accounts locked. `accountIds` are the accounts of the chunk the
 * close has not yet taken to the business date. Idempotent, as the close may re-run a chunk.
 */
export interface ChunkCloseStep {
  name: string;
  run(input: CloseStepDay & { accountIds: number[] }, transaction: Transaction): Promise<CloseStepCounts>;
}

/** Where a module adds its steps, from its `register(ctx)` (src/platform/context.ts). By name: adding a name again replaces it. */
export interface CloseStepRegistry {
  addCountryStep(step: CountryCloseStep): void;
  addChunkStep(step: ChunkCloseStep): void;
  countrySteps(): readonly CountryCloseStep[];
  chunkSteps(): readonly ChunkCloseStep[];
}

// One registry per runtime (keyed by its Sequelize instance), like the payment listeners: a test
// process builds several runtimes, and one's steps must not run in another's close.
const byRuntime = new WeakMap<Sequelize, CloseStepRegistry>();

function byName<S extends { name: string }>(): { add(step: S): void; all(): readonly S[] } {
  const steps = new Map<string, S>();
  return { add: (step) => void steps.set(step.name, step), all: () => [...steps.values()] };
}

/** The nightly-close steps of the runtime that owns `sequelize`. */
export function closeSteps(sequelize: Sequelize): CloseStepRegistry {
  let registry = byRuntime.get(sequelize);
  if (!registry) {
    const country = byName<CountryCloseStep>();
    const chunk = byName<ChunkCloseStep>();
    registry = { addCountryStep: country.add, addChunkStep: chunk.add, countrySteps: country.all, chunkSteps: chunk.all };
    byRuntime.set(sequelize, registry);
  }
  return registry;
}

/** Runs the registered chunk steps in the chunk's transaction; their counts prefixed by step name. */
export async function runChunkSteps(
  sequelize: Sequelize,
  input: CloseStepDay & { accountIds: number[] },
  transaction: Transaction,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const step of closeSteps(sequelize).chunkSteps()) {
    for (const [k, v] of Object.entries((await step.run(input, transaction)) ?? {})) counts[`${step.name}.${k}`] = v;
  }
  return counts;
}
