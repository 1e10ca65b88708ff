import type { AppModule } from '../../platform/context';
import { paymentSubscriptions } from '../payments/events';
import { associateBillingModels, initBillingModels } from './models';
import { refuseReversalOfRefunded } from './refund.service';
import { creditNoteRoutes } from './credit-note.routes';
import { invoiceRoutes } from './invoice.routes';
import { refundRoutes } from './refund.routes';
import { writeoffRoutes } from './writeoff.routes';

export const billingModule: AppModule = {
  name: 'billing',
  initModels: initBillingModels,
  routes: (ctx) => [...refundRoutes(ctx), ...writeoffRoutes(ctx), ...invoiceRoutes(ctx), ...creditNoteRoutes(ctx)],
  associate: associateBillingModels,
  // A payment refunded (or being refunded) in part can no longer be reversed (409 payment-refunded).
  register: (ctx) => paymentSubscriptions(ctx.sequelize).beforeReversal('billing.refunds', refuseReversalOfRefunded),
};
