import type { AppModule } from '../../platform/context';
import { callbackRoutes } from './callbacks.routes';
import { MobileMoneyService, registerMobileMoneyListeners } from './ingestion.service';
import { staffRoutes } from './staff.routes';

/** The re-drive job: stored provider transactions not yet processed (a crash, a closed period). */
export const REDRIVE_JOB = 'mobile-money.redrive';

/**
 * Mobile money in: provider callbacks (M-Pesa Daraja C2B validation/confirmation, a generic JSON
 * shape for other gateways), suspense for what cannot be matched, and statement reconciliation.
 * The tables (mobileMoneyTransactions, unmatchedPayments) belong to the payments module's models.
 */
export const mobileMoneyModule: AppModule = {
  name: 'mobile-money',
  routes: (ctx) => [...callbackRoutes(ctx), ...staffRoutes(ctx)],
  // A posted payment that came in as a provider's transaction marks that transaction posted.
  register: (ctx) => registerMobileMoneyListeners(ctx),
  jobs: (ctx) => [
    {
      name: REDRIVE_JOB,
      attempts: 1,
      handler: async (data: { olderThanMs?: number; limit?: number }, job) => {
        const result = await new MobileMoneyService(ctx.sequelize, job.logger).redrive(data);
        if (result.processed || result.stillReceived) job.logger.info(result, 'mobile-money re-drive');
        return result;
      },
      repeat: [{ key: 'mobile-money-redrive', cron: '* * * * *', data: { olderThanMs: 60_000, limit: 500 } }],
    },
  ],
};
