import type { Sequelize } from 'sequelize';

export function initPaymentsModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associatePaymentsModels(): void {}
