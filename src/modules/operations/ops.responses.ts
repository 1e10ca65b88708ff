import Joi from 'joi';
import { instantOut, shape } from '../../platform/http/response-fields';

/** failedJobView (failed-jobs.service.ts). */
export const failedJobSchema = shape({
  queue: Joi.string(),
  id: Joi.string(),
  data: Joi.any().description("The job's payload as queued"),
  failedReason: Joi.string().allow(null),
  attemptsMade: Joi.number().integer().min(0),
  maxAttempts: Joi.number().integer().allow(null),
  createdAt: instantOut(),
  failedAt: instantOut().allow(null),
  lastError: Joi.string().allow(null).description('First lines of the last stack trace'),
});

/** POST /ops/jobs/{queue}/{id}/retry. */
export const retriedJobSchema = failedJobSchema.keys({ state: Joi.string().valid('waiting').required() });

/** GET /ops/board-session (the cookie itself is in Set-Cookie). */
export const boardSessionSchema = shape({
  path: Joi.string().description('Where Bull Board is mounted'),
  expiresAt: instantOut(),
  queues: Joi.boolean().description('False in demo mode (no Redis): the board has no queues to show'),
});
