import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { paginationQuery, pagedResponseSchema } from '../../platform/http/pagination';
import { defineRoute, type RouteSpec } from '../../platform/http/route';
import { dateOnlyField, idField } from '../../platform/http/schemas';
import { FiscalService, fiscalPeriodView, type FiscalListQuery } from './fiscal.service';
import { FISCAL_PERIOD_STATUSES } from './models';

const calendarDate = dateOnlyField();
const idParams = Joi.object<{ id: number }, true>({ id: idField().required() });

export const fiscalPeriodSchema = Joi.object({
  id: Joi.number().integer(),
  name: Joi.string(),
  startDate: Joi.string(),
  endDate: Joi.string(),
  status: Joi.string().valid(...FISCAL_PERIOD_STATUSES),
  countryId: Joi.number().integer().allow(null).description('NULL: a global period, for every country'),
  closedAt: Joi.string().allow(null),
  closedBy: Joi.number().integer().allow(null),
});

export function fiscalRoutes(ctx: AppContext): RouteSpec[] {
  const fiscal = new FiscalService(ctx.sequelize);
  const tags = ['ledger'];
  return [
    defineRoute({
      method: 'get',
      path: '/fiscal-periods',
      summary: 'Fiscal periods, oldest first',
      tags,
      access: { permission: 'fiscal:manage' },
      query: Joi.object<FiscalListQuery, true>({
        status: Joi.string().valid(...FISCAL_PERIOD_STATUSES),
        countryId: Joi.alternatives(idField(), Joi.string().valid('global')).description("A country's own periods, or 'global'"),
        from: calendarDate.description('Periods ending on or after this date'),
        to: calendarDate.description('Periods starting on or before this date'),
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      responses: { 200: { description: 'A page of periods', schema: pagedResponseSchema(fiscalPeriodSchema) } },
      handler: async (req) => {
        const page = await fiscal.list(req.valid.query);
        return { body: { data: page.data.map(fiscalPeriodView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/fiscal-periods/:id/close',
      summary: 'Close a fiscal period: it takes no more postings',
      tags,
      access: { permission: 'fiscal:manage' },
      params: idParams,
      responses: { 200: { description: 'Closed', schema: fiscalPeriodSchema }, 404: { description: 'Not found' }, 409: { description: 'Already closed' } },
      handler: async (req) => ({ body: fiscalPeriodView(await fiscal.close(req.valid.params.id, req.principal!.employeeId)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/fiscal-periods/:id/reopen',
      summary: 'Re-open a closed fiscal period',
      tags,
      access: { permission: 'fiscal:manage' },
      params: idParams,
      responses: { 200: { description: 'Open again', schema: fiscalPeriodSchema }, 404: { description: 'Not found' }, 409: { description: 'Already open' } },
      handler: async (req) => ({ body: fiscalPeriodView(await fiscal.reopen(req.valid.params.id, req.principal!.employeeId)) }),
    }),
  ];
}
