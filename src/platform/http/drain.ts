import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sequelize, Transaction } from 'sequelize';
import type { Logger } from '../logging/logger';
import { dialect } from '../db/dialect';
import type { IdempotencyClaim } from './idempotency';
import { HttpProblem } from './problem';

/**
 * Exit codes of the API on SIGTERM/SIGINT (README, Production):
 * - 0: every request in flight finished within SHUTDOWN_TIMEOUT_MS;
 * - 3: some were still running at the deadline: their transactions were rolled back, their
 *   Idempotency-Keys released, and they were answered 503 (retry elsewhere);
 * - 1: the shutdown itself hung (a cleanup step): forced exit at SHUTDOWN_TIMEOUT_MS + 5 s.
 */
export const EXIT_DRAINED = 0;
export const EXIT_ABORTED_REQUESTS = 3;
export const EXIT_FORCED = 1;

/** What the aborting steps (kill, release, answer) may take before the process stops waiting on them. */
const ABORT_STEP_MS = 2000;
/** After the deadline, how long the stop may take before the process is forced out (EXIT_FORCED). */
export const FORCE_GRACE_MS = 5000;
/** Clients are told to come back after this (to another instance, or this one restarted). */
const RETRY_AFTER_SECONDS = 2;

interface InFlight {
  req: IncomingMessage & { idempotency?: IdempotencyClaim; originalUrl?: string };
  res: ServerResponse;
}

type TransactionFn = (...args: unknown[]) => Promise<unknown>;

/** Sequelize marks a transaction `finished` ('commit' or 'rollback') when it ends. */
const isFinished = (t: Transaction) => Boolean((t as unknown as { finished?: string }).finished);

function shuttingDown(): HttpProblem {
  return new HttpProblem(503, 'This instance is shutting down; the request was not carried out. Retry it.', {
    type: 'shutting-down',
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  });
}

function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  return Promise.race([work, sleep(ms, undefined, { ref: false })]);
}

/**
 * The API's graceful stop. It knows every request in flight and every transaction open in the
 * process, so that at the shutdown deadline it can end what is still running properly instead
 * of cutting sockets: refuse new transactions, roll back the open ones (on MySQL by KILLing their
 * connections, which rolls back at once, even a statement waiting for a row lock), release the
 * requests' Idempotency-Keys, and answer each request 503 with Retry-After.
 * Transactions are found by wrapping `sequelize.transaction` (the one way the code opens them),
 * not by a request context: every transaction still open at the deadline is ended.
 */
export class RequestDrain {
  private readonly inFlight = new Set<InFlight>();
  private readonly transactions = new Set<Transaction>();
  private stopping = false;
  private aborting = false;

  constructor(
    private readonly sequelize: Sequelize,
    private readonly logger: Logger,
  ) {
    this.trackTransactions();
  }

  /** The server's request listener: `app`, with every request counted until its response closes. */
  listener(app: RequestListener): RequestListener {
    return (req, res) => {
      const entry: InFlight = { req, res };
      this.inFlight.add(entry);
      res.once('close', () => this.inFlight.delete(entry));
      // A keep-alive connection must not carry another request into a stopping instance.
      if (this.stopping) res.setHeader('Connection', 'close');
      app(req, res);
    };
  }

  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  private trackTransactions(): void {
    const original = this.sequelize.transaction.bind(this.sequelize) as unknown as TransactionFn;
    const open = this.transactions;
    (this.sequelize as unknown as { transaction: TransactionFn }).transaction = (...args: unknown[]) => {
      if (this.aborting) return Promise.reject(shuttingDown());
      const [first, second] = args;
      const work = typeof first === 'function' ? first : typeof second === 'function' ? second : undefined;
      const options = typeof first === 'function' ? {} : (first ?? {});
      if (!work) {
        // Unmanaged: tracked until it finishes (pruned lazily by `finished`).
        return (original(options) as Promise<Transaction>).then((t) => {
          if (open.size > 100) for (const o of open) if (isFinished(o)) open.delete(o);
          open.add(t);
          return t;
        });
      }
      let tx: Transaction | undefined;
      return original(options, (t: Transaction) => {
        tx = t;
        open.add(t);
        return (work as (t: Transaction) => Promise<unknown>)(t);
      }).finally(() => {
        if (tx) open.delete(tx);
      });
    };
  }

