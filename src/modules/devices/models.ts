import type { Sequelize } from 'sequelize';

export function initDevicesModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateDevicesModels(): void {}
