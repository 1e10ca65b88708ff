import type { Sequelize } from 'sequelize';

export function initCommissionsModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateCommissionsModels(): void {}
