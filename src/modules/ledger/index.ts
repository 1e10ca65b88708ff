import type { AppModule } from '../../platform/context';
import { associateLedgerModels, initLedgerModels } from './models';

export const ledgerModule: AppModule = {
  name: 'ledger',
  initModels: initLedgerModels,
  associate: associateLedgerModels,
};
