import Joi from 'joi';
import { dateOut, idOut, instantOut, moneyOut, shape } from '../../platform/http/response-fields';
import { DEVICE_STATUSES } from '../devices/models';
import { PURCHASE_ORDER_STATUSES, STOCK_MOVEMENT_TYPES, STOCK_TRANSFER_STATUSES } from './models';

/** purchaseOrderView (purchase-orders.service.ts). */
export const purchaseOrderSchema = shape({
  id: idOut(),
  orderNumber: Joi.string(),
  supplierId: idOut(),
  warehouseId: idOut().allow(null),
  status: Joi.string().valid(...PURCHASE_ORDER_STATUSES),
  orderedAt: instantOut().allow(null),
  expectedAt: dateOut().allow(null),
  totalAmount: moneyOut(),
  currency: Joi.string().allow(null),
  notes: Joi.string().allow(null),
  createdBy: idOut(),
  items: Joi.array().items(
    shape({
      id: idOut(),
      productId: idOut(),
      deviceModelId: idOut().allow(null),
      quantity: Joi.number().integer(),
      receivedQuantity: Joi.number().integer(),
      unitCost: moneyOut(),
    }),
  ),
  createdAt: instantOut(),
  updatedAt: instantOut(),
});

/** PurchaseOrderService.receive. */
export const purchaseOrderReceiptSchema = shape({
  purchaseOrder: purchaseOrderSchema,
  received: shape({ deviceIds: Joi.array().items(idOut()).description('Devices registered by this receipt'), units: Joi.number().integer() }),
});

/** transferView (transfers.service.ts). */
export const stockTransferSchema = shape({
  id: idOut(),
  transferNumber: Joi.string(),
  fromWarehouseId: idOut(),
  toWarehouseId: idOut(),
  status: Joi.string().valid(...STOCK_TRANSFER_STATUSES),
  shippedAt: instantOut().allow(null),
  receivedAt: instantOut().allow(null),
  notes: Joi.string().allow(null),
  createdBy: idOut(),
  receivedBy: idOut().allow(null),
  items: Joi.array().items(
    shape({ id: idOut(), productId: idOut(), deviceId: idOut().allow(null), quantity: Joi.number().integer(), inTransit: Joi.boolean() }),
  ),
  createdAt: instantOut(),
  updatedAt: instantOut(),
});

/** TransferService.myStock. */
export const myStockSchema = shape({
  location: shape({ id: idOut(), code: Joi.string(), name: Joi.string(), regionId: idOut() })
    .allow(null)
    .description("The agent's own stock location (null until stock was first sent to them)"),
  devices: Joi.array().items(
    shape({ id: idOut(), serialNumber: Joi.string(), productId: idOut(), deviceModelId: idOut(), status: Joi.string().valid(...DEVICE_STATUSES) }),
  ),
  incoming: Joi.array().items(stockTransferSchema).description('Transfers on their way to the agent'),
});

/** ValuationService.valuation. */
export const valuationSchema = shape({
  data: Joi.array().items(
    shape({
      warehouseId: idOut(),
      code: Joi.string(),
      name: Joi.string(),
      regionId: idOut(),
      agentEmployeeId: idOut().allow(null).description("Set on an agent's own stock location"),
      products: Joi.array().items(
        shape({
          productId: idOut(),
          quantity: Joi.number().integer().description('Stock level (stockItems)'),
          serialisedUnits: Joi.number().integer(),
          unpricedUnits: Joi.number().integer().description('Units with no purchase-order cost (registered by hand)'),
          value: moneyOut(),
        }),
      ),
      value: moneyOut(),
    }),
  ),
  totalValue: moneyOut(),
});

/** movementView (valuation.service.ts). */
export const stockMovementSchema = shape({
  id: idOut(),
  warehouseId: idOut(),
  productId: idOut(),
  deviceId: idOut().allow(null),
  quantity: Joi.number().integer().description('Signed: positive into the warehouse, negative out of it'),
  movementType: Joi.string().valid(...STOCK_MOVEMENT_TYPES),
  referenceType: Joi.string().allow(null).description('What caused it: purchaseOrders, stockTransfers, accounts, devices'),
  referenceId: Joi.number().integer().allow(null),
  note: Joi.string().allow(null),
  createdBy: idOut().allow(null),
  createdAt: instantOut(),
});
