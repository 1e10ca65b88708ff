import Joi from 'joi';
import { dateOut, idOut, moneyOut, shape } from '../../platform/http/response-fields';

const ratio = () =>
  Joi.string()
    .pattern(/^\d+(\.\d+)?$/)
    .description('Decimal string');

/** portfolioReport (reports.service.ts): the snapshot date (null: no snapshot yet) and its rows. */
export const portfolioReportSchema = shape({
  date: dateOut().allow(null),
  data: Joi.array().items(
    shape({
      snapshotDate: dateOut(),
      level: Joi.string().valid('region', 'country'),
      countryId: idOut().allow(null),
      countryCode: Joi.string().allow(null),
      regionId: idOut().allow(null).description('Null on a country total'),
      regionCode: Joi.string().allow(null),
      regionName: Joi.string().allow(null),
      accounts: Joi.number().integer().min(0),
      accountsByStatus: Joi.object().pattern(Joi.string(), Joi.number().integer().min(0)).description('Account count by status'),
      outstandingBalance: moneyOut(),
      par1: ratio(),
      par30: ratio(),
      par60: ratio(),
      par90: ratio(),
      collectionRate: ratio().allow(null),
      restructured: shape({
        accounts: Joi.number().integer().min(0),
        outstandingBalance: moneyOut(),
        par1: ratio(),
        par30: ratio(),
        par60: ratio(),
        par90: ratio(),
      })
        .allow(null)
        .description('Live accounts ever restructured, reported apart: their count, outstanding balance and PAR over their own balance'),
      collected: moneyOut().allow(null),
      due: moneyOut().allow(null),
      periodFrom: dateOut().allow(null),
      periodTo: dateOut().allow(null),
    }),
  ),
});

export const portfolioCsvSchema = Joi.string().description('CSV with a header row');
