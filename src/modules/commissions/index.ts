import Joi from 'joi';
import { idField } from '../../platform/http/schemas';
import type { AppContext, AppModule } from '../../platform/context';
import { isCalendarDate } from '../../platform/dates';
import type { JobDefinition } from '../../platform/queue';
import { closeSteps } from '../operations/close-steps';
import { registerCommissionListeners } from './accrual.service';
import { commissionRoutes } from './commissions.routes';
import { associateCommissionsModels, initCommissionsModels } from './models';
import { runCommissionNightly } from './nightly';

export { runCommissionNightly } from './nightly';
export type { CommissionNightlyResult } from './nightly';

/** Queue name of the commissions step of the nightly close (one job per country and business date). */
export const COMMISSIONS_NIGHTLY_JOB = 'commissions.nightly';

export interface CommissionsNightlyJob {
  countryId: number;
  businessDate: string;
}

const jobData = Joi.object<CommissionsNightlyJob>({
  countryId: idField().required(),
  businessDate: Joi.string().custom((v: string, helpers) => (isCalendarDate(v) ? v : helpers.error('any.invalid'))).required(),
});

function commissionJobs(ctx: AppContext): JobDefinition<CommissionsNightlyJob>[] {
  return [
    {
      name: COMMISSIONS_NIGHTLY_JOB,
      attempts: 5,
      backoffMs: 5000,
      // Safe to run twice (Bull is at-least-once): every statement moves only entries still to move.
      async handler(data, job) {
        const { value, error } = jobData.validate(data);
        if (error) throw new Error(`${COMMISSIONS_NIGHTLY_JOB}: ${error.message}`);
        const result = await runCommissionNightly(value.countryId, value.businessDate);
        job.logger.info(result, 'commissions nightly step done');
        return result;
      },
    },
  ];
}

export const commissionsModule: AppModule = {
  name: 'commissions',
  initModels: initCommissionsModels,
  associate: associateCommissionsModels,
  routes: commissionRoutes,
  jobs: commissionJobs,
  register: (ctx) => {
    // Accrual listens to posted and reversed payments (in the payment's transaction).
    registerCommissionListeners(ctx);
    // After the accounts' step, on the business date the close opens (the date their DPD and
    // statuses are as of): stages earned by then become payable, defaulted ones are cancelled,
    // early write-offs clawed back. Idempotent (nightly.ts).
    closeSteps(ctx.sequelize).addCountryStep({
      name: 'commissions',
      run: async ({ countryId, businessDate }, transaction) => {
        const r = await runCommissionNightly(countryId, businessDate, { transaction });
        return { clawedBack: r.clawedBack, cancelled: r.cancelled, payable: r.payable };
      },
    });
  },
};
