import type { Sequelize } from 'sequelize';
import type { EmployeeActor } from '../../platform/auth/actor';
import type { RegionScope } from '../../platform/auth/principal';
import { dialect } from '../../platform/db/dialect';
import { selectRows } from '../../platform/db/sql';
import { HttpProblem, problems } from '../../platform/http/problem';
import { MAX_ID } from '../../platform/http/schemas';
import { CHANGE_ENTITY_TYPES, type ChangeEntityType } from './models';

/**
 * A change-log row is handed out only once it is this old: a row whose id was taken but which is
 * not in the index yet cannot be waited for (docs/offline-sync.md, "The cursor").
 */
export const SETTLE_SECONDS = 1;
/**
 * A full sync's final cursor points this far back, so the first incremental sync after it repeats
 * these minutes of changes: a change still uncommitted when the full sync read its state is then
 * read by that incremental sync (its locking read waits for it).
 */
export const FULL_SYNC_OVERLAP_SECONDS = 600;
/** Change-log rows read per entity a page may hold, and at most: an entity often changes in several rows. */
const ROWS_PER_ENTITY = 8;
const MAX_ROWS_READ = 5000;

/** The opaque cursor: the change-log position, and while a full sync pages, where it is. */
interface FeedCursor {
  /** Change-log id: incremental syncs hand out rows after it. */
  p: number;
  /** During a full sync: the entity type being paged and the last id handed out of it. */
  f?: ChangeEntityType;
  a?: number;
}

export interface ChangesQuery {
  since?: string;
  limit: number;
}

type Row = Record<string, unknown>;

/** Runs one SELECT with `?` replacements (an array value fills an `IN (?)` list); rows as plain objects. */
export type FeedQueryRunner = (sql: string, replacements: unknown[]) => Promise<Row[]>;

export interface ChangesPage {
  customers: Row[];
  accounts: Row[];
  payments: Row[];
  tokens: Row[];
  collectionCases: Row[];
  repossessions: Row[];
  deleted: { entityType: ChangeEntityType; id: number }[];
  /** Pass as `since` next time (also when hasMore is false: the next incremental sync starts there). */
  next: string;
  hasMore: boolean;
  /** true while a first (full) sync pages through the working set. */
  full: boolean;
}

const LIST_OF: Record<ChangeEntityType, keyof Pick<ChangesPage, 'customers' | 'accounts' | 'payments' | 'tokens' | 'collectionCases' | 'repossessions'>> = {
  customer: 'customers',
  account: 'accounts',
  payment: 'payments',
  token: 'tokens',
  collectionCase: 'collectionCases',
  repossession: 'repossessions',
};

