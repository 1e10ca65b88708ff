import type { Sequelize, Transaction } from 'sequelize';

/**
 * The stock side of a device's custody changes (registered into a warehouse, handed to a customer,
 * taken back), kept by inventory: inventory sits above devices (purchase orders and transfers move
 * devices), so devices reaches its stock levels and movements through this keeper, which
 * inventory's `register(ctx)` sets for its runtime, never through an import.
 */
export interface DeviceMovement {
  warehouseId: number;
  productId: number;
  deviceId: number;
  /** Signed: +1 into the warehouse, -1 out of it. */
  quantity: number;
  movementType: 'receipt' | 'sale' | 'return';
  referenceType?: string | null;
  referenceId?: number | null;
  note?: string | null;
  createdBy?: number | null;
}

export interface DeviceStockKeeper {
  /** The stock transfer the device travels on (in transit), or null. */
  inTransit(t: Transaction, deviceId: number): Promise<number | null>;
  /** Books the movements (stock levels and stockMovements rows) in the caller's transaction. */
  move(t: Transaction, movements: DeviceMovement[]): Promise<void>;
}

// Per runtime, keyed by its Sequelize instance (a test process builds several runtimes).
const keepers = new WeakMap<Sequelize, DeviceStockKeeper>();

/** Called by inventory's register(ctx); setting it again replaces it. */
export function setDeviceStockKeeper(sequelize: Sequelize, keeper: DeviceStockKeeper): void {
  keepers.set(sequelize, keeper);
}

/** The keeper of the runtime a transaction belongs to; a runtime without one is a wiring bug, never a silent skip. */
export function deviceStock(t: Transaction): DeviceStockKeeper {
  const sequelize = (t as unknown as { sequelize: Sequelize }).sequelize;
  const keeper = keepers.get(sequelize);
  if (!keeper) throw new Error('no device stock keeper registered for this runtime (inventory register(ctx) not called)');
  return keeper;
}
