import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { idColumn as id, moneyColumn, timestampColumns as timestamps } from '../../platform/db/attributes';
import { Employee } from '../access/models';
import { Account } from '../accounts/models';
import { WarrantyPolicy } from '../catalogue/models';
import { Customer } from '../customers/models';
import { Device } from '../devices/models';

/** open -> in_progress -> resolved -> closed (reopen: back to open). 'pending' is kept for rows written before in_progress existed. */
export const TICKET_STATUSES = ['open', 'pending', 'resolved', 'closed', 'in_progress'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

/** Who raised a ticket. */
export const TICKET_CHANNELS = ['agent', 'back_office', 'call_centre'] as const;
export type TicketChannel = (typeof TICKET_CHANNELS)[number];

export const TICKET_CATEGORIES = ['device_fault', 'payment_not_credited', 'token_not_working', 'billing_question', 'complaint'] as const;
export type TicketCategory = (typeof TICKET_CATEGORIES)[number];

/** warranty: free, from an approved warranty claim; paid: POST /accounts/{id}/device-swap, its fee an account charge. */
export const DEVICE_SWAP_KINDS = ['warranty', 'paid'] as const;
export type DeviceSwapKind = (typeof DEVICE_SWAP_KINDS)[number];

/** submitted -> approved -> repaired / replaced; or rejected. */
export const WARRANTY_CLAIM_STATUSES = ['submitted', 'approved', 'rejected', 'repaired', 'replaced'] as const;
export type WarrantyClaimStatus = (typeof WARRANTY_CLAIM_STATUSES)[number];

export class SupportTicket extends Model<InferAttributes<SupportTicket>, InferCreationAttributes<SupportTicket>> {
  declare id: CreationOptional<number>;
  declare ticketNumber: string;
  declare customerId: number;
  declare accountId: CreationOptional<number | null>;
  declare deviceId: CreationOptional<number | null>;
  /** Free code, e.g. device_fault, token, payment, account, complaint, other. */
  declare category: string;
  declare subject: string;
  declare description: CreationOptional<string | null>;
  declare status: CreationOptional<TicketStatus>;
  declare priority: CreationOptional<TicketPriority>;
  declare assignedTo: CreationOptional<number | null>;
  declare openedBy: CreationOptional<number | null>;
  declare resolvedAt: CreationOptional<Date | null>;
  declare closedAt: CreationOptional<Date | null>;
  declare channel: CreationOptional<TicketChannel>;
  /** When the category's SLA runs out (from the opening). */
  declare slaDueAt: CreationOptional<Date | null>;
  declare assignedAt: CreationOptional<Date | null>;
  declare resolution: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare customer?: NonAttribute<Customer>;
  declare account?: NonAttribute<Account | null>;
  declare device?: NonAttribute<Device | null>;
  declare assignee?: NonAttribute<Employee | null>;
  declare opener?: NonAttribute<Employee | null>;
  declare comments?: NonAttribute<TicketComment[]>;
  declare warrantyClaims?: NonAttribute<WarrantyClaim[]>;
}

export class TicketComment extends Model<InferAttributes<TicketComment>, InferCreationAttributes<TicketComment>> {
  declare id: CreationOptional<number>;
  declare supportTicketId: number;
  declare authorId: CreationOptional<number | null>;
  declare body: string;
  /** Internal notes are never shown to the customer. */
  declare isInternal: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare ticket?: NonAttribute<SupportTicket>;
  declare author?: NonAttribute<Employee | null>;
}

export class WarrantyClaim extends Model<InferAttributes<WarrantyClaim>, InferCreationAttributes<WarrantyClaim>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare deviceId: number;
  declare warrantyPolicyId: CreationOptional<number | null>;
  declare supportTicketId: CreationOptional<number | null>;
  declare issue: string;
  declare status: CreationOptional<WarrantyClaimStatus>;
  declare submittedBy: CreationOptional<number | null>;
  declare decidedBy: CreationOptional<number | null>;
  declare decidedAt: CreationOptional<Date | null>;
  declare resolution: CreationOptional<string | null>;
  /** The unit handed over when the claim ends in 'replaced'. */
  declare replacementDeviceId: CreationOptional<number | null>;
  /** The swap an approval made. */
  declare deviceSwapId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
  declare device?: NonAttribute<Device>;
  declare warrantyPolicy?: NonAttribute<WarrantyPolicy | null>;
  declare ticket?: NonAttribute<SupportTicket | null>;
  declare submitter?: NonAttribute<Employee | null>;
  declare decider?: NonAttribute<Employee | null>;
  declare replacementDevice?: NonAttribute<Device | null>;
  declare deviceSwap?: NonAttribute<DeviceSwap | null>;
}

