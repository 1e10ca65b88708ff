import type { Sequelize } from 'sequelize';

export function initInventoryModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateInventoryModels(): void {}
