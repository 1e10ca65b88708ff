import Joi from 'joi';
import { regionScope } from '../../platform/auth/principal';
import type { AppContext } from '../../platform/context';
import { defineRoute, type RouteSpec } from '../../platform/http/route';
import { dateOnlyField, idField } from '../../platform/http/schemas';
import { portfolioCsv, portfolioReport } from './reports.service';
import { portfolioCsvSchema, portfolioReportSchema } from './reports.responses';

const calendarDate = dateOnlyField();

const portfolioQuery = Joi.object<{ date?: string; regionId?: number }, true>({
  date: calendarDate.description('Snapshot date (the business day a nightly close closed); default the latest'),
  regionId: idField(),
});

const DESCRIPTION =
  'Written by the nightly close for the day it closes: per region and per country (regionId null). PAR<N> = outstanding balance of live ' +
  'accounts (active, suspended) with DPD > N over all their outstanding balance; collectionRate = cash collected month to date (down ' +
  'payments excluded) over instalments due month to date. Region-scoped staff see their regions only. See docs/nightly-close.md.';

export function reportRoutes(_ctx: AppContext): RouteSpec[] {
  const tags = ['reports'];
  return [
    defineRoute({
      method: 'get',
      path: '/reports/portfolio',
      summary: 'Portfolio snapshot: accounts by status, outstanding, PAR1/30/60/90, collection rate',
      description: DESCRIPTION,
      tags,
      access: { permission: 'reports:read' },
      query: portfolioQuery,
      responses: {
        200: { description: 'Snapshot rows of the date (date null, no rows: no snapshot yet)', schema: portfolioReportSchema },
        404: { description: 'Region unknown or out of scope, or no snapshot of it' },
      },
      handler: async (req) => ({ status: 200, body: await portfolioReport(regionScope(req.principal), req.valid.query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/reports/portfolio.csv',
      summary: 'The portfolio snapshot as CSV',
      description: DESCRIPTION,
      tags,
      access: { permission: 'reports:read' },
      query: portfolioQuery,
      responses: { 200: { description: 'CSV, one row per region and country total', contentType: 'text/csv', schema: portfolioCsvSchema } },
      handler: async (req, res) => {
        const report = await portfolioReport(regionScope(req.principal), req.valid.query);
        res
          .status(200)
          .setHeader('Content-Type', 'text/csv; charset=utf-8')
          .setHeader('Content-Disposition', `attachment; filename="portfolio-${report.date ?? 'none'}.csv"`)
          .send(portfolioCsv(report.data));
      },
    }),
  ];
}
