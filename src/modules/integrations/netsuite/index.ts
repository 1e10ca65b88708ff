export { createNetsuiteTarget, type NetsuiteTargetOptions } from './target';
export { NetsuiteClient, NetsuiteError } from './client';
export { decodeLedgerDay, ledgerDayKey, LEDGER_DAY_AGGREGATE, netsuiteLedgerDayStep } from './ledger-day';
export { initNetsuiteModels, NetsuiteAccountMapping, NetsuiteJournal, NetsuiteSubsidiary } from './models';
/** The configuration check: NETSUITE_* are validated by loadConfig at start (src/platform/config/netsuite.ts). */
export { netsuiteConfig, netsuiteSchema, type NetsuiteConfig } from '../../../platform/config/netsuite';
