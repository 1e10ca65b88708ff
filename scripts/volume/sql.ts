import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';

/** A value as it goes into a multi-row INSERT. Strings are generated text: no backslashes, quotes doubled. */
export type SqlValue = string | number | bigint | boolean | null;

export function sqlValue(v: SqlValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (v.includes('\\')) throw new Error(`generated text must not contain a backslash: ${v}`);
  return v.includes("'") ? `'${v.replace(/'/g, "''")}'` : `'${v}'`;
}

/** A DECIMAL(14,2) literal from integer cents (never a float). */
export function cents(c: number): string {
  if (!Number.isSafeInteger(c)) throw new Error(`not a whole number of cents: ${c}`);
  const neg = c < 0;
  const a = neg ? -c : c;
  const frac = a % 100;
  return `${neg ? '-' : ''}${(a - frac) / 100}.${frac < 10 ? '0' : ''}${frac}`;
}

/**
 * Collects rows of one table as multi-row INSERT statements of bounded size (well under MySQL's
 * max_allowed_packet). Each row is turned into SQL text as it is added, so a batch holds strings,
 * not millions of small arrays.
 */
export class TableWriter {
  private statements: string[] = [];
  /** Rows of the statement being built, each a flat string (joined, not concatenated, to keep the heap small). */
  private rows: string[] = [];
  private bytes = 0;
  private readonly head: string;
  /** Rows added and not yet drained. */
  pending = 0;

  constructor(
    readonly table: string,
    readonly columns: readonly string[],
    private readonly maxBytes = 1_000_000,
  ) {
    this.head = `INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES (`;
  }

  /** Values in column order. */
  add(values: readonly SqlValue[]): void {
    const n = this.columns.length;
    if (values.length !== n) throw new Error(`${this.table}: ${values.length} values for ${n} columns`);
    const parts = new Array<string>(n);
    for (let i = 0; i < n; i++) parts[i] = sqlValue(values[i]);
    const row = parts.join(',');
    this.rows.push(row);
    this.bytes += row.length + 3;
    this.pending++;
    if (this.bytes >= this.maxBytes) this.close();
  }

  private close(): void {
    if (this.rows.length) this.statements.push(this.head + this.rows.join('),(') + ')');
    this.rows = [];
    this.bytes = 0;
  }

  /** The INSERT statements for everything added, emptying the writer. */
  drain(): string[] {
    this.close();
    const out = this.statements;
    this.statements = [];
    this.pending = 0;
    return out;
  }

  async flush(sequelize: Sequelize, transaction: Transaction): Promise<number> {
    const n = this.pending;
    for (const sql of this.drain()) await sequelize.query(sql, { transaction, type: QueryTypes.INSERT, logging: false });
    return n;
  }
}

/** The highest id of a table (0 when empty): the generator assigns ids itself so rows can point at each other without round trips. */
export async function maxId(sequelize: Sequelize, table: string, transaction?: Transaction): Promise<number> {
  const [row] = await sequelize.query<{ m: number | string | null }>(`SELECT MAX(id) AS m FROM \`${table}\``, { type: QueryTypes.SELECT, transaction });
  return Number(row?.m ?? 0);
}
