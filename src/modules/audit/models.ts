import type { Sequelize } from 'sequelize';

export function initAuditModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateAuditModels(): void {}
