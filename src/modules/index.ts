import type { AppModule } from '../platform/context';
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
import { accountTransfersModule } from './account-transfers';
import { changeFeedModule } from './change-feed';
import { contractChangesModule } from './contract-changes';

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
  accountTransfersModule,
  changeFeedModule,
  contractChangesModule,
];
