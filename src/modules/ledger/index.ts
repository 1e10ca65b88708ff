import type { AppModule } from '../../platform/context';
import { associateLedgerModels, initLedgerModels } from './models';
import { fiscalRoutes } from './fiscal.routes';

export const ledgerModule: AppModule = {
  name: 'ledger',
  initModels: initLedgerModels,
  routes: fiscalRoutes,
  associate: associateLedgerModels,
};
