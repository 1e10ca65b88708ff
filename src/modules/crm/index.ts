import type { AppModule } from '../../platform/context';
import { salesforceInboundJobs } from './salesforce-inbound.jobs';

/**
 * What comes back from the CRM (Salesforce): the inbound pull of contact details edited by the
 * call centre. A module of its own because it joins three that must not import each other in a
 * circle: the Salesforce client (integrations), the customer service (customers) and jobRuns
 * (operations). Nothing imports it.
 */
export const crmModule: AppModule = {
  name: 'crm',
  jobs: (ctx) => salesforceInboundJobs(ctx),
};