export class DeviceSwap extends Model<InferAttributes<DeviceSwap>, InferCreationAttributes<DeviceSwap>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare kind: DeviceSwapKind;
  declare oldDeviceId: number;
  declare newDeviceId: number;
  /** The stock location the new unit left; the old unit went back into it (returnWarehouseId). */
  declare fromWarehouseId: number;
  declare returnWarehouseId: number;
  declare reason: string;
  /** The remaining credit days the new unit's token carried. */
  declare creditDays: CreationOptional<number>;
  declare deviceTokenId: CreationOptional<number | null>;
  declare fee: CreationOptional<string | null>;
  declare accountChargeId: CreationOptional<number | null>;
  declare createdBy: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export function initSupportModels(sequelize: Sequelize): void {
  SupportTicket.init(
    {
      id,
      ticketNumber: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      accountId: { type: DataTypes.INTEGER, allowNull: true },
      deviceId: { type: DataTypes.INTEGER, allowNull: true },
      category: { type: DataTypes.STRING(50), allowNull: false },
      subject: { type: DataTypes.STRING(255), allowNull: false },
      description: { type: DataTypes.TEXT, allowNull: true },
      status: { type: DataTypes.ENUM(...TICKET_STATUSES), allowNull: false, defaultValue: 'open' },
      priority: { type: DataTypes.ENUM(...TICKET_PRIORITIES), allowNull: false, defaultValue: 'normal' },
      assignedTo: { type: DataTypes.INTEGER, allowNull: true },
      openedBy: { type: DataTypes.INTEGER, allowNull: true },
      resolvedAt: { type: DataTypes.DATE, allowNull: true },
      closedAt: { type: DataTypes.DATE, allowNull: true },
      channel: { type: DataTypes.ENUM(...TICKET_CHANNELS), allowNull: false, defaultValue: 'back_office' },
      slaDueAt: { type: DataTypes.DATE, allowNull: true },
      assignedAt: { type: DataTypes.DATE, allowNull: true },
      resolution: { type: DataTypes.TEXT, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'supportTickets',
      modelName: 'SupportTicket',
      indexes: [
        { name: 'supportTickets_status_priority', fields: ['status', 'priority'] },
        { name: 'supportTickets_assignee_status', fields: ['assignedTo', 'status'] },
        { name: 'supportTickets_status_sla', fields: ['status', 'slaDueAt'] },
      ],
    },
  );
  TicketComment.init(
    {
      id,
      supportTicketId: { type: DataTypes.INTEGER, allowNull: false },
      authorId: { type: DataTypes.INTEGER, allowNull: true },
      body: { type: DataTypes.TEXT, allowNull: false },
      isInternal: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      ...timestamps,
    },
    { sequelize, tableName: 'ticketComments', modelName: 'TicketComment' },
  );
  WarrantyClaim.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      deviceId: { type: DataTypes.INTEGER, allowNull: false },
      warrantyPolicyId: { type: DataTypes.INTEGER, allowNull: true },
      supportTicketId: { type: DataTypes.INTEGER, allowNull: true },
      issue: { type: DataTypes.TEXT, allowNull: false },
      status: { type: DataTypes.ENUM(...WARRANTY_CLAIM_STATUSES), allowNull: false, defaultValue: 'submitted' },
      submittedBy: { type: DataTypes.INTEGER, allowNull: true },
      decidedBy: { type: DataTypes.INTEGER, allowNull: true },
      decidedAt: { type: DataTypes.DATE, allowNull: true },
      resolution: { type: DataTypes.TEXT, allowNull: true },
      replacementDeviceId: { type: DataTypes.INTEGER, allowNull: true },
      deviceSwapId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'warrantyClaims',
      modelName: 'WarrantyClaim',
      indexes: [{ name: 'warrantyClaims_status', fields: ['status'] }],
    },
  );
  DeviceSwap.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      kind: { type: DataTypes.ENUM(...DEVICE_SWAP_KINDS), allowNull: false },
      oldDeviceId: { type: DataTypes.INTEGER, allowNull: false },
      newDeviceId: { type: DataTypes.INTEGER, allowNull: false },
      fromWarehouseId: { type: DataTypes.INTEGER, allowNull: false },
      returnWarehouseId: { type: DataTypes.INTEGER, allowNull: false },
      reason: { type: DataTypes.STRING(255), allowNull: false },
      creditDays: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      deviceTokenId: { type: DataTypes.INTEGER, allowNull: true },
      fee: moneyColumn('fee', { allowNull: true }),
      accountChargeId: { type: DataTypes.INTEGER, allowNull: true },
      createdBy: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    { sequelize, tableName: 'deviceSwaps', modelName: 'DeviceSwap', indexes: [{ name: 'deviceSwaps_account', fields: ['accountId'] }] },
  );
}

