import type { Sequelize, Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import type { Account } from './models';

/**
 * What other domains do when an account is sold, without accounts knowing them: the modules that
 * act (cash, commissions) sit above accounts and subscribe from their `register(ctx)`
 * (src/platform/context.ts), as they do to the payment events (payments/events.ts).
 *
 * - A sale guard runs before POST /accounts opens anything, outside any transaction; a throw (an
 *   HttpProblem) refuses the sale. Cash: an agent at or above their cash limit sells nothing.
 * - An opened listener runs in the opening's transaction, after the sale's journal entry and
 *   before its outbox row; a throw rolls the sale back. Commissions: the sale commission of a
 *   zero-down account, which no down payment will bring.
 */
export interface SaleAttempt {
  /** The employee making the sale (the caller of POST /accounts). */
  sellerId: number;
}

export interface AccountOpenedEvent {
  account: Account;
  /** The business date of the sale (the account's region). */
  businessDate: CalendarDate;
}

export type SaleGuard = (sale: SaleAttempt) => Promise<unknown>;
export type AccountOpenedListener = (event: AccountOpenedEvent, transaction: Transaction) => Promise<void>;

/** Where a module subscribes, from its `register(ctx)`; registering a name again replaces it. */
export interface AccountEventSubscriptions {
  beforeSale(name: string, guard: SaleGuard): void;
  onOpened(name: string, listener: AccountOpenedListener): void;
}

interface Listeners {
  beforeSale: Map<string, SaleGuard>;
  opened: Map<string, AccountOpenedListener>;
}

// Per runtime, keyed by its Sequelize instance (a test process builds several runtimes).
const byRuntime = new WeakMap<Sequelize, Listeners>();

function listenersOf(sequelize: Sequelize): Listeners {
  let l = byRuntime.get(sequelize);
  if (!l) byRuntime.set(sequelize, (l = { beforeSale: new Map(), opened: new Map() }));
  return l;
}

/** The subscriptions of the runtime that owns `sequelize`. */
export function accountSubscriptions(sequelize: Sequelize): AccountEventSubscriptions {
  const l = listenersOf(sequelize);
  return {
    beforeSale: (name, guard) => void l.beforeSale.set(name, guard),
    onOpened: (name, listener) => void l.opened.set(name, listener),
  };
}

/** The runtime a transaction belongs to (Sequelize keeps it on the transaction; its types do not say so). */
function runtimeOf(transaction: Transaction): Sequelize {
  return (transaction as unknown as { sequelize: Sequelize }).sequelize;
}

/** Run by accounts: the guards before a sale, the listeners in the opening's transaction. */
export const accountEvents = {
  checkSale: async (sequelize: Sequelize, sale: SaleAttempt): Promise<void> => {
    for (const guard of listenersOf(sequelize).beforeSale.values()) await guard(sale);
  },
  emitOpened: async (event: AccountOpenedEvent, transaction: Transaction): Promise<void> => {
    for (const listener of listenersOf(runtimeOf(transaction)).opened.values()) await listener(event, transaction);
  },
};
