import type { Sequelize } from 'sequelize';

export function initLedgerModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateLedgerModels(): void {}
