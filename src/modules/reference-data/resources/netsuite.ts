import Joi from 'joi';
import { QueryTypes } from 'sequelize';
import { NetsuiteAccountMapping, NetsuiteSubsidiary } from '../../integrations/netsuite/models';
import { resource, type ResourceBody } from '../resource';
import { filter, id } from './fields';

const reference = { read: 'reference:read', write: 'reference:write' };

/** A NetSuite internal id: digits. */
const internalId = () =>
  Joi.string()
    .pattern(/^[1-9][0-9]{0,19}$/)
    .messages({ 'string.pattern.base': '{#label} must be a NetSuite internal id (digits), e.g. "123"' });

export const netsuiteSubsidiaries = resource({
  name: 'NetSuite subsidiaries',
  singular: 'NetSuite subsidiary',
  path: '/netsuite-subsidiaries',
  model: NetsuiteSubsidiary,
  permissions: reference,
  create: Joi.object<ResourceBody<NetsuiteSubsidiary, 'countryId' | 'subsidiaryId'>, true>({
    countryId: id().required(),
    subsidiaryId: internalId().required().description('Internal id of the NetSuite subsidiary the country books into'),
  }),
  immutable: ['countryId'],
  filters: { countryId: filter.id() },
  sort: ['countryId', 'id'],
  description: 'The NetSuite subsidiary of each country: customers, day journals and vendor bills of that country are booked into it (docs/netsuite.md).',
});

export const netsuiteAccountMappings = resource({
  name: 'NetSuite account mappings',
  singular: 'NetSuite account mapping',
  path: '/netsuite-account-mappings',
  model: NetsuiteAccountMapping,
  permissions: reference,
  create: Joi.object<ResourceBody<NetsuiteAccountMapping, 'countryId' | 'ledgerCode' | 'netsuiteAccountId'>, true>({
    countryId: id().required(),
    ledgerCode: Joi.string()
      .pattern(/^[0-9A-Za-z.-]{1,20}$/)
      .required()
      .description('An AMT ledger account code (ledgerAccounts.code), e.g. "4100"'),
    netsuiteAccountId: internalId().required().description('Internal id of the NetSuite GL account the code is posted to'),
  }),
  immutable: ['countryId', 'ledgerCode'],
  filters: { countryId: filter.id(), ledgerCode: filter.code() },
  sort: ['countryId', 'ledgerCode', 'id'],
  search: ['ledgerCode', 'netsuiteAccountId'],
  rules: async (next, { transaction }) => {
    const [known] = await NetsuiteAccountMapping.sequelize!.query<{ n: number }>('SELECT COUNT(*) AS n FROM ledgerAccounts WHERE code = :code', {
      replacements: { code: next.ledgerCode },
      type: QueryTypes.SELECT,
      transaction,
    });
    if (Number(known?.n ?? 0) === 0) return [{ field: 'ledgerCode', message: `ledgerCode ${String(next.ledgerCode)} is not in the chart of accounts` }];
  },
  description:
    "The chart mapping: the NetSuite GL account each AMT ledger code's day totals are posted to, per country. A day whose journal uses an unmapped code is not sent (docs/netsuite.md).",
});
