import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Op, type Sequelize, type Transaction } from 'sequelize';
import type { AppConfig } from '../../platform/config';
import { signAccessToken } from '../../platform/auth/jwt';
import { verifyPassword } from '../../platform/auth/password';
import { problems } from '../../platform/http/problem';
import { withTransaction } from '../../platform/db/transaction';
import { CompanyRegion } from '../organisation/models';
import { Employee, LoginAttempt, Permission, RefreshToken, Role } from './models';

export interface ClientInfo {
  ip: string;
  userAgent?: string;
}

export interface TokenPair {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: string;
}

export type LoginInput = { email: string; password: string } | { phone: string; password: string };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Staff authentication: login with throttling, rotating refresh tokens with reuse detection. */
export class AuthService {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly config: Pick<AppConfig, 'jwt' | 'refreshTokenTtlDays' | 'loginThrottle'>,
  ) {}

  async login(input: LoginInput, client: ClientInfo): Promise<TokenPair> {
    const identifier = 'email' in input ? input.email.trim().toLowerCase() : input.phone.replace(/[\s-]/g, '');
    await this.assertNotThrottled(identifier, client.ip);

    const where = 'email' in input ? { email: identifier } : { phone: identifier };
    const employee = await Employee.scope('withPassword').findOne({ where });
    const passwordOk = await verifyPassword(employee?.passwordHash, input.password);

    const attempt = { identifier, ipAddress: client.ip, userAgent: client.userAgent?.slice(0, 255) ?? null };
    if (!employee || !passwordOk || !employee.isActive) {
      const reason = !employee ? 'unknown_identifier' : !passwordOk ? 'bad_password' : 'inactive';
      await LoginAttempt.create({ ...attempt, employeeId: employee?.id ?? null, succeeded: false, reason });
      throw problems.unauthenticated('The e-mail or phone and password do not match an active employee.');
    }
    await LoginAttempt.create({ ...attempt, employeeId: employee.id, succeeded: true, reason: null });
    // A static update: an instance save would raise employees.version (the record's ETag) on every login.
    await Employee.update({ lastLoginAt: new Date() }, { where: { id: employee.id } });
    return (await this.issue(employee, randomUUID(), client)).pair;
  }

  /** Failed attempts in the window (since the last success, per account) beyond the limit are 429. */
  private async assertNotThrottled(identifier: string, ip: string): Promise<void> {
    const { windowMinutes, maxFailuresPerAccount, maxFailuresPerIp } = this.config.loginThrottle;
    const since = new Date(Date.now() - windowMinutes * 60_000);
    const lastSuccess = await LoginAttempt.max<Date | null, LoginAttempt>('createdAt', {
      where: { identifier, succeeded: true, createdAt: { [Op.gte]: since } },
    });
    const accountSince = lastSuccess && new Date(lastSuccess) > since ? new Date(lastSuccess) : since;
    const [accountFailures, ipFailures] = await Promise.all([
      LoginAttempt.count({ where: { identifier, succeeded: false, createdAt: { [Op.gt]: accountSince } } }),
      LoginAttempt.count({ where: { ipAddress: ip, succeeded: false, createdAt: { [Op.gte]: since } } }),
    ]);
    if (accountFailures >= maxFailuresPerAccount || ipFailures >= maxFailuresPerIp) {
      throw problems.tooManyRequests(windowMinutes * 60, 'Too many failed logins; wait before trying again.');
    }
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    const outcome = await withTransaction<{ pair?: TokenPair; error?: string }>(this.sequelize, async (transaction) => {
      const row = await RefreshToken.findOne({
        where: { tokenHash: sha256(refreshToken) },
        lock: transaction.LOCK.UPDATE,
        transaction,
      });
      if (!row) return { error: 'unknown' };
      if (row.revokedAt) {
        if (row.revokedReason === 'rotated') {
          // A rotated token came back: someone holds a copy. End every session of this family.
          await RefreshToken.update(
            { revokedAt: new Date(), revokedReason: 'reuse_detected' },
            { where: { familyId: row.familyId, revokedAt: null }, transaction },
          );
          return { error: 'reused' };
        }
        return { error: 'revoked' };
      }
      if (row.expiresAt.getTime() <= Date.now()) return { error: 'expired' };
      const employee = await Employee.findByPk(row.employeeId, { transaction });
      if (!employee || !employee.isActive) return { error: 'inactive' };
      // Sessions ended since this token was issued (deactivation, password change) stay ended.
      if (row.sessionEpoch !== employee.sessionEpoch) return { error: 'revoked' };
      const { pair, tokenId } = await this.issue(employee, row.familyId, client, transaction);
      await row.update({ revokedAt: new Date(), revokedReason: 'rotated', replacedById: tokenId }, { transaction });
      return { pair };
    });
    if (outcome.pair) return outcome.pair;
    const detail =
      outcome.error === 'reused' ? 'This refresh token was already used; all sessions from this login were ended.' : 'The refresh token is not valid.';
    throw problems.unauthenticated(detail);
  }

  /** Ends the session the refresh token belongs to (its whole family). */
  async logout(employeeId: number, refreshToken: string): Promise<void> {
    const row = await RefreshToken.findOne({ where: { tokenHash: sha256(refreshToken), employeeId } });
    if (!row) throw problems.notFound('refresh token');
    await RefreshToken.update({ revokedAt: new Date(), revokedReason: 'logout' }, { where: { familyId: row.familyId, revokedAt: null } });
  }

  async me(employeeId: number) {
    const employee = await Employee.findByPk(employeeId, {
      include: [
        { model: Role, as: 'role', include: [{ model: Permission, as: 'grants', attributes: ['code'], through: { attributes: [] } }] },
        { model: CompanyRegion, as: 'regions', attributes: ['id', 'code', 'name'], through: { attributes: [] } },
      ],
    });
    if (!employee) throw problems.notFound('employee');
    return {
      id: employee.id,
      employeeCode: employee.employeeCode,
      firstName: employee.firstName,
      lastName: employee.lastName,
      email: employee.email,
      phone: employee.phone,
      role: { id: employee.role!.id, name: employee.role!.name },
      permissions: (employee.role!.grants ?? []).map((p) => p.code).sort(),
      regions: (employee.regions ?? []).map((r) => ({ id: r.id, code: r.code, name: r.name })),
    };
  }

  private async issue(
    employee: Pick<Employee, 'id' | 'roleId' | 'sessionEpoch'>,
    familyId: string,
    client: ClientInfo,
    transaction?: Transaction,
  ): Promise<{ pair: TokenPair; tokenId: number }> {
    const refreshToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.refreshTokenTtlDays * 86_400_000);
    const employeeId = employee.id;
    const row = await RefreshToken.create(
      {
        employeeId,
        tokenHash: sha256(refreshToken),
        familyId,
        sessionEpoch: employee.sessionEpoch,
        expiresAt,
        createdByIp: client.ip,
        userAgent: client.userAgent?.slice(0, 255) ?? null,
      },
      { transaction },
    );
    const pair: TokenPair = {
      accessToken: signAccessToken(this.config.jwt, employeeId, employee.roleId, employee.sessionEpoch),
      tokenType: 'Bearer',
      expiresIn: this.config.jwt.accessTtlSeconds,
      refreshToken,
      refreshExpiresAt: expiresAt.toISOString(),
    };
    return { pair, tokenId: row.id };
  }
}
