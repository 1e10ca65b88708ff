import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

export const CHANGE_ENTITY_TYPES = ['customer', 'account', 'payment', 'token', 'collectionCase', 'repossession'] as const;
export type ChangeEntityType = (typeof CHANGE_ENTITY_TYPES)[number];
export const CHANGE_OPS = ['upsert', 'delete'] as const;
export type ChangeOp = (typeof CHANGE_OPS)[number];

/**
 * changeLog: one row per change of what an agent's phone keeps, with the region it belongs to.
 * Written only by database triggers in the changing transaction (migration 20261208500000), read
 * by the change feed (change-feed.service.ts). Append-only: `changedAt` is its only time stamp.
 */
export class ChangeLog extends Model<InferAttributes<ChangeLog>, InferCreationAttributes<ChangeLog>> {
  declare id: CreationOptional<number>;
  declare entityType: ChangeEntityType;
  declare entityId: number;
  declare regionId: number | null;
  declare op: ChangeOp;
  declare changedAt: Date;
}

/**
 * changeLogHorizon: one row (id 1), how far the nightly prune has cut changeLog (prune.ts). Rows
 * with id <= prunedThroughId may be gone: a cursor below it is stale (410, docs/offline-sync.md).
 */
export class ChangeLogHorizon extends Model<InferAttributes<ChangeLogHorizon>, InferCreationAttributes<ChangeLogHorizon>> {
  declare id: number;
  declare prunedThroughId: number;
  declare prunedBefore: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export function initChangeFeedModels(sequelize: Sequelize): void {
  ChangeLog.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      entityType: { type: DataTypes.ENUM(...CHANGE_ENTITY_TYPES), allowNull: false },
      entityId: { type: DataTypes.INTEGER, allowNull: false },
      regionId: { type: DataTypes.INTEGER, allowNull: true },
      op: { type: DataTypes.ENUM(...CHANGE_OPS), allowNull: false },
      changedAt: { type: DataTypes.DATE(3), allowNull: false },
    },
    {
      sequelize,
      tableName: 'changeLog',
      modelName: 'ChangeLog',
      timestamps: false,
      indexes: [
        { name: 'changeLog_region_position', fields: ['regionId', 'id'] },
        { name: 'changeLog_changedAt', fields: ['changedAt'] },
      ],
    },
  );
  ChangeLogHorizon.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true },
      prunedThroughId: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      prunedBefore: { type: DataTypes.DATE(3), allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, tableName: 'changeLogHorizon', modelName: 'ChangeLogHorizon' },
  );
}