export function associateSupportModels(): void {
  SupportTicket.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  Customer.hasMany(SupportTicket, { foreignKey: 'customerId', as: 'supportTickets' });
  SupportTicket.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Account.hasMany(SupportTicket, { foreignKey: 'accountId', as: 'supportTickets' });
  SupportTicket.belongsTo(Device, { foreignKey: 'deviceId', as: 'device' });
  SupportTicket.belongsTo(Employee, { foreignKey: 'assignedTo', as: 'assignee' });
  SupportTicket.belongsTo(Employee, { foreignKey: 'openedBy', as: 'opener' });
  SupportTicket.hasMany(TicketComment, { foreignKey: 'supportTicketId', as: 'comments' });
  SupportTicket.hasMany(WarrantyClaim, { foreignKey: 'supportTicketId', as: 'warrantyClaims' });

  TicketComment.belongsTo(SupportTicket, { foreignKey: 'supportTicketId', as: 'ticket' });
  TicketComment.belongsTo(Employee, { foreignKey: 'authorId', as: 'author' });

  WarrantyClaim.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Account.hasMany(WarrantyClaim, { foreignKey: 'accountId', as: 'warrantyClaims' });
  WarrantyClaim.belongsTo(Device, { foreignKey: 'deviceId', as: 'device' });
  Device.hasMany(WarrantyClaim, { foreignKey: 'deviceId', as: 'warrantyClaims' });
  WarrantyClaim.belongsTo(WarrantyPolicy, { foreignKey: 'warrantyPolicyId', as: 'warrantyPolicy' });
  WarrantyClaim.belongsTo(SupportTicket, { foreignKey: 'supportTicketId', as: 'ticket' });
  WarrantyClaim.belongsTo(Employee, { foreignKey: 'submittedBy', as: 'submitter' });
  WarrantyClaim.belongsTo(Employee, { foreignKey: 'decidedBy', as: 'decider' });
  WarrantyClaim.belongsTo(Device, { foreignKey: 'replacementDeviceId', as: 'replacementDevice' });
  WarrantyClaim.belongsTo(DeviceSwap, { foreignKey: 'deviceSwapId', as: 'deviceSwap' });
  DeviceSwap.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
}
