import type { ResourceDefinition } from '../resource';
import { countries, departments, regions } from './organisation';

/** Every reference resource the API serves, in the order they appear in the API document. */
export const referenceResources: ResourceDefinition[] = [countries, regions, departments];
