import type { Sequelize } from 'sequelize';

export function initOperationsModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateOperationsModels(): void {}
