import type { Sequelize } from 'sequelize';

export function initIntegrationsModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateIntegrationsModels(): void {}
