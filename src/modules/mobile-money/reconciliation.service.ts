import { createHash } from 'node:crypto';
import { Op, type Sequelize } from 'sequelize';
import { problems } from '../../platform/http/problem';
import type { Logger } from '../../platform/logging/logger';
import { Decimal, toMoneyString } from '../../platform/money';
import { audit } from '../audit/audit';
import { DataImport, type DataImportRowError } from '../integrations/models';
import { MobileMoneyTransaction } from '../payments/models';
import { MobileMoneyService } from './ingestion.service';
import { countryByCode, type ProviderSpec } from './providers';
import { readStatement, type StatementLine } from './statement';

/** Notes starting with this mark a transaction for review (GET /mobile-money/transactions?review=true). */
export const REVIEW_MARK = 'review:';
const CHUNK = 1000;

export interface ReconciliationReport {
  importId: number;
  provider: string;
  /** True when this exact file was uploaded before (its effects are not repeated). */
  reupload: boolean;
  period: { from: string; to: string };
  statementLines: number;
  summary: { matched: number; missingInAmt: number; missingInStatement: number; amountMismatches: number };
  /** In the statement, unknown to AMT until this file: now stored and posted (or in suspense). */
  missingInAmt: { line: number; transactionId: string; amount: string; status: string; paymentId: number | null; accountId: number | null }[];
  /** Known to AMT in the period, absent from the statement: marked for review. */
  missingInStatement: { transactionId: string; amount: string; transTime: string | null; status: string; paymentId: number | null }[];
  /** In both with different amounts: marked for review; nothing is changed automatically. */
  amountMismatches: { line: number; transactionId: string; statementAmount: string; amtAmount: string; status: string; paymentId: number | null }[];
}

/**
 * Statement reconciliation: the provider's statement against what AMT stored. Re-uploading the
 * same file (or an overlapping one) is safe: ingestion is keyed on (provider, transactionId) and
 * review marks are only ever set, so nothing happens twice; a line first learnt from a statement
 * keeps being reported as missing-in-AMT (it never came by callback).
 */
export class ReconciliationService {
  private readonly ingestion: MobileMoneyService;

  constructor(
    private readonly sequelize: Sequelize,
    logger?: Logger,
  ) {
    this.ingestion = new MobileMoneyService(sequelize, logger);
  }

