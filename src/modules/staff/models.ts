import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';
import { Employee } from '../access/models';

/** An admin-issued one-time password reset: only the SHA-256 of the token is stored; short-lived, single use. */
export class PasswordResetToken extends Model<InferAttributes<PasswordResetToken>, InferCreationAttributes<PasswordResetToken>> {
  declare id: CreationOptional<number>;
  declare employeeId: number;
  /** SHA-256 (hex) of the token; the token itself is shown once and never stored. */
  declare tokenHash: string;
  declare expiresAt: Date;
  /** Set when the token is used, or when it is superseded (a newer token, deactivation). */
  declare usedAt: CreationOptional<Date | null>;
  /** Who issued it (null: the operator CLI). */
  declare createdById: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export function initStaffModels(sequelize: Sequelize): void {
  PasswordResetToken.init(
    {
      id,
      employeeId: { type: DataTypes.INTEGER, allowNull: false },
      tokenHash: { type: DataTypes.CHAR(64), allowNull: false, unique: true },
      expiresAt: { type: DataTypes.DATE, allowNull: false },
      usedAt: { type: DataTypes.DATE, allowNull: true },
      createdById: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    { sequelize, tableName: 'passwordResetTokens', modelName: 'PasswordResetToken' },
  );
}

export function associateStaffModels(): void {
  PasswordResetToken.belongsTo(Employee, { foreignKey: 'employeeId', as: 'employee' });
  PasswordResetToken.belongsTo(Employee, { foreignKey: 'createdById', as: 'createdBy' });
}
