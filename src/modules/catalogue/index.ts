import type { AppModule } from '../../platform/context';
import { associateCatalogueModels, initCatalogueModels } from './models';

export const catalogueModule: AppModule = {
  name: 'catalogue',
  initModels: initCatalogueModels,
  associate: associateCatalogueModels,
};
