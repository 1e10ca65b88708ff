// Machine access: API clients (e.g. a mobile-money gateway) and idempotency keys
// (migration 20261124000010).
import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';

export const IDEMPOTENCY_STATUSES = ['in_progress', 'completed'] as const;
export type IdempotencyStatus = (typeof IDEMPOTENCY_STATUSES)[number];

export class ApiClient extends Model<InferAttributes<ApiClient>, InferCreationAttributes<ApiClient>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare clientId: string;
  /** Hash of the client secret; the secret itself is shown once and never stored. */
  declare secretHash: string;
  /** IPs or CIDR ranges the client may call from; null = any. */
  declare allowedIps: CreationOptional<string[] | null>;
  /** Permission codes granted to the client. */
  declare scopes: CreationOptional<string[] | null>;
  declare isActive: CreationOptional<boolean>;
  declare lastUsedAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/**
 * One Idempotency-Key per scope (caller + operation). Insert as in_progress (the unique index makes
 * a concurrent duplicate fail), store the response when done; a replay with the same requestHash
 * gets the stored response, with another requestHash a 422.
 */
export class IdempotencyKey extends Model<InferAttributes<IdempotencyKey>, InferCreationAttributes<IdempotencyKey>> {
  declare id: CreationOptional<number>;
  declare scope: string;
  declare idempotencyKey: string;
  /** SHA-256 hex of the canonical request. */
  declare requestHash: string;
  declare status: CreationOptional<IdempotencyStatus>;
  declare responseStatus: CreationOptional<number | null>;
  declare responseBody: CreationOptional<unknown>;
  /** The fencing token of the request that holds the claim (a retry that takes it over writes its own). */
  declare ownerToken: CreationOptional<string | null>;
  /** Until when the holder may still commit; after it a retry may take the claim over. */
  declare leaseExpiresAt: CreationOptional<Date | null>;
  /** Retention: the purge job deletes the key after this. */
  declare expiresAt: Date;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export function initAccessClientModels(sequelize: Sequelize): void {
  ApiClient.init(
    {
      id,
      name: { type: DataTypes.STRING(255), allowNull: false },
      clientId: { type: DataTypes.STRING(100), allowNull: false, unique: true },
      secretHash: { type: DataTypes.STRING(255), allowNull: false },
      allowedIps: { type: DataTypes.JSON, allowNull: true },
      scopes: { type: DataTypes.JSON, allowNull: true },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      lastUsedAt: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'apiClients',
      modelName: 'ApiClient',
      defaultScope: { attributes: { exclude: ['secretHash'] } },
      scopes: { withSecret: { attributes: { include: ['secretHash'] } } },
    },
  );
  IdempotencyKey.init(
    {
      id,
      scope: { type: DataTypes.STRING(100), allowNull: false },
      idempotencyKey: { type: DataTypes.STRING(255), allowNull: false },
      requestHash: { type: DataTypes.CHAR(64), allowNull: false },
      status: { type: DataTypes.ENUM(...IDEMPOTENCY_STATUSES), allowNull: false, defaultValue: 'in_progress' },
      responseStatus: { type: DataTypes.INTEGER, allowNull: true },
      responseBody: { type: DataTypes.JSON, allowNull: true },
      ownerToken: { type: DataTypes.CHAR(36), allowNull: true },
      leaseExpiresAt: { type: DataTypes.DATE, allowNull: true },
      expiresAt: { type: DataTypes.DATE, allowNull: false },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'idempotencyKeys',
      modelName: 'IdempotencyKey',
      indexes: [
        { unique: true, fields: ['scope', 'idempotencyKey'], name: 'idempotencyKeys_scope_key' },
        { fields: ['expiresAt'], name: 'idempotencyKeys_expires' },
      ],
    },
  );
}

export function associateAccessClientModels(): void {
  // No associations: clients and keys stand alone.
}
