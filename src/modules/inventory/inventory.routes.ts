import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { pagedResponseSchema, paginationQuery } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { dateOnlyField, idField } from '../../platform/http/schemas';
import { PURCHASE_ORDER_STATUSES, STOCK_MOVEMENT_TYPES, STOCK_TRANSFER_STATUSES } from './models';
import {
  myStockSchema,
  purchaseOrderReceiptSchema,
  purchaseOrderSchema,
  stockMovementSchema,
  stockTransferSchema,
  valuationSchema,
} from './inventory.responses';
import {
  PurchaseOrderService,
  type CreatePurchaseOrderInput,
  type PurchaseOrderLineInput,
  type PurchaseOrderListQuery,
  type ReceiptLineInput,
  type ReceivedUnit,
} from './purchase-orders.service';
import { TransferService, type DispatchInput, type TransferListQuery } from './transfers.service';
import { ValuationService, type MovementListQuery, type ValuationQuery } from './valuation.service';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });
const unitCost = Joi.string()
  .pattern(/^\d{1,10}(\.\d{1,2})?$/)
  .messages({ 'string.pattern.base': '{#label} must be an amount like 1500 or 1500.50' });
const MAX_UNITS = 1000;
const MAX_CSV_ROWS = 5000;

const receivedUnit = Joi.object<ReceivedUnit, true>({
  serialNumber: Joi.string().trim().min(1).max(100).required(),
  openpaygoSecretKey: Joi.string().hex().length(32).description('16-byte key as 32 hexadecimal characters; stored encrypted, never shown again'),
  startingCode: Joi.number().integer().min(0).max(999_999_999),
  firmwareVersion: Joi.string().max(50),
});

