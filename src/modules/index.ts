import type { AppContext, AppModule } from '../platform/context';
import type { IdempotencyStore } from '../platform/http/idempotency';
import type { RouteSpec } from '../platform/http/route';
import { accessModule } from './access';
import { organisationModule } from './organisation';
import { catalogueModule } from './catalogue';
import { customersModule } from './customers';
import { devicesModule } from './devices';
import { inventoryModule } from './inventory';
import { accountsModule } from './accounts';
import { paymentsModule } from './payments';
import { billingModule } from './billing';
import { ledgerModule } from './ledger';
import { commissionsModule } from './commissions';
import { collectionsModule } from './collections';
import { notificationsModule } from './notifications';
import { supportModule } from './support';
import { integrationsModule } from './integrations';
import { operationsModule } from './operations';
import { reportingModule } from './reporting';
import { auditModule } from './audit';
import { referenceDataModule } from './reference-data';
import { mobileMoneyModule } from './mobile-money';
import { cashModule } from './cash';
import { approvalsModule } from './approvals';
import { staffModule } from './staff';
import { repossessionModule } from './repossession';
import { crmModule } from './crm';
import { changeFeedModule } from './change-feed';
import { contractChangesModule } from './contract-changes';
import { syncPushRoutes } from './sync/push.routes';

/** Every domain module, in the order their models are initialised. */
export const modules: AppModule[] = [
  organisationModule,
  accessModule,
  catalogueModule,
  customersModule,
  devicesModule,
  inventoryModule,
  accountsModule,
  paymentsModule,
  billingModule,
  ledgerModule,
  commissionsModule,
  collectionsModule,
  notificationsModule,
  supportModule,
  integrationsModule,
  operationsModule,
  reportingModule,
  auditModule,
  referenceDataModule,
  mobileMoneyModule,
  cashModule,
  approvalsModule,
  staffModule,
  repossessionModule,
  crmModule,
  changeFeedModule,
  contractChangesModule,
];

/**
 * Every route of the API: the modules' own, then POST /sync/push, built from them (its action
 * types are the routes that declare `syncAction`). The app, the OpenAPI script and the tests use this.
 */
export function apiRoutes(ctx: AppContext, deps: { idempotency?: IdempotencyStore } = {}): RouteSpec[] {
  const routes = modules.flatMap((m) => m.routes?.(ctx) ?? []);
  return [...routes, ...syncPushRoutes(routes, { idempotency: deps.idempotency, logger: ctx.logger })];
}
