import Joi from 'joi';
import { Op } from 'sequelize';
import { Area, Holiday, Warehouse } from '../../organisation/reference.models';
import { resource, type ResourceBody } from '../resource';
import { code, dateOnly, filter, id, name, text } from './fields';

const reference = { read: 'reference:read', write: 'reference:write' };

export const areas = resource({
  name: 'areas',
  singular: 'area',
  path: '/areas',
  model: Area,
  permissions: reference,
  create: Joi.object<ResourceBody<Area, 'regionId' | 'name' | 'code'>, true>({
    regionId: id().required(),
    name: name().required(),
    code: code().required(),
  }),
  filters: { regionId: filter.id(), code: filter.code() },
  sort: ['name', 'code', 'id'],
  search: ['name', 'code'],
  description: 'Areas within a region (where agents work). Readable by all staff with reference:read.',
});

export const warehouses = resource({
  name: 'warehouses',
  singular: 'warehouse',
  path: '/warehouses',
  model: Warehouse,
  permissions: reference,
  create: Joi.object<ResourceBody<Warehouse, 'name' | 'code' | 'regionId' | 'areaId' | 'address' | 'capacity'>, true>({
    name: name().required(),
    code: code().required(),
    regionId: id().required(),
    areaId: id().allow(null),
    address: text(2000).allow(null, ''),
    capacity: Joi.number().integer().min(0).max(10_000_000).allow(null),
  }),
  filters: { regionId: filter.id(), areaId: filter.id(), code: filter.code() },
  sort: ['name', 'code', 'capacity', 'id'],
  search: ['name', 'code'],
  description: 'Stock locations. Readable by all staff with reference:read.',
  /** A warehouse in an area lies in that area's region. */
  rules: async (next, { transaction }) => {
    if (next.areaId === null || next.areaId === undefined) return;
    const area = await Area.findByPk(next.areaId, { attributes: ['id', 'regionId'], transaction });
    if (area && area.regionId !== next.regionId) {
      return [{ field: 'areaId', message: `area ${area.id} is in region ${area.regionId}, not in region ${next.regionId}`, type: 'reference.mismatch' }];
    }
  },
});

export const holidays = resource({
  name: 'holidays',
  singular: 'holiday',
  path: '/holidays',
  model: Holiday,
  permissions: reference,
  create: Joi.object<ResourceBody<Holiday, 'countryId' | 'date' | 'name'>, true>({
    countryId: id().required(),
    date: dateOnly().required(),
    name: name().required(),
  }),
  filters: {
    countryId: filter.id(),
    date: dateOnly(),
    from: { schema: dateOnly().description('Holidays on or after this date'), where: (v: string) => ({ date: { [Op.gte]: v } }) },
    to: { schema: dateOnly().description('Holidays on or before this date'), where: (v: string) => ({ date: { [Op.lte]: v } }) },
  },
  sort: ['date', 'name', 'id'],
  search: ['name'],
  description: 'Public holidays per country: an instalment due on one moves to the next working day.',
});