  /**
   * On SIGTERM: stop taking connections, wait for the requests in flight up to `timeoutMs`, abort
   * what is left, run `cleanup` (queues, pools) and resolve with the exit code.
   */
  async shutdown(server: Server, timeoutMs: number, cleanup: () => Promise<void>): Promise<number> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await sleep(Math.min(50, Math.max(1, deadline - Date.now())));

    let code = EXIT_DRAINED;
    if (this.inFlight.size > 0) {
      code = EXIT_ABORTED_REQUESTS;
      await this.abortInFlight();
    }
    server.closeAllConnections();
    await within(ABORT_STEP_MS, closed);
    try {
      await cleanup();
    } catch (err) {
      this.logger.error({ err }, 'error during shutdown');
    }
    return code;
  }

  /** The deadline has passed: roll back, release, answer 503. */
  private async abortInFlight(): Promise<void> {
    this.aborting = true;
    const entries = [...this.inFlight].filter((e) => !e.res.headersSent);
    this.logger.warn({ requests: entries.length, transactions: this.openTransactions().length }, 'shutdown deadline passed; aborting requests in flight');

    // Seal the responses first, so whatever the aborted handlers do next (their transactions fail
    // below) cannot answer before the keys are released; the 503 below is the only answer.
    const seals = entries.map((e) => seal(e.res));

    await within(ABORT_STEP_MS, this.rollBackOpenTransactions());
    await within(
      ABORT_STEP_MS,
      Promise.all(
        entries.map((e) =>
          e.req.idempotency?.release().catch((err: unknown) => this.logger.warn({ err }, 'could not release an idempotency claim; its lease will free it')),
        ),
      ),
    );

    const problem = shuttingDown();
    await within(
      ABORT_STEP_MS,
      Promise.all(
        entries.map(
          (e, i) =>
            new Promise<void>((resolve) => {
              if (e.res.destroyed) return resolve();
              e.res.once('close', () => resolve());
              seals[i]!.answer(
                503,
                { ...problem.headers, Connection: 'close', 'Content-Type': 'application/problem+json' },
                JSON.stringify(problem.toBody(e.req.originalUrl ?? e.req.url)),
              );
            }),
        ),
      ),
    );
  }

  private openTransactions(): Transaction[] {
    return [...this.transactions].filter((t) => !isFinished(t));
  }

  /**
   * Ends every open transaction. On MySQL/MariaDB, KILL CONNECTION from a connection of our own
   * (the pool may be exhausted by the very transactions we are ending): the server rolls back at
   * once and releases the locks. SQLite (the demo) rolls back what the exiting process leaves
   * uncommitted when the file is next opened.
   */
  private async rollBackOpenTransactions(): Promise<void> {
    const open = this.openTransactions();
    if (open.length === 0 || !dialect(this.sequelize).mysql) return;
    const threadIds = open
      .map((t) => (t as unknown as { connection?: { threadId?: number } }).connection?.threadId)
      .filter((id): id is number => typeof id === 'number');
    if (threadIds.length === 0) return;
    const manager = (
      this.sequelize as unknown as { connectionManager: { connect(c: unknown): Promise<RawConnection>; disconnect(c: RawConnection): Promise<void> } }
    ).connectionManager;
    const conn = await manager.connect((this.sequelize as unknown as { config: unknown }).config);
    try {
      for (const id of threadIds) {
        await new Promise<void>((resolve) =>
          conn.query('KILL CONNECTION ?', [id], (err) => {
            // Already gone (finished meanwhile): nothing to roll back.
            if (err) this.logger.debug({ err: err.message, threadId: id }, 'KILL of a transaction connection failed');
            resolve();
          }),
        );
      }
      this.logger.warn({ transactions: threadIds.length }, 'open transactions rolled back');
    } finally {
      await manager.disconnect(conn).catch(() => undefined);
    }
  }
}

interface RawConnection {
  query(sql: string, values: unknown[], cb: (err: Error | null) => void): void;
}

/**
 * Takes a response away from its handler: its writes become no-ops, and `answer` writes through
 * the real methods (headers the handler may have set are dropped first).
 */
function seal(res: ServerResponse): { answer(status: number, headers: Record<string, string>, body: string): void } {
  const writeHead = res.writeHead.bind(res);
  const end = res.end.bind(res);
  const noop = function (this: ServerResponse) {
    return this;
  };
  res.writeHead = noop as unknown as ServerResponse['writeHead'];
  res.write = (() => true) as unknown as ServerResponse['write'];
  res.end = noop as unknown as ServerResponse['end'];
  return {
    answer(status, headers, body) {
      if (res.headersSent) return void end();
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
      end(body);
    },
  };
}
