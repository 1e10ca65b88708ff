import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { Country } from '../organisation/models';

export const JOB_RUN_STATUSES = ['running', 'succeeded', 'failed'] as const;
export type JobRunStatus = (typeof JOB_RUN_STATUSES)[number];

export interface JobRunError {
  message: string;
  [key: string]: unknown;
}

/** One run of a scheduled job (e.g. the nightly close of one country for one business date). */
export class JobRun extends Model<InferAttributes<JobRun>, InferCreationAttributes<JobRun>> {
  declare id: CreationOptional<number>;
  declare jobName: string;
  declare countryId: CreationOptional<number | null>;
  declare businessDate: CreationOptional<string | null>;
  /** A slice of the work (a region, an id range). PARTITION is reserved in MySQL: quote it in raw SQL. */
  declare partition: CreationOptional<string | null>;
  declare status: CreationOptional<JobRunStatus>;
  declare startedAt: Date;
  declare finishedAt: CreationOptional<Date | null>;
  /** e.g. { accounts: 1200, suspended: 14 } */
  declare counts: CreationOptional<Record<string, number> | null>;
  declare errors: CreationOptional<JobRunError[] | null>;
  declare attempt: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare country?: NonAttribute<Country | null>;
}

export function initOperationsModels(sequelize: Sequelize): void {
  JobRun.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      jobName: { type: DataTypes.STRING(100), allowNull: false },
      countryId: { type: DataTypes.INTEGER, allowNull: true },
      businessDate: { type: DataTypes.DATEONLY, allowNull: true },
      partition: { type: DataTypes.STRING(50), allowNull: true },
      status: { type: DataTypes.ENUM(...JOB_RUN_STATUSES), allowNull: false, defaultValue: 'running' },
      startedAt: { type: DataTypes.DATE, allowNull: false },
      finishedAt: { type: DataTypes.DATE, allowNull: true },
      counts: { type: DataTypes.JSON, allowNull: true },
      errors: { type: DataTypes.JSON, allowNull: true },
      attempt: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    {
      sequelize,
      tableName: 'jobRuns',
      modelName: 'JobRun',
      indexes: [
        { name: 'jobRuns_job_business_date', fields: ['jobName', 'businessDate'] },
        { name: 'jobRuns_status_started', fields: ['status', 'startedAt'] },
      ],
    },
  );
}

export function associateOperationsModels(): void {
  JobRun.belongsTo(Country, { foreignKey: 'countryId', as: 'country' });
}
