import type { Sequelize } from 'sequelize';

export function initCollectionsModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateCollectionsModels(): void {}
