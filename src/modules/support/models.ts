import type { Sequelize } from 'sequelize';

export function initSupportModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateSupportModels(): void {}
