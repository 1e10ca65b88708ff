import Joi from 'joi';
import { Department } from '../../access/models';
import { CompanyRegion, Country } from '../../organisation/models';
import { resource, type ResourceBody } from '../resource';
import { code, currency, filter, id, name, text, timezone } from './fields';

const reference = { read: 'reference:read', write: 'reference:write' };

export const countries = resource({
  name: 'countries',
  singular: 'country',
  path: '/countries',
  model: Country,
  permissions: reference,
  create: Joi.object<ResourceBody<Country, 'name' | 'code' | 'currency' | 'phoneCode' | 'timezone'>, true>({
    name: name().required(),
    code: Joi.string()
      .pattern(/^[A-Z]{2,3}$/)
      .required()
      .messages({ 'string.pattern.base': '{#label} must be an ISO 3166-1 code in capitals, e.g. KE' }),
    currency: currency().required(),
    phoneCode: Joi.string()
      .pattern(/^\+[1-9]\d{0,3}$/)
      .required()
      .messages({ 'string.pattern.base': '{#label} must be a calling code such as +254' }),
    timezone: timezone().required(),
  }),
  filters: { code: filter.code(), currency: currency() },
  sort: ['name', 'code', 'id'],
  search: ['name', 'code'],
  description: 'Markets AMT lends in. businessDate is advanced by the nightly close and is read-only here.',
});

export const regions = resource({
  name: 'regions',
  singular: 'region',
  path: '/regions',
  model: CompanyRegion,
  permissions: reference,
  create: Joi.object<ResourceBody<CompanyRegion, 'name' | 'code' | 'countryId' | 'managerId'>, true>({
    name: name().required(),
    code: code().required(),
    countryId: id().required(),
    managerId: id().allow(null),
  }),
  filters: { code: filter.code(), countryId: filter.id(), managerId: filter.id() },
  sort: ['name', 'code', 'id'],
  search: ['name', 'code'],
  description: 'Company regions (companyRegions): the unit of field-staff scoping. Readable by all staff with reference:read.',
});

export const departments = resource({
  name: 'departments',
  singular: 'department',
  path: '/departments',
  model: Department,
  permissions: reference,
  create: Joi.object<ResourceBody<Department, 'name' | 'code' | 'description' | 'managerId'>, true>({
    name: name().required(),
    code: code().required(),
    description: text().allow(null, ''),
    managerId: id().allow(null),
  }),
  filters: { code: filter.code(), managerId: filter.id() },
  sort: ['name', 'code', 'id'],
  search: ['name', 'code'],
});
