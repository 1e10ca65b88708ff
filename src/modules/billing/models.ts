import type { Sequelize } from 'sequelize';

export function initBillingModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateBillingModels(): void {}
