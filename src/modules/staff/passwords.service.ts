import { createHash, randomBytes } from 'node:crypto';
import { Op, type Sequelize, type Transaction } from 'sequelize';
import type { ScopedActor } from '../../platform/auth/actor';
import { hashPassword, verifyPassword } from '../../platform/auth/password';
import { withTransaction } from '../../platform/db/transaction';
import { problems } from '../../platform/http/problem';
import { Employee, RefreshToken } from '../access/models';
import { audit } from '../audit/audit';
import { assertPasswordAcceptable } from './password-policy';
import { PasswordResetToken } from './models';
import { principalChanged } from '../access/principal-loader';

/** How long an admin-issued reset token works (the API's; the CLI may give a new employee longer). */
export const RESET_TTL_MINUTES = 60;
/** The longest an issuer may ask for. */
export const RESET_MAX_TTL_MINUTES = 7 * 24 * 60;

export interface IssuedReset {
  /** Shown once: only its SHA-256 is stored. */
  token: string;
  expiresAt: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Passwords: one-time reset tokens issued by an administrator (or the CLI), consumed with a new
 * password; an employee changing their own. Every successful change ends all the employee's
 * sessions (refresh tokens revoked, sessionEpoch raised so access tokens are refused). Passwords
 * and tokens are never logged, audited or echoed.
 */
export class PasswordService {
  constructor(private readonly sequelize: Sequelize) {}

  /** A new reset token for the employee, in the caller's transaction; earlier unused ones stop working. */
  async issueReset(t: Transaction, actor: Pick<ScopedActor, 'employeeId'> | null, employeeId: number, ttlMinutes = RESET_TTL_MINUTES): Promise<IssuedReset> {
    await this.revokeResets(t, employeeId);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + Math.min(ttlMinutes, RESET_MAX_TTL_MINUTES) * 60_000);
    const row = await PasswordResetToken.create(
      { employeeId, tokenHash: sha256(token), expiresAt, createdById: actor?.employeeId ?? null },
      { transaction: t },
    );
    await audit.record(t, {
      actor,
      action: 'employee.password_reset_issue',
      entity: 'employees',
      entityId: employeeId,
      after: { passwordResetTokenId: row.id, expiresAt: expiresAt.toISOString() },
    });
    return { token, expiresAt: expiresAt.toISOString() };
  }

  /** Marks every unused reset token of the employee used (superseded, deactivated). */
  async revokeResets(t: Transaction, employeeId: number): Promise<void> {
    await PasswordResetToken.update({ usedAt: new Date() }, { where: { employeeId, usedAt: null }, transaction: t });
  }

  /**
   * Sets a new password with a reset token: unknown, used, expired tokens and deactivated
   * employees all answer the same 400 (nothing tells which). Single use: the row is locked and
   * marked used in the same transaction as the new hash.
   */
  async consumeReset(token: string, newPassword: string): Promise<void> {
    const invalid = () =>
      problems.validation([{ field: 'token', message: 'is not a valid password reset token (unknown, already used or expired)', in: 'body' }]);
    const employeeId = await withTransaction(this.sequelize, async (t) => {
      const row = await PasswordResetToken.findOne({ where: { tokenHash: sha256(token) }, transaction: t, lock: t.LOCK.UPDATE });
      if (!row || row.usedAt || row.expiresAt.getTime() <= Date.now()) return null;
      const employee = await Employee.findByPk(row.employeeId, { transaction: t, lock: t.LOCK.UPDATE });
      if (!employee || !employee.isActive) return null;
      assertPasswordAcceptable('newPassword', newPassword, employee);
      await row.update({ usedAt: new Date() }, { transaction: t });
      await this.setPassword(t, employee, newPassword, 'reset');
      await audit.record(t, {
        actor: null,
        action: 'employee.password_reset',
        entity: 'employees',
        entityId: employee.id,
        after: { passwordResetTokenId: row.id },
      });
      return employee.id;
    });
    if (employeeId === null) throw invalid();
    await principalChanged(employeeId);
  }

  /** The caller changes their own password (current one required); all their sessions end, this one included. */
  async changeOwn(employeeId: number, currentPassword: string, newPassword: string): Promise<void> {
    await withTransaction(this.sequelize, async (t) => {
      const employee = await Employee.scope('withPassword').findByPk(employeeId, { transaction: t, lock: t.LOCK.UPDATE });
      if (!employee || !employee.isActive) throw problems.unauthenticated();
      if (!(await verifyPassword(employee.passwordHash, currentPassword))) {
        throw problems.validation([{ field: 'currentPassword', message: 'is not your current password', in: 'body' }]);
      }
      if (currentPassword === newPassword)
        throw problems.unprocessable('newPassword must differ from the current one.', 'password-policy', { field: 'newPassword' });
      assertPasswordAcceptable('newPassword', newPassword, employee);
      await this.setPassword(t, employee, newPassword, 'password_change');
      await audit.record(t, { actor: { employeeId }, action: 'employee.password_change', entity: 'employees', entityId: employeeId });
    });
    await principalChanged(employeeId);
  }

  /** New hash, sessionEpoch raised (access tokens refused), every live refresh token revoked. Not a version change: no one's ETag moves. */
  private async setPassword(t: Transaction, employee: Employee, password: string, reason: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    await Employee.update({ passwordHash, sessionEpoch: employee.sessionEpoch + 1 }, { where: { id: employee.id }, transaction: t });
    await RefreshToken.update(
      { revokedAt: new Date(), revokedReason: reason },
      { where: { employeeId: employee.id, revokedAt: { [Op.is]: null } }, transaction: t },
    );
  }
}
