import Joi from 'joi';
import { idOut, instantOut, shape } from '../../platform/http/response-fields';
import { SYNC_TARGETS } from './registry';

/** GET /integrations/status: one entry per target (sync-ops.service.ts TargetStatus). */
export const targetStatusSchema = shape({
  target: Joi.string().valid(...SYNC_TARGETS),
  driver: Joi.string().description("'log' when the target's client is not configured (demo: nothing leaves AMT)"),
  pending: Joi.number().integer().min(0).description('Rows waiting (including those in backoff)'),
  processing: Joi.number().integer().min(0).description('Rows leased by a drain worker'),
  oldestPendingAt: instantOut().allow(null),
  oldestPendingAgeSeconds: Joi.number().integer().min(0).allow(null),
  dead: Joi.number().integer().min(0).description('Rows that failed for good (kept until retried)'),
  lastSuccessAt: instantOut().allow(null),
  lastError: shape({ message: Joi.string(), at: instantOut(), outboxId: idOut() }).allow(null),
  paused: Joi.boolean().description('The target paused itself (e.g. Salesforce API usage past the configured share)'),
  pausedReason: Joi.string().allow(null),
  pausedUntil: instantOut()
    .allow(null)
    .description('When a pause shared by every worker process ends by itself (Salesforce: the limit pause, or the next usage check)'),
});

export const syncStatusSchema = shape({ targets: Joi.array().items(targetStatusSchema) });

/** A dead outbox row (status failed). */
export const deadRowSchema = shape({
  id: idOut(),
  target: Joi.string(),
  aggregateType: Joi.string(),
  aggregateId: Joi.number().integer(),
  eventType: Joi.string(),
  attempts: Joi.number().integer().min(0),
  lastError: Joi.string().allow(null),
  createdAt: instantOut(),
  updatedAt: instantOut(),
});

/** POST /integrations/dead/{id}/retry. */
export const retriedRowSchema = shape({ id: idOut(), status: Joi.string().valid('pending') });
