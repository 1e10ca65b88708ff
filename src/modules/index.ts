import type { AppModule } from '../platform/context';
import { accessModule } from './access';
import { organisationModule } from './organisation';

/** Every domain module, in the order their models are initialised. */
export const modules: AppModule[] = [organisationModule, accessModule];
