import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { pagedResponseSchema, paginationQuery } from '../../platform/http/pagination';
import { defineRoute, type RouteSpec } from '../../platform/http/route';
import { BOARD_PATH, BOARD_PERMISSION, BOARD_SESSION_SECONDS, boardCookie, signBoardSession } from './board';
import { FailedJobsService } from './failed-jobs.service';
import { boardSessionSchema, failedJobSchema, retriedJobSchema } from './ops.responses';

const queueName = Joi.string()
  .max(100)
  .pattern(/^[A-Za-z0-9._:-]+$/);

export function opsRoutes(ctx: AppContext): RouteSpec[] {
  const failed = new FailedJobsService(ctx.queue);
  const tags = ['operations'];
  return [
    defineRoute({
      method: 'get',
      path: '/ops/jobs/failed',
      summary: 'Jobs that failed every attempt (Bull failed sets)',
      description: 'Queue by queue (by name), newest first. Without Redis (demo mode) jobs run in-process and keep no failed set: the list is empty.',
      tags,
      access: { permission: 'ops:jobs' },
      query: Joi.object<{ queue?: string; limit: number; cursor?: string }, true>({
        queue: queueName,
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      responses: { 200: { description: 'A page of failed jobs', schema: pagedResponseSchema(failedJobSchema) }, 404: { description: 'Unknown queue' } },
      handler: async (req) => ({ status: 200, body: await failed.list(req.valid.query) }),
    }),
    defineRoute({
      method: 'post',
      path: '/ops/jobs/:queue/:id/retry',
      summary: 'Re-drive a failed job (moves it back to waiting)',
      tags,
      access: { permission: 'ops:jobs' },
      params: Joi.object<{ queue: string; id: string }, true>({
        queue: queueName.required(),
        id: Joi.string()
          .max(200)
          .pattern(/^[A-Za-z0-9._:-]+$/)
          .required(),
      }),
      responses: {
        202: { description: 'Queued again', schema: retriedJobSchema },
        404: { description: 'Unknown queue or job' },
        409: { description: 'The job is not in the failed set' },
      },
      handler: async (req) => ({ status: 202, body: await failed.retry(req.valid.params.queue, req.valid.params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/ops/board-session',
      summary: 'A short-lived cookie that opens Bull Board (/admin/queues) in this browser',
      description: `Sets the HttpOnly cookie amt_board (Path=${BOARD_PATH}, ${BOARD_SESSION_SECONDS} s, SameSite=Strict).`,
      tags,
      access: { permission: BOARD_PERMISSION },
      responses: { 200: { description: 'Cookie set (Set-Cookie: amt_board)', schema: boardSessionSchema } },
      handler: async (req) => ({
        status: 200,
        body: { path: BOARD_PATH, expiresAt: new Date(Date.now() + BOARD_SESSION_SECONDS * 1000).toISOString(), queues: ctx.queue.mode === 'bull' },
        headers: {
          'Set-Cookie': boardCookie(signBoardSession(ctx.config.jwt, req.principal!.employeeId), ctx.config.env === 'production'),
          'Cache-Control': 'no-store',
        },
      }),
    }),
  ];
}
