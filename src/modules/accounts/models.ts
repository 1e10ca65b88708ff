import type { Sequelize } from 'sequelize';

export function initAccountsModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateAccountsModels(): void {}
