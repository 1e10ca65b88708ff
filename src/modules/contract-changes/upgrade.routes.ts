import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField, paymentAmountField } from '../../platform/http/schemas';
import { upgradeSchema } from './contract-changes.responses';
import { UpgradeService, upgradeView, type UpgradeInput } from './upgrade.service';

export function upgradeRoutes(ctx: AppContext): RouteSpec[] {
  const upgrades = new UpgradeService(ctx.sequelize, ctx);
  return [
    defineRoute({
      method: 'post',
      path: '/accounts/:id/upgrade',
      summary: 'Add a product (and its device) to an active account: its price joins the balance in a combined schedule (Idempotency-Key required)',
      description:
        'The down payment is a line due on the business date; the rest of the price is spread over the due dates of the open instalments, ' +
        "which are superseded (docs/contract-changes.md). Dr 1200 / Cr 4100 for the price; the device is attached and gets the account's remaining credit as its first token.",
      tags: ['contract-changes'],
      access: { permission: 'accounts:upgrade' },
      idempotent: true,
      params: Joi.object<{ id: number }, true>({ id: idField().required() }),
      body: Joi.object<UpgradeInput, true>({
        productId: idField().required(),
        payplanId: idField().description("The plan the product is priced on (productPayplanPricing); default the account's"),
        deviceId: idField().description("The new product's device, in stock in the caller's regions"),
        downPayment: paymentAmountField().description("Owed at once; default the pricing's down payment; at most the price"),
        reason: Joi.string().trim().max(2000),
      }),
      responses: {
        201: { description: 'The upgrade, the account balance after it and the new device token', schema: upgradeSchema },
        400: { description: 'No such product, payplan or device (or not in your stock), the product not sold on the plan, a down payment above the price' },
        404: { description: "No such account in the caller's regions" },
        409: { description: 'The account is not active or is in arrears; the device is attached elsewhere, in transit or not in stock' },
        422: { description: 'The device is not of the product added' },
      },
      handler: async (req) => {
        const done = await upgrades.upgrade(employeeOf(req), req.valid.params.id, req.valid.body, (u, t) => req.idempotency!.complete(201, upgradeView(u), t));
        return { status: 201, body: upgradeView(done) };
      },
    }),
  ];
}
