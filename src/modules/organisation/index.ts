import type { AppModule } from '../../platform/context';
import { associateOrganisationModels, initOrganisationModels } from './models';

export const organisationModule: AppModule = {
  name: 'organisation',
  initModels: initOrganisationModels,
  associate: associateOrganisationModels,
};
