import type { AppModule } from '../../platform/context';
import { associateCollectionsModels, initCollectionsModels } from './models';

export const collectionsModule: AppModule = {
  name: 'collections',
  initModels: initCollectionsModels,
  associate: associateCollectionsModels,
};