export function inventoryRoutes(ctx: AppContext): RouteSpec[] {
  const orders = new PurchaseOrderService(ctx);
  const transfers = new TransferService(ctx);
  const valuation = new ValuationService(ctx);
  const tags = ['stock'];
  const conflict = { 409: { description: 'Not in a status that allows it' } };
  return [
    // --- purchase orders -------------------------------------------------------------------
    defineRoute({
      method: 'post',
      path: '/purchase-orders',
      summary: 'Draft a purchase order from a supplier, to be received into a warehouse',
      tags,
      access: { permission: 'stock:write' },
      body: Joi.object<CreatePurchaseOrderInput, true>({
        supplierId: id.required(),
        warehouseId: id.required(),
        expectedAt: dateOnlyField(),
        currency: Joi.string().pattern(/^[A-Z]{3}$/),
        notes: Joi.string().max(2000),
        items: Joi.array()
          .items(
            Joi.object<PurchaseOrderLineInput, true>({
              productId: id.required(),
              deviceModelId: id.description('Serialised units of this model: received one by one with serial numbers and keys'),
              quantity: Joi.number().integer().min(1).max(100_000).required(),
              unitCost: unitCost.required(),
            }),
          )
          .min(1)
          .max(200)
          .required(),
      }),
      responses: { 201: { description: 'Drafted', schema: purchaseOrderSchema } },
      handler: async (req) => {
        const po = await orders.create(employeeOf(req), req.valid.body);
        return { status: 201, body: po, headers: { Location: `/api/v1/purchase-orders/${po.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/purchase-orders',
      summary: "Purchase orders (newest first), of warehouses in the caller's regions",
      tags,
      access: { permission: 'stock:read' },
      query: Joi.object<PurchaseOrderListQuery, true>({
        status: Joi.string().valid(...PURCHASE_ORDER_STATUSES),
        supplierId: id,
        warehouseId: id,
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      responses: { 200: { description: 'A page of purchase orders', schema: pagedResponseSchema(purchaseOrderSchema) } },
      handler: async (req) => ({ body: await orders.list(employeeOf(req), req.valid.query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/purchase-orders/:id',
      summary: 'A purchase order and its lines (ordered and received quantities)',
      tags,
      access: { permission: 'stock:read' },
      params: idParams,
      responses: { 200: { description: 'The purchase order', schema: purchaseOrderSchema }, 404: { description: "No such order in the caller's regions" } },
      handler: async (req) => ({ body: await orders.get(employeeOf(req), req.valid.params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/purchase-orders/:id/order',
      summary: 'Place a draft purchase order with the supplier (draft -> ordered)',
      tags,
      access: { permission: 'stock:write' },
      params: idParams,
      responses: { 200: { description: 'Ordered', schema: purchaseOrderSchema }, ...conflict },
      handler: async (req) => ({ body: await orders.transition(employeeOf(req), req.valid.params.id, 'ordered') }),
    }),
    defineRoute({
      method: 'post',
      path: '/purchase-orders/:id/cancel',
      summary: 'Cancel a purchase order nothing was received on yet',
      tags,
      access: { permission: 'stock:write' },
      params: idParams,
      responses: { 200: { description: 'Cancelled', schema: purchaseOrderSchema }, ...conflict },
      handler: async (req) => ({ body: await orders.transition(employeeOf(req), req.valid.params.id, 'cancelled') }),
    }),
    defineRoute({
      method: 'post',
      path: '/purchase-orders/:id/receipts',
      summary: 'Receive units of an ordered purchase order into its warehouse, in part or whole (all or nothing)',
      description:
        'Lines with a device model are received unit by unit (serial number, OpenPAYGO key stored encrypted, optional starting code); others by quantity. ' +
        'Every problem is named (a 422 listing each: a serial already registered or repeated, a missing key, more than the line still awaits) and nothing is received.',
      tags,
      access: { permission: 'stock:write' },
      params: idParams,
      body: Joi.object<{ lines: ReceiptLineInput[] }, true>({
        lines: Joi.array()
          .items(
            Joi.object<ReceiptLineInput, true>({
              purchaseOrderItemId: id.required(),
              quantity: Joi.number().integer().min(1).max(100_000),
              devices: Joi.array().items(receivedUnit).min(1).max(MAX_UNITS),
            }).xor('quantity', 'devices'),
          )
          .min(1)
          .max(200)
          .required(),
      }),
      responses: {
        201: { description: 'Received', schema: purchaseOrderReceiptSchema },
        404: { description: "No such order in the caller's regions" },
        409: { description: 'The order is not ordered or partially received; a serial registered meanwhile' },
        422: { description: 'Bad lines or units (each named); nothing received' },
      },
      handler: async (req) => ({ status: 201, body: await orders.receive(employeeOf(req), req.valid.params.id, req.valid.body.lines) }),
    }),
    defineRoute({
      method: 'post',
      path: '/purchase-orders/:id/receipts.csv',
      summary: 'Receive units from a CSV of serial numbers and keys (all rows or none)',
      description:
        'Header: purchaseOrderItemId,serialNumber,openpaygoSecretKey (optional startingCode, firmwareVersion; a line without a device model takes a quantity column). ' +
        'A malformed row is a 400 naming its row; a row the order cannot take (serial taken or repeated, more than ordered) a 422 naming its row; nothing is received either way.',
      tags,
      access: { permission: 'stock:write' },
      consumes: ['text/csv'],
      params: idParams,
      body: Joi.string().min(1).required(),
      responses: {
        201: { description: 'Received', schema: purchaseOrderReceiptSchema },
        404: { description: "No such order in the caller's regions" },
        409: { description: 'The order is not ordered or partially received' },
        422: { description: 'Rows the order cannot take (each named); nothing received' },
      },
      handler: async (req) => {
        const { lines, rowOf } = orders.parseReceiptCsv(req.valid.body, MAX_CSV_ROWS);
        return { status: 201, body: await orders.receive(employeeOf(req), req.valid.params.id, lines, rowOf) };
      },
    }),

    // --- transfers -------------------------------------------------------------------------
    defineRoute({
      method: 'post',
      path: '/stock-transfers',
      summary: "Dispatch units from a warehouse to another warehouse or to a field agent's own stock",
      description:
        'The units leave the source at once (in transit, held by this transfer: a unit is in one open transfer at most) and arrive when received. ' +
        "toEmployeeId sends to the agent's stock location, created on the first transfer in the source's region (the agent must cover it). " +
        'A unit not in the source (moved, installed, in another transfer) is a 409 and nothing moves.',
      tags,
      access: { permission: 'stock:write' },
      body: Joi.object<DispatchInput, true>({
        fromWarehouseId: id.required(),
        toWarehouseId: id,
        toEmployeeId: id,
        deviceIds: Joi.array().items(id).min(1).max(MAX_UNITS).unique().required(),
        faulty: Joi.boolean().description('Units sent for repair: they arrive in_repair'),
        notes: Joi.string().max(2000),
      }).xor('toWarehouseId', 'toEmployeeId'),
      responses: { 201: { description: 'Dispatched', schema: stockTransferSchema }, 409: { description: 'A unit is not in the source' } },
      handler: async (req) => ({ status: 201, body: await transfers.dispatch(employeeOf(req), req.valid.body) }),
    }),
    defineRoute({
      method: 'get',
      path: '/stock-transfers',
      summary: "Stock transfers (newest first) from or to warehouses in the caller's regions",
      tags,
      access: { permission: 'stock:read' },
      query: Joi.object<TransferListQuery, true>({
        status: Joi.string().valid(...STOCK_TRANSFER_STATUSES),
        warehouseId: id,
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      responses: { 200: { description: 'A page of transfers', schema: pagedResponseSchema(stockTransferSchema) } },
      handler: async (req) => ({ body: await transfers.list(employeeOf(req), req.valid.query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/stock-transfers/:id',
      summary: 'A stock transfer and its units',
      tags,
      access: { permission: 'stock:read' },
      params: idParams,
      responses: { 200: { description: 'The transfer', schema: stockTransferSchema }, 404: { description: "No such transfer in the caller's regions" } },
      handler: async (req) => ({ body: await transfers.get(employeeOf(req), req.valid.params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/stock-transfers/:id/receive',
      summary: 'Receive a transfer in transit into its destination',
      tags,
      access: { permission: 'stock:write' },
      params: idParams,
      responses: { 200: { description: 'Received', schema: stockTransferSchema }, ...conflict },
      handler: async (req) => ({ body: await transfers.close(employeeOf(req), req.valid.params.id, 'received') }),
    }),
    defineRoute({
      method: 'post',
      path: '/stock-transfers/:id/cancel',
      summary: 'Cancel a transfer in transit: its units go back into the source',
      tags,
      access: { permission: 'stock:write' },
      params: idParams,
      responses: { 200: { description: 'Cancelled', schema: stockTransferSchema }, ...conflict },
      handler: async (req) => ({ body: await transfers.close(employeeOf(req), req.valid.params.id, 'cancelled') }),
    }),

    // --- an agent's own stock --------------------------------------------------------------
    defineRoute({
      method: 'get',
      path: '/my-stock',
      summary: 'The units the calling agent carries, and the transfers on their way to them',
      tags,
      access: { permission: 'stock:receive' },
      responses: { 200: { description: "The agent's stock", schema: myStockSchema } },
      handler: async (req) => ({ body: await transfers.myStock(employeeOf(req)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/my-stock/transfers/:id/receive',
      summary: "Receive a transfer sent to the calling agent's own stock",
      tags,
      access: { permission: 'stock:receive' },
      params: idParams,
      responses: { 200: { description: 'Received', schema: stockTransferSchema }, 404: { description: 'No such transfer to the caller' }, ...conflict },
      handler: async (req) => ({ body: await transfers.close(employeeOf(req), req.valid.params.id, 'received', { ownStockOnly: true }) }),
    }),
    defineRoute({
      method: 'post',
      path: '/my-stock/returns',
      summary: 'Send units the calling agent carries back to a warehouse (faulty: they arrive in_repair)',
      tags,
      access: { permission: 'stock:receive' },
      body: Joi.object<{ toWarehouseId: number; deviceIds: number[]; faulty?: boolean; notes?: string }, true>({
        toWarehouseId: id.required(),
        deviceIds: Joi.array().items(id).min(1).max(MAX_UNITS).unique().required(),
        faulty: Joi.boolean(),
        notes: Joi.string().max(2000),
      }),
      responses: { 201: { description: 'Dispatched back', schema: stockTransferSchema }, 409: { description: "A unit is not in the caller's stock" } },
      handler: async (req) => {
        const actor = employeeOf(req);
        const location = await transfers.agentLocation(actor.employeeId, null);
        if (!location) throw problems.conflict('You carry no stock: nothing was ever sent to you.', 'device-not-here');
        const body = { ...req.valid.body, fromWarehouseId: location.id };
        return { status: 201, body: await transfers.dispatch(actor, body, { ownStockOnly: true }) };
      },
    }),

    // --- movements and valuation -------------------------------------------------------------
    defineRoute({
      method: 'get',
      path: '/stock-movements',
      summary: "Stock movements, newest first: a unit's custody trail (deviceId) or a warehouse's history, in the caller's regions",
      tags,
      access: { permission: 'stock:read' },
      query: Joi.object<MovementListQuery, true>({
        warehouseId: id,
        deviceId: id,
        productId: id,
        movementType: Joi.string().valid(...STOCK_MOVEMENT_TYPES),
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      responses: { 200: { description: 'A page of movements', schema: pagedResponseSchema(stockMovementSchema) } },
      handler: async (req) => ({ body: await valuation.movements(employeeOf(req), req.valid.query) }),
    }),

    defineRoute({
      method: 'get',
      path: '/stock/valuation',
      summary: "Stock at cost per warehouse and product (agents' stock included), from the purchase order lines",
      tags,
      access: { permission: 'stock:read' },
      query: Joi.object<ValuationQuery, true>({ warehouseId: id }),
      responses: { 200: { description: 'The valuation', schema: valuationSchema } },
      handler: async (req) => ({ body: await valuation.valuation(employeeOf(req), req.valid.query) }),
    }),
  ];
}
