import { problems, type FieldError } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { parseCsvText } from '../../platform/csv';
import type { ProviderSpec } from './providers';
import { parseProviderTime } from './providers';

/**
 * A provider statement (CSV) as AMT reads it. The header row names the columns; names compare
 * case-insensitively, ignoring spaces, dots, slashes and underscores. AMT's own names, and the
 * names of M-Pesa's organisation statement export, are both accepted:
 *
 * | column           | required | AMT name          | also accepted (M-Pesa and others)                   |
 * |------------------|----------|-------------------|-----------------------------------------------------|
 * | transaction id   | yes      | transactionId     | Receipt No., Receipt, Transaction ID, TransID        |
 * | completion time  | yes      | completedAt       | Completion Time, Transaction Time, TransTime         |
 * | amount received  | yes      | amount            | Paid In, TransAmount                                 |
 * | account reference| no       | accountReference  | A/C No., Account No., BillRefNumber, Reference       |
 * | payer's number   | no       | msisdn            | Other Party Info ("2547... - NAME"), Phone, MSISDN   |
 * | status           | no       | status            | Transaction Status                                   |
 * | amount paid out  | no       | withdrawn         | Withdrawn                                            |
 *
 * Lines before the header (M-Pesa puts the account name and period there) are skipped. Rows that
 * are not money in (no amount received, or an amount withdrawn) or whose status is not
 * "Completed" are not payments and are skipped. Times are ISO 8601 with an offset, or the
 * provider's local forms (see parseProviderTime). Anything else is a 400 naming the line.
 */
export interface StatementLine {
  line: number;
  transactionId: string;
  completedAt: Date;
  amount: MoneyString;
  accountReference: string | null;
  msisdn: string | null;
  payerName: string | null;
  /** The row as it was in the file, by header. */
  raw: Record<string, string>;
}

type Column = 'transactionId' | 'completedAt' | 'amount' | 'accountReference' | 'msisdn' | 'status' | 'withdrawn';

const ALIASES: Record<Column, string[]> = {
  transactionId: ['transactionid', 'receiptno', 'receipt', 'receiptnumber', 'transid', 'mpesareceiptnumber'],
  completedAt: ['completedat', 'completiontime', 'transactiontime', 'transtime', 'completiondate'],
  amount: ['amount', 'paidin', 'transamount'],
  accountReference: ['accountreference', 'acno', 'accountno', 'accountnumber', 'billrefnumber', 'reference'],
  msisdn: ['msisdn', 'otherpartyinfo', 'phone', 'phonenumber'],
  status: ['status', 'transactionstatus'],
  withdrawn: ['withdrawn', 'paidout'],
};
const REQUIRED: Column[] = ['transactionId', 'completedAt', 'amount'];

const squash = (h: string) => h.toLowerCase().replace(/[\s._/\\-]+/g, '');

/** RFC 4180 CSV (shared: src/platform/csv.ts); a quoted field left open is a 400 naming its line. */
export const parseCsv = (text: string) => parseCsvText(text, 'The statement is not valid CSV.');

const MONEY = /^\d{1,12}(\.\d{1,2})?$/;

/** Parses and checks a whole statement; any bad line is a 400 naming every bad line (up to 50). */
export function readStatement(text: string, provider: ProviderSpec): StatementLine[] {
  const rows = parseCsv(text);
  const headerIndex = rows.findIndex((r) => {
    const names = new Set(r.fields.map(squash));
    return REQUIRED.every((col) => ALIASES[col].some((a) => names.has(a)));
  });
  if (headerIndex < 0) {
    throw problems.validation(
      [
        {
          field: 'body',
          in: 'body',
          message:
            'no header row naming the transaction id, completion time and amount columns (e.g. transactionId,completedAt,amount,accountReference,msisdn or M-Pesa\'s "Receipt No.","Completion Time",...,"Paid In",...)',
        },
      ],
      'The statement has no recognisable header.',
    );
  }
  const header = rows[headerIndex]!.fields.map(squash);
  const at: Partial<Record<Column, number>> = {};
  for (const col of Object.keys(ALIASES) as Column[]) {
    const idx = header.findIndex((h) => ALIASES[col].includes(h));
    if (idx >= 0) at[col] = idx;
  }
  const errors: FieldError[] = [];
  const lines: StatementLine[] = [];
  const seen = new Map<string, number>();
  const bad = (line: number, message: string) => errors.push({ field: `line ${line}`, in: 'body', message });
  for (const row of rows.slice(headerIndex + 1)) {
    if (errors.length >= 50) break;
    const get = (col: Column) => (at[col] === undefined ? '' : (row.fields[at[col]!] ?? '').trim());
    if (row.fields.length !== header.length) {
      bad(row.line, `expected ${header.length} fields, found ${row.fields.length}`);
      continue;
    }
    const status = get('status');
    if (status && !/^completed?$/i.test(status)) continue;
    const amountText = get('amount').replace(/,/g, '');
    const withdrawn = get('withdrawn').replace(/,/g, '');
    if (amountText === '' || (withdrawn !== '' && !/^0*(\.0*)?$/.test(withdrawn.replace(/^-/, '')))) continue; // not money in
    if (!MONEY.test(amountText) || new Decimal(amountText).lessThanOrEqualTo(0)) {
      bad(row.line, `amount "${amountText}" is not a positive amount like 1500 or 1500.50`);
      continue;
    }
    const transactionId = get('transactionId');
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(transactionId)) {
      bad(row.line, `transaction id "${transactionId.slice(0, 40)}" is missing or not 1-100 letters, digits or ._-`);
      continue;
    }
    const completedAt = parseProviderTime(get('completedAt'), provider.utcOffset);
    if (!completedAt) {
      bad(
        row.line,
        `completion time "${get('completedAt').slice(0, 40)}" is not a time (ISO 8601 with offset${provider.utcOffset ? ", or local 'YYYY-MM-DD HH:mm:ss'" : ''})`,
      );
      continue;
    }
    const first = seen.get(transactionId);
    if (first !== undefined) {
      bad(row.line, `transaction ${transactionId} is already on line ${first}`);
      continue;
    }
    seen.set(transactionId, row.line);
    const party = get('msisdn');
    const partyMatch = /^\+?(\d{6,15})(?:\s*-\s*(.*))?$/.exec(party);
    const reference = get('accountReference');
    const raw: Record<string, string> = {};
    rows[headerIndex]!.fields.forEach((h, i) => (raw[h.trim()] = row.fields[i] ?? ''));
    lines.push({
      line: row.line,
      transactionId,
      completedAt,
      amount: toMoneyString(amountText),
      accountReference: reference ? reference.slice(0, 100) : null,
      msisdn: partyMatch ? partyMatch[1]!.slice(0, 20) : null,
      payerName: partyMatch?.[2]?.trim() || null,
      raw,
    });
  }
  if (errors.length)
    throw problems.validation(errors, `The statement has ${errors.length >= 50 ? '50 or more' : errors.length} malformed line(s); nothing was reconciled.`);
  return lines;
}
