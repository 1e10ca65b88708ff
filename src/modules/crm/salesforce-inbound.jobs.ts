import type { AppContext } from '../../platform/context';
import { dataCrypto } from '../../platform/crypto';
import type { JobDefinition } from '../../platform/queue';
import { CustomerService } from '../customers/customer.service';
import { createSalesforceTarget, salesforceClientOf } from '../integrations/salesforce';
import { SalesforceInbound } from '../integrations/salesforce/inbound';
import { recordRun } from '../operations/job-runs';

export const SALESFORCE_INBOUND_JOB = 'salesforce-inbound';

/** The inbound pull for this runtime: Salesforce's changes applied through the customer service. */
export function salesforceInbound(ctx: AppContext): SalesforceInbound | undefined {
  const client = salesforceClientOf(ctx);
  const cfg = ctx.config.salesforce;
  if (!client || cfg.driver !== 'rest') return undefined;
  const target = createSalesforceTarget(ctx);
  const customers = new CustomerService(ctx.sequelize, dataCrypto(ctx.config.dataEncryptionKey));
  return new SalesforceInbound(
    ctx.sequelize,
    client,
    { personAccounts: cfg.personAccounts, personAccountRecordTypeId: cfg.personAccountRecordTypeId, overlapSeconds: cfg.inboundOverlapSeconds },
    (customerId, change, within) => customers.applyIntegrationChange(customerId, change, within),
    ctx.logger,
    (ids) => target.push(ids.map((id) => ({ aggregate: 'customer', id, events: ['salesforce.conflict'], payloads: [{}] }))),
  );
}

/**
 * One pull, recorded in jobRuns (counts: fetched, applied, conflicts, unchanged, unknown). Skipped
 * (and recorded so) while Salesforce's API usage is past SALESFORCE_PAUSE_SHARE: the outbound
 * upserts matter more than the pull, and the next run catches up from the watermark.
 */
export async function runSalesforceInbound(ctx: AppContext, attempt = 1): Promise<Record<string, unknown>> {
  const inbound = salesforceInbound(ctx);
  const client = salesforceClientOf(ctx);
  const cfg = ctx.config.salesforce;
  if (!inbound || !client || cfg.driver !== 'rest') return { skipped: 'SALESFORCE_DRIVER is log' };
  return recordRun<Record<string, unknown>>({ jobName: SALESFORCE_INBOUND_JOB, partition: 'salesforce', attempt }, async () => {
    const usage = client.usage;
    if (usage && usage.limit > 0 && usage.used / usage.limit >= cfg.pauseShare) {
      const skipped: Record<string, number> = { skipped: 1 };
      return { value: { skipped: 'API usage past SALESFORCE_PAUSE_SHARE' }, counts: skipped };
    }
    const { counts, watermark } = await inbound.pull();
    const recorded: Record<string, number> = { ...counts };
    return { value: { ...counts, watermark }, counts: recorded };
  });
}

export function salesforceInboundJobs(ctx: AppContext): JobDefinition[] {
  const cfg = ctx.config.salesforce;
  return [
    {
      name: SALESFORCE_INBOUND_JOB,
      attempts: 1,
      concurrency: 1,
      handler: async (_data: Record<string, never>, job) => {
        const result = await runSalesforceInbound(ctx, job.attempt);
        job.logger.info(result, 'salesforce inbound pull');
        return result;
      },
      // No schedule with the log driver: there is nothing to pull from.
      repeat: cfg.driver === 'rest' ? [{ key: SALESFORCE_INBOUND_JOB, cron: cfg.inboundCron, tz: 'UTC', data: {} }] : [],
    },
  ];
}
