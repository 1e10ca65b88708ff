import { DataTypes, type Model, type ModelAttributeColumnOptions } from 'sequelize';
import { toMoneyString } from '../money';

/**
 * A DECIMAL(14,2) money column that always reads as a two-decimal string, on MySQL (which returns
 * strings) and on SQLite (which would hand back a JS number).
 */
export function moneyColumn(
  field: string,
  options: { allowNull?: boolean; defaultValue?: string } = {},
): ModelAttributeColumnOptions<Model> {
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
