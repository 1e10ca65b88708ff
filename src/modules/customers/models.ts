import type { Sequelize } from 'sequelize';

export function initCustomersModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateCustomersModels(): void {}
