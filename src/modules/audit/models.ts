import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { Employee } from '../access/models';

/**
 * Who did what (original schema document columns, plus updatedAt and requestId). Append-only: on
 * MySQL/MariaDB triggers refuse UPDATE and DELETE; the hooks below refuse them through the model
 * on every dialect (SQLite included).
 */
export class SystemLog extends Model<InferAttributes<SystemLog>, InferCreationAttributes<SystemLog>> {
  declare id: CreationOptional<number>;
  /** The employee who acted; null for the system (jobs, gateways). */
  declare userId: CreationOptional<number | null>;
  /** e.g. account.suspend, refund.approve */
  declare action: string;
  /** e.g. accounts */
  declare entity: string;
  declare entityId: CreationOptional<number | null>;
  declare oldValues: CreationOptional<Record<string, unknown> | null>;
  declare newValues: CreationOptional<Record<string, unknown> | null>;
  declare ipAddress: CreationOptional<string | null>;
  declare userAgent: CreationOptional<string | null>;
  declare requestId: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare user?: NonAttribute<Employee | null>;
}

function appendOnly(): never {
  throw new Error('systemLogs is append-only');
}

export function initAuditModels(sequelize: Sequelize): void {
  SystemLog.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      userId: { type: DataTypes.INTEGER, allowNull: true },
      action: { type: DataTypes.STRING(255), allowNull: false },
      entity: { type: DataTypes.STRING(100), allowNull: false },
      entityId: { type: DataTypes.INTEGER, allowNull: true },
      oldValues: { type: DataTypes.JSON, allowNull: true },
      newValues: { type: DataTypes.JSON, allowNull: true },
      ipAddress: { type: DataTypes.STRING(45), allowNull: true },
      userAgent: { type: DataTypes.TEXT, allowNull: true },
      requestId: { type: DataTypes.STRING(64), allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    {
      sequelize,
      tableName: 'systemLogs',
      modelName: 'SystemLog',
      indexes: [
        { name: 'systemLogs_entity', fields: ['entity', 'entityId'] },
        { name: 'systemLogs_user_created', fields: ['userId', 'createdAt'] },
      ],
      hooks: {
        beforeUpdate: appendOnly,
        beforeBulkUpdate: appendOnly,
        beforeDestroy: appendOnly,
        beforeBulkDestroy: appendOnly,
      },
    },
  );
}

export function associateAuditModels(): void {
  SystemLog.belongsTo(Employee, { foreignKey: 'userId', as: 'user' });
  Employee.hasMany(SystemLog, { foreignKey: 'userId', as: 'auditLogs' });
}
