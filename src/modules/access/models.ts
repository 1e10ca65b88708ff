import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';
import { CompanyRegion } from '../organisation/models';
import { SystemSetting } from '../organisation/reference.models';
import { associateAccessClientModels, initAccessClientModels } from './clients.models';

export class Department extends Model<InferAttributes<Department>, InferCreationAttributes<Department>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare code: string;
  declare description: CreationOptional<string | null>;
  declare managerId: CreationOptional<number | null>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class Role extends Model<InferAttributes<Role>, InferCreationAttributes<Role>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare description: CreationOptional<string | null>;
  /** Kept from the original schema for reporting; rolePermissions is the source of truth. */
  declare permissions: CreationOptional<string[] | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare grants?: NonAttribute<Permission[]>;
}

export class Permission extends Model<InferAttributes<Permission>, InferCreationAttributes<Permission>> {
  declare id: CreationOptional<number>;
  /** e.g. customers:read */
  declare code: string;
  declare description: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class RolePermission extends Model<InferAttributes<RolePermission>, InferCreationAttributes<RolePermission>> {
  declare id: CreationOptional<number>;
  declare roleId: number;
  declare permissionId: number;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class Employee extends Model<InferAttributes<Employee>, InferCreationAttributes<Employee>> {
  declare id: CreationOptional<number>;
  declare employeeCode: string;
  declare firstName: string;
  declare lastName: string;
  declare email: CreationOptional<string | null>;
  declare phone: CreationOptional<string | null>;
  declare passwordHash: CreationOptional<string | null>;
  declare departmentId: CreationOptional<number | null>;
  declare roleId: number;
  declare supervisorId: CreationOptional<number | null>;
  declare isActive: CreationOptional<boolean>;
  declare lastLoginAt: CreationOptional<Date | null>;
  /** Most cash the employee may carry before collections and sales are refused; null = system default. */
  declare cashLimit: CreationOptional<string | null>;
  /** Optimistic concurrency (model option version: true): the ETag of GET/PATCH /employees/:id. */
  declare version: CreationOptional<number>;
  /** Carried in access tokens (claim `se`); raised on deactivation and password change/reset, refusing older tokens. */
  declare sessionEpoch: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare deletedAt: CreationOptional<Date | null>;
  declare role?: NonAttribute<Role>;
  declare regions?: NonAttribute<CompanyRegion[]>;
}

export class EmployeeRegion extends Model<InferAttributes<EmployeeRegion>, InferCreationAttributes<EmployeeRegion>> {
  declare id: CreationOptional<number>;
  declare employeeId: number;
  declare regionId: number;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class RefreshToken extends Model<InferAttributes<RefreshToken>, InferCreationAttributes<RefreshToken>> {
  declare id: CreationOptional<number>;
  declare employeeId: number;
  /** SHA-256 of the opaque token; the token itself is never stored. */
  declare tokenHash: string;
  /** All tokens rotated from one login share a family; reuse of a rotated one revokes the family. */
  declare familyId: string;
  /** The employee's sessionEpoch at issue: a refresh with a token of an older epoch is refused. */
  declare sessionEpoch: CreationOptional<number>;
  declare expiresAt: Date;
  declare revokedAt: CreationOptional<Date | null>;
  declare revokedReason: CreationOptional<string | null>;
  declare replacedById: CreationOptional<number | null>;
  declare createdByIp: CreationOptional<string | null>;
  declare userAgent: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class LoginAttempt extends Model<InferAttributes<LoginAttempt>, InferCreationAttributes<LoginAttempt>> {
  declare id: CreationOptional<number>;
  /** Normalised e-mail or phone as typed. */
  declare identifier: string;
  declare employeeId: CreationOptional<number | null>;
  declare ipAddress: string;
  declare succeeded: boolean;
  declare reason: CreationOptional<string | null>;
  declare userAgent: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export function initAccessModels(sequelize: Sequelize): void {
  Department.init(
    {
      id,
      name: { type: DataTypes.STRING(255), allowNull: false },
      code: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      description: { type: DataTypes.TEXT, allowNull: true },
      managerId: { type: DataTypes.INTEGER, allowNull: true },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
    },
    { sequelize, tableName: 'departments', version: true, modelName: 'Department' },
  );
  Role.init(
    {
      id,
      name: { type: DataTypes.STRING(100), allowNull: false, unique: true },
      description: { type: DataTypes.TEXT, allowNull: true },
      permissions: { type: DataTypes.JSON, allowNull: true },
      ...timestamps,
    },
    { sequelize, tableName: 'roles', modelName: 'Role' },
  );
  Permission.init(
    {
      id,
      code: { type: DataTypes.STRING(100), allowNull: false, unique: true },
      description: { type: DataTypes.STRING(255), allowNull: true },
      ...timestamps,
    },
    { sequelize, tableName: 'permissions', modelName: 'Permission' },
  );
  RolePermission.init(
    {
      id,
      roleId: { type: DataTypes.INTEGER, allowNull: false },
      permissionId: { type: DataTypes.INTEGER, allowNull: false },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'rolePermissions',
      modelName: 'RolePermission',
      indexes: [{ unique: true, fields: ['roleId', 'permissionId'], name: 'rolePermissions_role_permission' }],
    },
  );
  Employee.init(
    {
      id,
      employeeCode: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      firstName: { type: DataTypes.STRING(255), allowNull: false },
      lastName: { type: DataTypes.STRING(255), allowNull: false },
      email: { type: DataTypes.STRING(255), allowNull: true, unique: true },
      phone: { type: DataTypes.STRING(50), allowNull: true, unique: true },
      passwordHash: { type: DataTypes.STRING(255), allowNull: true },
      departmentId: { type: DataTypes.INTEGER, allowNull: true },
      roleId: { type: DataTypes.INTEGER, allowNull: false },
      supervisorId: { type: DataTypes.INTEGER, allowNull: true },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      lastLoginAt: { type: DataTypes.DATE, allowNull: true },
      cashLimit: { type: DataTypes.DECIMAL(14, 2), allowNull: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      sessionEpoch: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
      deletedAt: { type: DataTypes.DATE, allowNull: true },
    },
    {
      sequelize,
      tableName: 'employees',
      modelName: 'Employee',
      paranoid: true,
      version: true,
      defaultScope: { attributes: { exclude: ['passwordHash'] } },
      scopes: { withPassword: { attributes: { include: ['passwordHash'] } } },
    },
  );
  EmployeeRegion.init(
    {
      id,
      employeeId: { type: DataTypes.INTEGER, allowNull: false },
      regionId: { type: DataTypes.INTEGER, allowNull: false },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'employeeRegions',
      modelName: 'EmployeeRegion',
      indexes: [{ unique: true, fields: ['employeeId', 'regionId'], name: 'employeeRegions_employee_region' }],
    },
  );
  RefreshToken.init(
    {
      id,
      employeeId: { type: DataTypes.INTEGER, allowNull: false },
      tokenHash: { type: DataTypes.CHAR(64), allowNull: false, unique: true },
      familyId: { type: DataTypes.CHAR(36), allowNull: false },
      sessionEpoch: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      expiresAt: { type: DataTypes.DATE, allowNull: false },
      revokedAt: { type: DataTypes.DATE, allowNull: true },
      revokedReason: { type: DataTypes.STRING(50), allowNull: true },
      replacedById: { type: DataTypes.INTEGER, allowNull: true },
      createdByIp: { type: DataTypes.STRING(45), allowNull: true },
      userAgent: { type: DataTypes.STRING(255), allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'refreshTokens',
      modelName: 'RefreshToken',
      indexes: [{ fields: ['familyId'], name: 'refreshTokens_family' }],
    },
  );
  LoginAttempt.init(
    {
      id,
      identifier: { type: DataTypes.STRING(255), allowNull: false },
      employeeId: { type: DataTypes.INTEGER, allowNull: true },
      ipAddress: { type: DataTypes.STRING(45), allowNull: false },
      succeeded: { type: DataTypes.BOOLEAN, allowNull: false },
      reason: { type: DataTypes.STRING(50), allowNull: true },
      userAgent: { type: DataTypes.STRING(255), allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'loginAttempts',
      modelName: 'LoginAttempt',
      indexes: [
        { fields: ['identifier', 'createdAt'], name: 'loginAttempts_identifier_created' },
        { fields: ['ipAddress', 'createdAt'], name: 'loginAttempts_ip_created' },
      ],
    },
  );
  initAccessClientModels(sequelize);
}

export function associateAccessModels(): void {
  Department.hasMany(Employee, { foreignKey: 'departmentId', as: 'employees' });
  Department.belongsTo(Employee, { foreignKey: 'managerId', as: 'manager', constraints: false });
  Employee.belongsTo(Department, { foreignKey: 'departmentId', as: 'department' });
  Employee.belongsTo(Role, { foreignKey: 'roleId', as: 'role' });
  Role.hasMany(Employee, { foreignKey: 'roleId', as: 'employees' });
  Employee.belongsTo(Employee, { foreignKey: 'supervisorId', as: 'supervisor' });
  Employee.hasMany(Employee, { foreignKey: 'supervisorId', as: 'reports' });
  Role.belongsToMany(Permission, { through: RolePermission, foreignKey: 'roleId', otherKey: 'permissionId', as: 'grants' });
  Permission.belongsToMany(Role, { through: RolePermission, foreignKey: 'permissionId', otherKey: 'roleId', as: 'roles' });
  Employee.belongsToMany(CompanyRegion, { through: EmployeeRegion, foreignKey: 'employeeId', otherKey: 'regionId', as: 'regions' });
  CompanyRegion.belongsToMany(Employee, { through: EmployeeRegion, foreignKey: 'regionId', otherKey: 'employeeId', as: 'employees' });
  CompanyRegion.belongsTo(Employee, { foreignKey: 'managerId', as: 'manager', constraints: false });
  Employee.hasMany(RefreshToken, { foreignKey: 'employeeId', as: 'refreshTokens' });
  RefreshToken.belongsTo(Employee, { foreignKey: 'employeeId', as: 'employee' });
  LoginAttempt.belongsTo(Employee, { foreignKey: 'employeeId', as: 'employee' });
  // Organisation sits below access: the links its tables hold to employees are declared here.
  SystemSetting.belongsTo(Employee, { foreignKey: 'updatedBy', as: 'updater' });
  associateAccessClientModels();
}
