import type { Sequelize } from 'sequelize';

export function initReportingModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateReportingModels(): void {}
