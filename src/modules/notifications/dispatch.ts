import { Op, QueryTypes, type Sequelize } from 'sequelize';
import type { SmsConfig } from '../../platform/config';
import { dialect } from '../../platform/db/dialect';
import { withTransaction } from '../../platform/db/transaction';
import type { Logger } from '../../platform/logging/logger';
import { Notification } from './models';
import { AfricasTalkingSms } from './sms/africastalking';
import { LogSmsProvider } from './sms/log';
import { maskPhone, type SmsProvider, type SmsResult } from './sms/types';

export interface DispatchOptions {
  /** Rows claimed per round. */
  batchSize?: number;
  /** Sends in flight at once. */
  concurrency?: number;
  /** After this many attempts a message is failed for good. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, capped at maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A row left 'sending' longer than this (a worker died mid-send) is pending again. */
  staleAfterMs?: number;
}

export interface DispatchFilter {
  /** Only these notifications (operators re-driving one; tests). */
  ids?: number[];
}

export interface DispatchReport {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

const DEFAULTS: Required<DispatchOptions> = {
  batchSize: 50,
  concurrency: 4,
  maxAttempts: 5,
  backoffMs: 60_000,
  maxBackoffMs: 60 * 60_000,
  staleAfterMs: 10 * 60_000,
};

export function smsProviderFor(config: SmsConfig, logger: Logger): SmsProvider {
  if (config.provider === 'africastalking') {
    return new AfricasTalkingSms({ baseUrl: config.baseUrl, username: config.username, apiKey: config.apiKey, senderId: config.senderId });
  }
  return new LogSmsProvider(logger);
}

/**
 * Sends pending SMS notifications. Several workers may run it at once: each round claims rows
 * (pending -> sending) so that no two workers send the same message. On MySQL/MariaDB the claim
 * is `SELECT ... FOR UPDATE SKIP LOCKED` (raw SQL: Sequelize drops skipLocked on MySQL) and an
 * UPDATE by primary key of exactly the rows it locked, in one short transaction (at READ COMMITTED,
 * so no gap locks stand in the way of payments inserting new notifications). Should the database
 * still pick the claim or an outcome as a deadlock victim, withTransaction runs it again quietly
 * rather than failing the round; elsewhere (SQLite, one writer) each row is claimed with a
 * conditional UPDATE. Provider calls happen outside any transaction. Failures are retried with
 * back-off (attempts, lastError, sendAfter) and fail for good after maxAttempts or a permanent
 * refusal. Neither the message text nor the full number is ever logged.
 */
export class NotificationDispatcher {
  private readonly o: Required<DispatchOptions>;

  constructor(
    private readonly sequelize: Sequelize,
    private readonly provider: SmsProvider,
    private readonly logger: Logger,
    options: DispatchOptions = {},
  ) {
    this.o = { ...DEFAULTS, ...options };
  }

  /** Rounds until nothing is due (or `maxRounds`); returns the totals. */
  async drain(filter: DispatchFilter = {}, maxRounds = 20): Promise<DispatchReport> {
    const total: DispatchReport = { claimed: 0, sent: 0, retried: 0, failed: 0 };
    await this.releaseStale();
    for (let i = 0; i < maxRounds; i++) {
      const r = await this.runOnce(filter);
      total.claimed += r.claimed;
      total.sent += r.sent;
      total.retried += r.retried;
      total.failed += r.failed;
      if (r.claimed < this.o.batchSize) break;
    }
    return total;
  }

