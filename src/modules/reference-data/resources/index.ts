import type { ResourceDefinition } from '../resource';
import { deviceModels, payplans, pricing, products, productTypes, suppliers, taxRates, warrantyPolicies } from './catalogue';
import { areas, holidays, warehouses } from './geography';
import { countries, departments, regions } from './organisation';
import { notificationTemplates, paymentTypes } from './settings';
import { netsuiteAccountMappings, netsuiteSubsidiaries } from './netsuite';

/** Every reference resource the API serves, in the order they appear in the API document. */
export const referenceResources: ResourceDefinition[] = [
  countries,
  regions,
  areas,
  warehouses,
  departments,
  holidays,
  paymentTypes,
  notificationTemplates,
  productTypes,
  products,
  payplans,
  pricing,
  taxRates,
  warrantyPolicies,
  suppliers,
  deviceModels,
  netsuiteSubsidiaries,
  netsuiteAccountMappings,
];
