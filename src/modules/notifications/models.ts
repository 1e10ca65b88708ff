import type { Sequelize } from 'sequelize';

export function initNotificationsModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateNotificationsModels(): void {}