  /** One round: claim a batch, send it, record each outcome. */
  async runOnce(filter: DispatchFilter = {}): Promise<DispatchReport> {
    const rows = await this.claim(filter);
    const report: DispatchReport = { claimed: rows.length, sent: 0, retried: 0, failed: 0 };
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++]!;
        const outcome = await this.sendOne(row);
        report[outcome]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, rows.length) }, worker));
    return report;
  }

  /** Rows stuck in 'sending' (a worker died between claim and outcome) go back to pending. */
  async releaseStale(): Promise<number> {
    const before = new Date(Date.now() - this.o.staleAfterMs);
    return withTransaction(this.sequelize, async (transaction) => {
      const [affected] = await Notification.update(
        { status: 'pending' },
        { where: { status: 'sending', channel: 'sms', updatedAt: { [Op.lt]: before } }, transaction },
      );
      return affected;
    });
  }

  private async claim(filter: DispatchFilter): Promise<Notification[]> {
    if (filter.ids && filter.ids.length === 0) return [];
    // DATETIME columns hold UTC (Sequelize's timezone); a Date in raw replacements would be written
    // in the process's local time, so the instant goes in as a UTC string.
    const now = new Date().toISOString().slice(0, 19).replace('T', ' ');
    const idFilter = filter.ids ? ' AND id IN (?)' : '';
    let ids: number[];
    if (dialect(this.sequelize).mysql) {
      ids = await withTransaction(this.sequelize, async (t) => {
        const found = await this.sequelize.query<{ id: number }>(
          `SELECT id FROM notifications WHERE status = 'pending' AND channel = 'sms' AND sendAfter <= ?${idFilter}
           ORDER BY sendAfter, id LIMIT ? FOR UPDATE SKIP LOCKED`,
          { replacements: filter.ids ? [now, filter.ids.map(Number), this.o.batchSize] : [now, this.o.batchSize], type: QueryTypes.SELECT, transaction: t },
        );
        const claimed = found.map((r) => Number(r.id));
        if (claimed.length) {
          // By primary key only: a condition on status could make MariaDB walk the (status, sendAfter)
          // index and wait on rows that payments are inserting, the lock order that deadlocked.
          await this.sequelize.query(`UPDATE notifications SET status = 'sending', updatedAt = ? WHERE id IN (?)`, {
            replacements: [now, claimed],
            transaction: t,
          });
        }
        return claimed;
      });
    } else {
      // One writer (SQLite, demo): the ORM formats the instant as this dialect stores it.
      const candidates = await Notification.findAll({
        where: { status: 'pending', channel: 'sms', sendAfter: { [Op.lte]: new Date() }, ...(filter.ids ? { id: { [Op.in]: filter.ids } } : {}) },
        attributes: ['id'],
        order: [
          ['sendAfter', 'ASC'],
          ['id', 'ASC'],
        ],
        limit: this.o.batchSize,
      });
      ids = [];
      for (const c of candidates) {
        const [affected] = await Notification.update({ status: 'sending' }, { where: { id: c.id, status: 'pending' } });
        if (affected === 1) ids.push(Number(c.id));
      }
    }
    if (!ids.length) return [];
    return Notification.findAll({ where: { id: { [Op.in]: ids } }, order: [['id', 'ASC']] });
  }

  /** An outcome by primary key; retried on deadlock like any write. */
  private async record(id: number, values: Partial<Notification>): Promise<void> {
    await withTransaction(this.sequelize, (transaction) => Notification.update(values, { where: { id, status: 'sending' }, transaction }));
  }

  private async sendOne(row: Notification): Promise<'sent' | 'retried' | 'failed'> {
    let result: SmsResult;
    try {
      result = await this.provider.send({ to: row.recipient, message: row.body });
    } catch (err) {
      result = { ok: false, permanent: false, error: `provider error: ${(err as Error).name}` };
    }
    const attempts = row.attempts + 1;
    const log = { notificationId: row.id, to: maskPhone(row.recipient), templateCode: row.templateCode, attempts, provider: this.provider.name };
    if (result.ok) {
      await this.record(row.id, {
        status: 'sent',
        provider: this.provider.name,
        providerMessageId: result.messageId,
        attempts,
        lastError: null,
        sentAt: new Date(),
      });
      this.logger.debug(log, 'sms sent');
      return 'sent';
    }
    if (result.permanent || attempts >= this.o.maxAttempts) {
      await this.record(row.id, { status: 'failed', provider: this.provider.name, attempts, lastError: result.error });
      this.logger.warn({ ...log, error: result.error }, 'sms failed for good');
      return 'failed';
    }
    const backoff = Math.min(this.o.backoffMs * 2 ** (attempts - 1), this.o.maxBackoffMs);
    const delay = Math.max(backoff, result.retryAfterMs ?? 0);
    await this.record(row.id, { status: 'pending', provider: this.provider.name, attempts, lastError: result.error, sendAfter: new Date(Date.now() + delay) });
    this.logger.warn({ ...log, error: result.error, retryInMs: delay }, 'sms not sent; will retry');
    return 'retried';
  }
}
