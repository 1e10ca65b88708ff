import type { AppModule } from '../../platform/context';
import { defineResource } from './resource';
import { referenceResources } from './resources';

/**
 * Reference and master data over HTTP: every resource in ./resources gets list, get, create,
 * update and retire from the one mechanism in ./resource.ts. No tables of its own.
 */
export const referenceDataModule: AppModule = {
  name: 'reference-data',
  routes: () => referenceResources.flatMap((r) => defineResource(r)),
};
