import { DataTypes, type Model, type ModelAttributeColumnOptions } from 'sequelize';
import { Decimal, toMoneyString } from '../money';

/**
 * A DECIMAL(14,2) money column that always reads as a two-decimal string, on MySQL (which returns
 * strings) and on SQLite (which would hand back a JS number).
 */
export function moneyColumn(field: string, options: { allowNull?: boolean; defaultValue?: string } = {}): ModelAttributeColumnOptions<Model> {
  return {
    type: DataTypes.DECIMAL(14, 2),
    allowNull: options.allowNull ?? false,
    ...(options.defaultValue !== undefined ? { defaultValue: options.defaultValue } : {}),
    get(this: Model) {
      const raw = this.getDataValue(field as never) as unknown;
      return raw === null || raw === undefined ? raw : toMoneyString(raw as string);
    },
  };
}

/** A non-money DECIMAL(p,s) that reads as a fixed-scale string on every dialect (rates, ratios). */
export function decimalColumn(
  field: string,
  precision: number,
  scale: number,
  options: { allowNull?: boolean; defaultValue?: string } = {},
): ModelAttributeColumnOptions<Model> {
  return {
    type: DataTypes.DECIMAL(precision, scale),
    allowNull: options.allowNull ?? false,
    ...(options.defaultValue !== undefined ? { defaultValue: options.defaultValue } : {}),
    get(this: Model) {
      const raw = this.getDataValue(field as never) as unknown;
      return raw === null || raw === undefined ? raw : new Decimal(raw as string).toFixed(scale);
    },
  };
}

/** The INTEGER AUTO_INCREMENT primary key every table has. */
export const idColumn = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true } as const;

/** createdAt / updatedAt, on every table. */
export const timestampColumns = { createdAt: DataTypes.DATE, updatedAt: DataTypes.DATE } as const;
