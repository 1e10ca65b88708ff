import type { Sequelize } from 'sequelize';

export function initCatalogueModels(sequelize: Sequelize): void {
  void sequelize;
}

export function associateCatalogueModels(): void {}