export function encodeFeedCursor(c: FeedCursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

const isId = (v: unknown, min = 1): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= MAX_ID;

/** The cursor a client sent back; anything this service did not write is a 400 naming `since`. */
export function decodeFeedCursor(since: string): FeedCursor {
  let value: unknown;
  try {
    value = /^[A-Za-z0-9_-]+$/.test(since) ? JSON.parse(Buffer.from(since, 'base64url').toString('utf8')) : undefined;
  } catch {
    value = undefined;
  }
  const c = value as Partial<FeedCursor> | undefined;
  const keys = c && typeof c === 'object' && !Array.isArray(c) ? Object.keys(c) : [];
  const ok =
    c !== undefined &&
    keys.every((k) => k === 'p' || k === 'f' || k === 'a') &&
    isId(c.p, 0) &&
    (c.f === undefined ? c.a === undefined : (CHANGE_ENTITY_TYPES as readonly unknown[]).includes(c.f) && isId(c.a, 0));
  if (!ok) throw problems.validation([{ field: 'since', message: 'since is not a cursor this feed handed out' }]);
  return c as FeedCursor;
}

/** A cursor older than the kept log: some of what changed after it may be pruned (docs/offline-sync.md). */
function cursorExpired(): HttpProblem {
  return new HttpProblem(
    410,
    'This cursor is older than the change log kept on the server: do a full sync (GET /sync/changes without since), replace the records kept on the phone with it, and keep its last next.',
    { type: 'sync-cursor-expired' },
  );
}

/** Instants as ISO strings (SQLite hands them back as text), everything else as read. */
function normalise(rows: Row[], instants: readonly string[]): Row[] {
  for (const r of rows) {
    for (const k of instants) {
      const v = r[k];
      if (v instanceof Date) r[k] = v.toISOString();
      else if (typeof v === 'string' && !v.endsWith('Z')) r[k] = new Date(/[+Z]/.test(v.slice(10)) ? v : `${v} +00:00`).toISOString();
    }
  }
  return rows;
}

/**
 * The agent's change feed (GET /sync/changes, docs/offline-sync.md): with no cursor, the whole
 * working set page by page, then an incremental cursor; with one, what changed in the agent's
 * regions since, read from changeLog (written by triggers in the changing transactions). Each
 * page loads the current state of what it names set-based: one query per entity type.
 */
export class ChangeFeedService {
  private readonly d;
  private readonly run: FeedQueryRunner;
  /**
   * `run` executes each statement (`?` replacements, an array for `IN (?)`); by default through
   * Sequelize. bench:sync-feed hands a mysql2 pool's to time the same statements without the app.
   */
  constructor(sequelize: Sequelize, run?: FeedQueryRunner) {
    this.d = dialect(sequelize);
    this.run = run ?? ((sql, replacements) => selectRows<Row>(sequelize, sql, replacements));
  }

  async changes(actor: EmployeeActor, q: ChangesQuery): Promise<ChangesPage> {
    const cursor = q.since === undefined ? undefined : decodeFeedCursor(q.since);
    if (cursor === undefined) {
      // A first page: where its incremental syncs will start is read beside the page (it points
      // minutes back, so the order of the two reads does not matter).
      const [p, page] = await Promise.all([this.fullSyncStart(), this.fullPage(actor, 'customer', 0, q.limit)]);
      return withCursor(page, p);
    }
    if (cursor.f !== undefined) return withCursor(await this.fullPage(actor, cursor.f, cursor.a ?? 0, q.limit), cursor.p);
    return this.incrementalPage(actor, cursor.p, q.limit);
  }

  private select<T extends object = Row>(sql: string, replacements: unknown[]): Promise<T[]> {
    return this.run(sql, replacements) as Promise<T[]>;
  }

  /**
   * Where the incremental syncs after a full sync starting now begin: FULL_SYNC_OVERLAP_SECONDS
   * back, never below the pruned horizon (an empty or just-pruned log), in one statement.
   */
  private async fullSyncStart(): Promise<number> {
    const [row] = await this.select<{ p: number | null; h: number | null }>(
      `SELECT COALESCE((SELECT id FROM changeLog WHERE changedAt >= ${this.d.secondsAgo(FULL_SYNC_OVERLAP_SECONDS)} ORDER BY changedAt, id LIMIT 1) - 1,
                       (SELECT MAX(id) FROM changeLog), 0) AS p,
              (SELECT prunedThroughId FROM changeLogHorizon WHERE id = 1) AS h`,
      [],
    );
    return Math.max(Number(row?.p ?? 0), Number(row?.h ?? 0));
  }

  /** How far the nightly prune has cut the log (prune.ts): rows with id <= this may be gone. */
  private async prunedThrough(): Promise<number> {
    const [row] = await this.select<{ h: number }>('SELECT prunedThroughId AS h FROM changeLogHorizon WHERE id = 1', []);
    return Number(row?.h ?? 0);
  }

  /**
   * Rows after `position` in the agent's regions, oldest first, read with a locking read: a row of
   * a transaction still in flight is waited for (committed: handed out; rolled back: gone), so a
   * late commit with a smaller id is never skipped. Rows younger than SETTLE_SECONDS stay for the
   * next sync.
   */
  private async incrementalPage(actor: EmployeeActor, position: number, limit: number): Promise<ChangesPage> {
    const region = regionClause(actor.scope, 'regionId');
    // An entity changes in several rows (an account opened with its instalments, a payment then its
    // receipt): read enough rows for `limit` entities, and hand out whole rows up to that many.
    const window = Math.min(limit * ROWS_PER_ENTITY, MAX_ROWS_READ);
    const rows = await this.select<{ id: number; entityType: ChangeEntityType; entityId: number; settled: number | boolean }>(
      `SELECT id, entityType, entityId, (changedAt <= ${this.d.secondsAgo(SETTLE_SECONDS)}) AS settled FROM changeLog
        WHERE ${region.sql}id > ? ORDER BY id LIMIT ?${this.d.lockInShareMode}`,
      [...region.values, position, window + 1],
    );
    const named = new Map<string, { entityType: ChangeEntityType; id: number }>();
    let last = position;
    let hasMore = false;
    for (const [i, r] of rows.entries()) {
      if (!Number(r.settled)) break;
      const key = `${r.entityType}:${r.entityId}`;
      if (i === window || (!named.has(key) && named.size === limit)) {
        hasMore = true;
        break;
      }
      named.set(key, { entityType: r.entityType, id: Number(r.entityId) });
      last = Number(r.id);
    }
    // The horizon is read after the rows: the prune commits it before deleting a row, so a row
    // after the cursor that the read above missed because it was pruned shows here. It runs beside
    // the state reads: one wave of statements after the log read.
    const [page, horizon] = await Promise.all([this.statesOf(actor, [...named.values()]), this.prunedThrough()]);
    if (position < horizon) throw cursorExpired();
    return { ...page, next: encodeFeedCursor({ p: last }), hasMore, full: false };
  }

  /**
   * A page of the working set from entity type `type` after id `after`: types in turn, each by
   * id, until `limit` entities; each type's state is read straight away (one statement a type),
   * then the children in one wave. Where the next page goes on (no type: the working set is done).
   */
  private async fullPage(actor: EmployeeActor, from: ChangeEntityType, after: number, limit: number): Promise<FullPage> {
    const out = emptyPage();
    let type: ChangeEntityType | undefined = from;
    let taken = 0;
    while (type !== undefined && taken < limit) {
      const want = limit - taken;
      const rows = await this.load(actor, type, { after, limit: want + 1 });
      const list = out[LIST_OF[type]];
      for (let i = 0; i < rows.length && i < want; i++) list.push(rows[i]!);
      taken += Math.min(rows.length, want);
      if (rows.length > want) {
        after = Number(rows[want - 1]!.id);
        break;
      }
      type = CHANGE_ENTITY_TYPES[CHANGE_ENTITY_TYPES.indexOf(type) + 1];
      after = 0;
    }
    attachChildren(
      out,
      await this.childrenOf(
        out.accounts.map((a) => Number(a.id)),
        out.customers.map((c) => Number(c.id)),
      ),
    );
    return { body: out, rest: type === undefined ? undefined : { f: type, a: after } };
  }

  /**
   * The current state of what a page names, one query per entity type plus one per kind of child
   * rows (schedules, customer records), all at once: the children are read for every named
   * account and customer and kept only for those the caller may still see. What is no longer the
   * agent's (gone, retired, moved to another region, a task assigned to someone else) is answered
   * as deleted, whatever the log said.
   */
  private async statesOf(actor: EmployeeActor, named: { entityType: ChangeEntityType; id: number }[]): Promise<PageBody> {
    const out = emptyPage();
    const idsOf = (type: ChangeEntityType) => [...new Set(named.filter((n) => n.entityType === type).map((n) => n.id))].sort((a, b) => a - b);
    const wanted = CHANGE_ENTITY_TYPES.map((type) => ({ type, ids: idsOf(type) })).filter((w) => w.ids.length > 0);
    const [children, ...loaded] = await Promise.all([
      this.childrenOf(idsOf('account'), idsOf('customer')),
      ...wanted.map((w) => this.load(actor, w.type, { ids: w.ids })),
    ]);
    wanted.forEach(({ type, ids }, i) => {
      const rows = loaded[i]!;
      const found = new Set(rows.map((r) => Number(r.id)));
      out[LIST_OF[type]].push(...rows);
      for (const id of ids) if (!found.has(id)) out.deleted.push({ entityType: type, id });
    });
    attachChildren(out, children);
    return out;
  }

  /** The caller's rows of one type: by ids (what a page names), or the next `limit` after an id (the working set). */
  private async load(actor: EmployeeActor, type: ChangeEntityType, which: { ids: number[] } | { after: number; limit: number }): Promise<Row[]> {
    const from = WORKING_SET[type];
    const region = regionClause(actor.scope, from.region);
    const assignee = from.assignee ? `${from.assignee} = ? AND ` : '';
    const [pick, values] =
      'ids' in which ? [`${from.id} IN (?) ORDER BY ${from.id}`, [which.ids]] : [`${from.id} > ? ORDER BY ${from.id} LIMIT ?`, [which.after, which.limit]];
    const rows = await this.select(`SELECT ${STATE_COLUMNS[type]} FROM ${from.from} WHERE ${region.sql}${assignee}${from.where ?? ''}${pick}`, [
      ...region.values,
      ...(from.assignee ? [actor.employeeId] : []),
      ...values,
    ]);
    return normalise(rows, INSTANTS[type]);
  }

  /** Accounts' schedules and customers' records, one query per kind, all at once. */
  private async childrenOf(accountIds: number[], customerIds: number[]): Promise<Children> {
    const [schedule, ...records] = await Promise.all([
      accountIds.length === 0
        ? []
        : this.select(
            'SELECT accountId, installmentNumber, dueDate, amount, paidAmount, status, paidDate FROM installmentSchedules WHERE accountId IN (?) ORDER BY accountId, installmentNumber',
            [accountIds],
          ),
      ...CUSTOMER_RECORDS.map(async (r) =>
        customerIds.length === 0
          ? []
          : normalise(await this.select(`SELECT customerId, ${r.columns} FROM ${r.table} WHERE customerId IN (?) ORDER BY id`, [customerIds]), r.instants),
      ),
    ]);
    return { schedules: groupBy(schedule, 'accountId'), records: records.map((rows) => groupBy(rows, 'customerId')) };
  }
}

type PageBody = Omit<ChangesPage, 'next' | 'hasMore' | 'full'>;

/** A full-sync page and where the working set goes on (undefined: done). */
interface FullPage {
  body: PageBody;
  rest: { f: ChangeEntityType; a: number } | undefined;
}

/** A full-sync page with its cursor: the incremental position `p`, and while pages remain where they go on. */
function withCursor(page: FullPage, p: number): ChangesPage {
  return { ...page.body, next: encodeFeedCursor({ p, ...page.rest }), hasMore: page.rest !== undefined, full: true };
}

function emptyPage(): PageBody {
  return { customers: [], accounts: [], payments: [], tokens: [], collectionCases: [], repossessions: [], deleted: [] };
}

/** Child rows by their parent's id: schedules by account, and each kind of CUSTOMER_RECORDS by customer. */
interface Children {
  schedules: Map<number, Row[]>;
  records: Map<number, Row[]>[];
}

function attachChildren(out: PageBody, children: Children): void {
  for (const a of out.accounts) a.schedule = children.schedules.get(Number(a.id)) ?? [];
  for (const c of out.customers) {
    CUSTOMER_RECORDS.forEach((r, i) => (c[r.key] = children.records[i]!.get(Number(c.id)) ?? []));
    for (const address of c.addresses as Row[]) address.isPrimary = Boolean(address.isPrimary);
    for (const contact of c.contacts as Row[]) {
      contact.isPrimary = Boolean(contact.isPrimary);
      contact.isVerified = Boolean(contact.isVerified);
    }
  }
}

/**
 * Rows by `key`, each without it. Copied into a new object rather than `delete`d: deleting a
 * property turns a V8 object into a slow dictionary, which JSON.stringify then walks slowly.
 */
function groupBy(rows: Row[], key: string): Map<number, Row[]> {
  const m = new Map<number, Row[]>();
  for (const r of rows) {
    const k = Number(r[key]);
    const child: Row = {};
    for (const f in r) if (f !== key) child[f] = r[f];
    const list = m.get(k);
    if (list) list.push(child);
    else m.set(k, [child]);
  }
  return m;
}

/** `<column> IN (?) AND ` for a regional agent, nothing for one who sees every region. */
function regionClause(scope: RegionScope, column: string): { sql: string; values: unknown[] } {
  if (scope.all) return { sql: '', values: [] };
  // No region: nothing matches (IN of an empty list is not SQL).
  if (scope.regionIds.length === 0) return { sql: '1 = 0 AND ', values: [] };
  return { sql: `${column} IN (?) AND `, values: [[...scope.regionIds]] };
}

/** What an agent's working set of each entity type is: the table, its region column, and for tasks the assignee. */
const WORKING_SET: Record<ChangeEntityType, { from: string; id: string; region: string; assignee?: string; where?: string }> = {
  customer: { from: 'customers c', id: 'c.id', region: 'c.regionId', where: 'c.deletedAt IS NULL AND ' },
  account: { from: 'accounts a', id: 'a.id', region: 'a.regionId' },
  payment: { from: 'payments p', id: 'p.id', region: 'p.regionId' },
  token: { from: 'deviceTokens t JOIN accounts a ON a.id = t.accountId', id: 't.id', region: 'a.regionId' },
  collectionCase: { from: 'collectionCases k JOIN accounts a ON a.id = k.accountId', id: 'k.id', region: 'a.regionId', assignee: 'k.assignedTo' },
  repossession: { from: 'repossessions r JOIN accounts a ON a.id = r.accountId', id: 'r.id', region: 'a.regionId', assignee: 'r.assignedTo' },
};

/** The fields the phone gets of each entity (never a national id or a secret). */
const STATE_COLUMNS: Record<ChangeEntityType, string> = {
  customer: 'c.id, c.firstName, c.lastName, c.phone, c.email, c.kycStatus, c.regionId, c.agentId, c.preferredLanguage, c.version, c.updatedAt',
  account:
    'a.id, a.accountNumber, a.customerId, a.productId, a.payplanId, a.regionId, a.agentId, a.status, a.activationDate, a.expiryDate, a.totalPrice, a.downPaymentAmount, a.financedAmount, a.balance, a.creditBalance, a.daysPastDue, a.parBucket, a.creditExpiresAt, a.closedAt, a.updatedAt',
  payment: 'p.id, p.accountId, p.amount, p.currency, p.channel, p.paymentDate, p.businessDate, p.status, p.completedAt, p.receiptNumber, p.regionId',
  token: 't.id, t.accountId, t.deviceId, t.tokenType, t.value, t.token, t.tokenCount, t.paymentId, t.source, t.createdAt',
  collectionCase:
    'k.id, k.accountId, k.assignedTo, k.status, k.priority, k.openedOn, k.closedOn, k.daysPastDue, k.amountAtRisk, k.lastContactAt, k.brokenPromises, k.priorityScore, k.updatedAt',
  repossession: 'r.id, r.accountId, r.deviceId, r.assignedTo, r.status, r.reason, r.scheduledFor, r.repossessedAt, r.failureReason, r.updatedAt',
};

const INSTANTS: Record<ChangeEntityType, readonly string[]> = {
  customer: ['updatedAt'],
  account: ['creditExpiresAt', 'closedAt', 'updatedAt'],
  payment: ['paymentDate', 'completedAt'],
  token: ['createdAt'],
  collectionCase: ['lastContactAt', 'updatedAt'],
  repossession: ['repossessedAt', 'updatedAt'],
};

/** A customer's records the phone keeps with it (documents: what there is, not the files). */
const CUSTOMER_RECORDS = [
  {
    key: 'addresses',
    table: 'customerAddresses',
    columns: 'id, addressType, addressLine, landmark, city, district, areaId, latitude, longitude, isPrimary',
    instants: [],
  },
  { key: 'nextOfKin', table: 'nextOfKins', columns: 'id, name, relationship, phone, address, version', instants: [] },
  { key: 'contacts', table: 'customerContacts', columns: 'id, contactType, value, label, isPrimary, isVerified', instants: [] },
  { key: 'documents', table: 'customerDocuments', columns: 'id, documentType, mimeType, sizeBytes, createdAt', instants: ['createdAt'] },
] as const;