  async reconcile(
    provider: ProviderSpec,
    csv: string,
    options: { from?: Date; to?: Date; country?: string; uploadedBy: number; fileName?: string },
  ): Promise<ReconciliationReport> {
    const country = options.country ?? provider.country;
    if (!country) throw problems.validation([{ field: 'country', in: 'query', message: `country is required for ${provider.code} statements` }]);
    const countryRow = await countryByCode(country);
    if (!countryRow) throw problems.validation([{ field: 'country', in: 'query', message: `unknown country ${country}` }]);
    const lines = readStatement(csv, provider);
    if (lines.length === 0 && (!options.from || !options.to)) {
      throw problems.validation([
        { field: 'body', in: 'body', message: 'the statement has no money-in lines; give from and to to check AMT against an empty period' },
      ]);
    }
    const times = lines.map((l) => l.completedAt.getTime());
    const from = options.from ?? new Date(Math.min(...times));
    const to = options.to ?? new Date(Math.max(...times));
    if (from > to) throw problems.validation([{ field: 'from', in: 'query', message: 'from is after to' }]);

    const checksum = createHash('sha256').update(csv, 'utf8').digest('hex');
    const importType = `statement:${provider.code}`;
    const previous = await DataImport.findOne({ where: { importType, checksum }, order: [['id', 'ASC']] });
    const upload =
      previous ??
      (await DataImport.create({
        importType,
        fileName: (options.fileName ?? `${provider.code}-statement-${from.toISOString().slice(0, 10)}.csv`).slice(0, 255),
        checksum,
        status: 'processing',
        totalRows: lines.length,
        uploadedBy: options.uploadedBy,
        startedAt: new Date(),
      }));

    // What AMT already has for the statement's ids (set-based, in chunks).
    const known = new Map<string, MobileMoneyTransaction>();
    for (let i = 0; i < lines.length; i += CHUNK) {
      const ids = lines.slice(i, i + CHUNK).map((l) => l.transactionId);
      const rows = await MobileMoneyTransaction.findAll({
        where: { provider: provider.code, transactionId: { [Op.in]: ids } },
        attributes: ['id', 'transactionId', 'transactionType', 'amount', 'status', 'paymentId', 'accountId'],
      });
      for (const r of rows) known.set(r.transactionId, r);
    }

    const report: ReconciliationReport = {
      importId: upload.id,
      provider: provider.code,
      reupload: previous !== null,
      period: { from: from.toISOString(), to: to.toISOString() },
      statementLines: lines.length,
      summary: { matched: 0, missingInAmt: 0, missingInStatement: 0, amountMismatches: 0 },
      missingInAmt: [],
      missingInStatement: [],
      amountMismatches: [],
    };
    const mismatched: { id: number; note: string }[] = [];

    for (const line of lines) {
      let row = known.get(line.transactionId);
      if (!row || row.transactionType === STATEMENT_TYPE) {
        // Missing (or learnt from an earlier statement): ingest through the same path as callbacks.
        const { transaction } =
          row && row.status !== 'received'
            ? { transaction: row }
            : await this.ingestion.ingest(incoming(provider, country, countryRow.currency, line, upload.id));
        row = transaction;
        report.missingInAmt.push({
          line: line.line,
          transactionId: line.transactionId,
          amount: line.amount,
          status: row.status,
          paymentId: row.paymentId,
          accountId: row.accountId,
        });
        continue;
      }
      if (!new Decimal(row.amount).equals(line.amount)) {
        report.amountMismatches.push({
          line: line.line,
          transactionId: line.transactionId,
          statementAmount: line.amount,
          amtAmount: toMoneyString(row.amount),
          status: row.status,
          paymentId: row.paymentId,
        });
        mismatched.push({
          id: row.id,
          note: `${REVIEW_MARK} amount ${toMoneyString(row.amount)} differs from ${line.amount} on the ${provider.label} statement (import ${upload.id}, line ${line.line})`,
        });
        continue;
      }
      report.summary.matched++;
    }

    // In AMT, in the period, not on the statement.
    const onStatement = new Set(lines.map((l) => l.transactionId));
    const inPeriod = await MobileMoneyTransaction.findAll({
      where: { provider: provider.code, transTime: { [Op.between]: [from, to] } },
      attributes: ['id', 'transactionId', 'amount', 'transTime', 'status', 'paymentId'],
      order: [['transTime', 'ASC']],
    });
    const absentIds: number[] = [];
    for (const r of inPeriod) {
      if (onStatement.has(r.transactionId)) continue;
      report.missingInStatement.push({
        transactionId: r.transactionId,
        amount: toMoneyString(r.amount),
        transTime: r.transTime?.toISOString() ?? null,
        status: r.status,
        paymentId: r.paymentId,
      });
      absentIds.push(r.id);
    }

    // Mark for review: one UPDATE per chunk for the absent ones, one per (rare) amount mismatch.
    const absentNote = `${REVIEW_MARK} not on the ${provider.label} statement of ${report.period.from} to ${report.period.to} (import ${upload.id})`;
    for (let i = 0; i < absentIds.length; i += CHUNK) {
      await MobileMoneyTransaction.update({ errorMessage: absentNote }, { where: { id: { [Op.in]: absentIds.slice(i, i + CHUNK) } } });
    }
    for (const m of mismatched) await MobileMoneyTransaction.update({ errorMessage: m.note }, { where: { id: m.id } });

    report.summary.missingInAmt = report.missingInAmt.length;
    report.summary.missingInStatement = report.missingInStatement.length;
    report.summary.amountMismatches = report.amountMismatches.length;
    const rowErrors: DataImportRowError[] = [
      ...report.missingInAmt.map((m) => ({ row: m.line, field: 'transactionId', message: `${m.transactionId}: missing in AMT, ingested (${m.status})` })),
      ...report.amountMismatches.map((m) => ({
        row: m.line,
        field: 'amount',
        message: `${m.transactionId}: statement ${m.statementAmount}, AMT ${m.amtAmount}`,
      })),
      ...report.missingInStatement.map((m) => ({ row: 0, field: 'transactionId', message: `${m.transactionId}: in AMT, not on the statement` })),
    ];
    await upload.update({
      status: 'completed',
      totalRows: lines.length,
      processedRows: lines.length,
      failedRows: 0,
      rowErrors: rowErrors.slice(0, 5000),
      finishedAt: new Date(),
    });
    await audit.record(null, {
      actor: { employeeId: options.uploadedBy },
      action: 'mobile_money.reconcile',
      entity: 'dataImports',
      entityId: upload.id,
      after: { provider: provider.code, reupload: report.reupload, ...report.summary },
    });
    return report;
  }
}

/** transactionType of transactions AMT learnt from a statement rather than a callback. */
export const STATEMENT_TYPE = 'statement';

function incoming(provider: ProviderSpec, country: string, currency: string, line: StatementLine, importId: number) {
  return {
    provider: provider.code,
    transactionId: line.transactionId,
    transactionType: STATEMENT_TYPE,
    amount: line.amount,
    currency: provider.currency ?? currency,
    msisdn: line.msisdn,
    billRefNumber: line.accountReference,
    payerName: line.payerName,
    transTime: line.completedAt,
    rawPayload: { source: 'statement', importId, line: line.line, country, row: line.raw },
  };
}
